import { expect, test, type Page } from "@playwright/test";
import { screenshot } from "./support/pages";
import { world } from "./support/world";

async function expectSiteLayout(page: Page, { banner }: { banner: boolean }) {
  await expect(page.getByRole("link", { name: "clerk-sync" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Account" })).toBeVisible();
  if (banner) await expect(page.getByRole("complementary", { name: "Offline mode" })).toBeVisible();
  // Nothing to scroll on a short page.
  expect(await page.evaluate(() => document.documentElement.scrollHeight - window.innerHeight)).toBeLessThanOrEqual(0);
}

test("an unknown address answers 404 inside the site's layout, titled Page not found, with a link home", async ({
  page,
}) => {
  const response = await page.goto(`${world().appUrl}/no/such/page`);
  expect(response!.status()).toBe(404);
  await expect(page).toHaveTitle("Page not found · clerk-sync");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await expectSiteLayout(page, { banner: true });
  await screenshot(page, "12-not-found");

  await page.getByRole("link", { name: "Back to the start page" }).click();
  await expect(page).toHaveURL(`${world().appUrl}/`);
  await expect(page.getByRole("heading", { name: "Your Clerk profile, kept in step" })).toBeVisible();
});

test("a request the app cannot serve shows Something went wrong inside the site's layout", async ({ page }) => {
  // The start page has no action, so a POST to it is an error Remix hands to the root ErrorBoundary.
  await page.route(`${world().appUrl}/?index`, (route) =>
    route.continue({
      method: "POST",
      postData: "x=1",
      headers: { ...route.request().headers(), "content-type": "application/x-www-form-urlencoded" },
    }),
  );
  const response = await page.goto(`${world().appUrl}/?index`);
  expect(response!.status()).toBe(405);
  await expect(page).toHaveTitle("Something went wrong · clerk-sync");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Something went wrong");
  // The root loader does not run for a refused POST, so whether this is offline mode is not known here.
  await expectSiteLayout(page, { banner: false });
  await expect(page.getByRole("link", { name: "Back to the start page" })).toBeVisible();
  await screenshot(page, "13-error");
});
