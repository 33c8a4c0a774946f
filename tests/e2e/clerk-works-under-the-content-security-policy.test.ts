import { expect, test } from "@playwright/test";
import { expectProfileToShow, signInWithClerkForm, watchForCspViolations } from "./support/pages";
import { createUser, uniqueEmail, waitForDeliveries, world } from "./support/world";

/**
 * Every page carries a Content-Security-Policy (app/security-headers.server.ts).
 * Clerk's components load clerk-js, talk to the Frontend API, style themselves
 * inline and show avatars: all of it must still work, with no violation
 * reported by the browser.
 */

test("sign-in, the profile and the UserButton work under the CSP, with no violation", async ({ page }) => {
  const violations = await watchForCspViolations(page);
  const user = await createUser({ firstName: "Csp" });
  await waitForDeliveries();

  const response = await page.goto(`${world().appUrl}/sign-in`);
  expect(response!.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  await signInWithClerkForm(page, user.email, user.password);
  await expect(page).toHaveURL(/\/profile$/);
  await expectProfileToShow(page, "email", user.email);

  const profile = await page.reload();
  expect(profile!.headers()["cache-control"]).toBe("private, no-store");
  expect(profile!.headers()["content-security-policy"]).toMatch(/script-src 'self' 'nonce-/);

  await page.getByRole("button", { name: "Open user menu" }).click();
  await expect(page.getByRole("menuitem", { name: /sign out/i })).toBeVisible();
  await page.getByRole("menuitem", { name: /sign out/i }).click();
  await expect(page.getByRole("link", { name: "Sign in" }).first()).toBeVisible();

  expect(violations).toEqual([]);
});

test("sign-up works under the CSP, with no violation", async ({ page }) => {
  const violations = await watchForCspViolations(page);
  const email = uniqueEmail();
  await page.goto(`${world().appUrl}/sign-up`);
  await page.getByLabel(/email address/i).fill(email);
  await page.getByLabel(/^password/i).fill("a-long-Csp-passw0rd");
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expectProfileToShow(page, "email", email);
  expect(violations).toEqual([]);
});

test("the policy is enforced: an injected inline script and a foreign image are refused and reported", async ({
  page,
}) => {
  const violations = await watchForCspViolations(page);
  await page.goto(`${world().appUrl}/`);
  await page.evaluate(() => {
    const script = document.createElement("script");
    script.textContent = "window.__injected = true";
    document.body.append(script);
    const image = document.createElement("img");
    image.src = "https://evil.example/pixel.png";
    document.body.append(image);
  });
  await expect.poll(() => violations.length).toBeGreaterThanOrEqual(2);
  expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
  expect(violations.join("\n")).toMatch(/script-src/);
  expect(violations.join("\n")).toMatch(/img-src/);
});
