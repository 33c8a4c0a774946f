import { fileURLToPath } from "node:url";
import { expect, type Page } from "@playwright/test";
import { world } from "./world";

export const SCREENSHOTS = fileURLToPath(new URL("../../../test-results/screenshots", import.meta.url));

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

export function profileField(page: Page, field: string) {
  return page.locator(`[data-field="${field}"]`);
}

export async function openProfile(page: Page) {
  await page.goto(`${world().appUrl}/profile`);
  await expect(page.getByRole("heading", { name: /your profile|account deleted/i })).toBeVisible();
}

/** Reloads until the profile shows `text` in `field`: the webhook arrives when it arrives. */
export async function expectProfileToShow(page: Page, field: string, text: string | RegExp) {
  await expect(async () => {
    await page.goto(`${world().appUrl}/profile`);
    await expect(profileField(page, field)).toHaveText(text, { timeout: 1_000 });
  }).toPass();
}

/** Clerk's own <SignIn/>: email first, then the password, as a person does it. */
export async function signInWithClerkForm(page: Page, email: string, password: string) {
  await page.getByLabel(/email address/i).fill(email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel(/^password/i).fill(password);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
}

export async function clickSync(page: Page) {
  await page.getByRole("button", { name: "Sync User Data" }).click();
}
