import { expect, test } from "@playwright/test";
import { expectPageReady, hasFocus, openProfile, profileField, screenshot, syncButton, tabTo } from "./support/pages";
import { control, createUser, signIn, waitForDeliveries } from "./support/world";

test.afterEach(async () => {
  await control("/faults", { method: "DELETE" });
});

test("with the keyboard, Sync User Data keeps focus while pending and its outcome is announced", async ({
  page,
  context,
}) => {
  const user = await createUser({ firstName: "Keys" });
  await waitForDeliveries();
  await signIn(context, user);
  await openProfile(page);
  await expect(profileField(page, "email")).toHaveText(user.email);
  await expectPageReady(page);

  const button = syncButton(page);
  const status = page.getByRole("status").and(page.locator('[data-field="sync-status"]'));
  await tabTo(page, button);

  // Clerk holds the request, so the pending state lasts until the test lets go.
  await control("/faults", { body: { api: { mode: "hang" } } });
  await page.keyboard.press("Enter");
  await expect.poll(async () => (await control("/faults")).hung_requests).toBe(1);
  await expect(button).toHaveAccessibleName("Syncing…");
  await expect(button).toHaveAttribute("aria-disabled", "true");
  await expect(status).toHaveText("Syncing with Clerk…");
  expect(await hasFocus(button)).toBe(true);
  await screenshot(page, "10-sync-pending-keyboard");

  // Released, the request completes (or, on a very slow machine, the app's Clerk timeout answers first).
  await control("/faults", { method: "DELETE" });
  await expect(button).toHaveAttribute("aria-disabled", "false");
  await expect(status.filter({ hasText: "Already up to date." }).or(page.getByRole("alert"))).toBeVisible();
  expect(await hasFocus(button)).toBe(true);
});

test("a rate-limited sync counts Retry-After down on the button, ignores presses meanwhile, then re-enables itself", async ({
  page,
  context,
}) => {
  const user = await createUser({ firstName: "Patient" });
  await waitForDeliveries();
  await signIn(context, user);
  // The page's own clock: the countdown moves only when the test moves it, however slow the machine.
  await page.clock.install();
  await openProfile(page);
  await expectPageReady(page);
  await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1_000);

  // Two rate-limited answers armed: the first press uses one; a press during the countdown would use the other.
  await control("/faults", { body: { api: { mode: "429", retry_after: 3, count: 2 } } });
  await page.getByRole("button", { name: "Sync User Data", exact: true }).click();
  await expect(page.getByRole("alert")).toHaveText(/Try again in 3 seconds/);
  const waiting = page.getByRole("button", { name: /^Sync User Data \(wait \d s\)$/ });
  await expect(waiting).toHaveAttribute("aria-disabled", "true");
  await screenshot(page, "11-sync-rate-limited-countdown");
  await waiting.click({ force: true });
  await page.keyboard.press("Enter");

  const ready = page.getByRole("button", { name: "Sync User Data", exact: true });
  await expect(waiting).toHaveAccessibleName("Sync User Data (wait 3 s)");
  await page.clock.fastForward(1_000);
  await expect(waiting).toHaveAccessibleName("Sync User Data (wait 2 s)");
  await page.clock.fastForward(2_000);
  await expect(ready).toHaveAttribute("aria-disabled", "false");
  expect((await control("/faults")).api).toMatchObject({ mode: "429", remaining: 1 });

  await ready.click();
  await expect(waiting).toBeVisible();
  await expect(page.getByRole("alert")).toHaveText(/Try again in 3 seconds/);
  expect((await control("/faults")).api).toBeNull();
  await page.clock.fastForward(3_000);
  await expect(page.getByRole("button", { name: "Sync User Data", exact: true })).toHaveAttribute(
    "aria-disabled",
    "false",
  );
  await page.clock.resume();
  await page.getByRole("button", { name: "Sync User Data", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Already up to date." })).toBeVisible();
});
