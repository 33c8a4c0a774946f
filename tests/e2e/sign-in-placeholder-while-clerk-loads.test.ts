import { expect, test } from "@playwright/test";
import { screenshot } from "./support/pages";
import { world } from "./support/world";

for (const path of ["/sign-in", "/sign-up"]) {
  test(`${path} holds the form's place with a placeholder of about its size until clerk-js has loaded`, async ({
    page,
  }) => {
    // clerk-js is held back until the placeholder has been seen, as on a slow phone.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route(/clerk(-js|\.browser)/, async (route) => {
      await released;
      await route.continue();
    });
    await page.goto(`${world().appUrl}${path}`, { waitUntil: "domcontentloaded" });
    const placeholder = page.getByTestId("auth-placeholder");
    await expect(placeholder).toBeVisible();
    const held = (await placeholder.boundingBox())!;
    await screenshot(page, `23-${path.slice(1)}-loading`);

    release();
    await expect(page.getByLabel(/email address/i)).toBeVisible();
    await expect(placeholder).toBeHidden();
    // Clerk draws its card in steps; the footer link comes last.
    await expect(page.locator(".cl-footerAction")).toBeVisible();
    const form = (await page.locator(".cl-rootBox").boundingBox())!;
    console.log(`${path}: placeholder ${held.width}×${held.height}, form ${form.width}×${form.height}`);
    // Within a tenth of the form's height: the page does not jump much when the form replaces it.
    expect(Math.abs(form.height - held.height)).toBeLessThanOrEqual(form.height / 10);
  });
}
