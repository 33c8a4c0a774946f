import { expect, test } from "@playwright/test";
import { expectProfileToShow, profileField, screenshot, signInWithClerkForm } from "./support/pages";
import { control, createUser, waitForDeliveries, world } from "./support/world";

test.afterEach(async () => {
  await control("/faults", { method: "DELETE" });
});

test("a signed-out visitor is sent from /profile to sign in, signs in, and lands on their profile", async ({
  page,
}) => {
  const user = await createUser({ firstName: "Signin" });
  await waitForDeliveries();

  await page.goto(`${world().appUrl}/`);
  await expect(page.getByRole("link", { name: "Sign in" }).first()).toBeVisible();
  await screenshot(page, "01-home-signed-out");

  await page.goto(`${world().appUrl}/profile`);
  await expect(page).toHaveURL(/\/sign-in\?redirect_url=%2Fprofile/);
  await expect(page.getByLabel(/email address/i)).toBeVisible();
  await screenshot(page, "02-sign-in");

  await signInWithClerkForm(page, user.email, user.password);
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole("heading", { name: "Your profile" })).toBeVisible();
  await expectProfileToShow(page, "email", user.email);
  await expect(profileField(page, "clerk-id")).toHaveText(user.id);
  await expect(page.getByRole("button", { name: "Open user menu" })).toBeVisible();
  await screenshot(page, "03-profile");
});

test("a wrong password is refused by Clerk's form and nothing is shown", async ({ page }) => {
  const user = await createUser();
  await page.goto(`${world().appUrl}/sign-in`);
  await signInWithClerkForm(page, user.email, "not-the-password");
  await expect(page.getByText(/password is incorrect/i).first()).toBeVisible();
  await page.goto(`${world().appUrl}/profile`);
  await expect(page).toHaveURL(/\/sign-in/);
});

test("the offline banner and the demo account are shown on every page in offline mode", async ({ page }) => {
  for (const path of ["/", "/sign-in", "/sign-up"]) {
    await page.goto(`${world().appUrl}${path}`);
    await expect(page.getByText("Offline mode — local Clerk stand-in.")).toBeVisible();
  }
  await page.goto(`${world().appUrl}/sign-in`);
  await expect(page.getByRole("note", { name: "Demo account" })).toContainText("demo@clerk-sync.local");
});
