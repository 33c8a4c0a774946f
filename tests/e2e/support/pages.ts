import { fileURLToPath } from "node:url";
import { expect, type Locator, type Page } from "@playwright/test";
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

/** The page has hydrated and Clerk has loaded: the user menu is drawn by clerk-js in the browser. */
export async function expectPageReady(page: Page) {
  await expect(page.getByRole("button", { name: "Open user menu" })).toBeVisible();
}

export function syncButton(page: Page) {
  return page.getByRole("button", { name: /^Sync User Data|^Syncing…/ });
}

export async function clickSync(page: Page) {
  await page.getByRole("button", { name: "Sync User Data", exact: true }).click();
}

/** Presses Tab until `target` has focus, as a keyboard user gets there; fails if it never does. */
export async function tabTo(page: Page, target: Locator, maxPresses = 30) {
  for (let presses = 0; presses < maxPresses; presses++) {
    if (await target.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${target}`);
}

export async function hasFocus(target: Locator): Promise<boolean> {
  return target.evaluate((element) => element === document.activeElement);
}

/**
 * Console errors and uncaught exceptions of the page from now on. Clerk's own
 * maintenance notice is a warning, not an error, so it does not count.
 */
export function collectConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(`${error.name}: ${error.message}`));
  return errors;
}

/** Every CSP violation the browser reports, from the console and from the DOM event. */
export async function watchForCspViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to (load|execute|apply|connect|frame)/i.test(message.text()))
      violations.push(message.text());
  });
  await page.exposeFunction("__reportCspViolation", (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      (window as unknown as { __reportCspViolation(text: string): void }).__reportCspViolation(
        `${event.violatedDirective} blocked ${event.blockedURI}`,
      );
    });
  });
  return violations;
}
