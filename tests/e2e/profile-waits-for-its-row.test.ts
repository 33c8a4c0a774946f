import { expect, test } from "@playwright/test";
import { expectPageReady, openProfile, profileField, screenshot } from "./support/pages";
import { control, createUser, signIn, updateUser, userRow, waitForDeliveries } from "./support/world";

test.afterEach(async () => {
  await control("/faults", { method: "DELETE" });
});

test("a profile whose row has not arrived checks by itself and shows the row the moment a webhook lands", async ({
  page,
  context,
}) => {
  await control("/faults", { body: { deliveries: { drop: 1 } } });
  const user = await createUser({ firstName: "Late" });
  await waitForDeliveries();
  expect(userRow(user.id)).toBeUndefined();

  await signIn(context, user);
  await openProfile(page);
  await expectPageReady(page);
  await expect(profileField(page, "no-row")).toContainText("checks again every few seconds");
  await screenshot(page, "14-profile-waiting-for-row");
  // A marker on this very document: a reload or a navigation would wipe it.
  await page.evaluate(() => ((window as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true));

  // The next change in Clerk is delivered; the writer creates the row from it.
  await updateUser(user.id, { first_name: "Arrived" });
  await waitForDeliveries();
  expect(userRow(user.id)).toMatchObject({ first_name: "Arrived", sync_source: "webhook" });

  await expect(profileField(page, "name")).toContainText("Arrived");
  await expect(profileField(page, "sync-source")).toHaveText("webhook");
  await expect(page.getByRole("status").filter({ hasText: "Your profile has arrived from Clerk." })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
  await screenshot(page, "15-profile-row-arrived");
});

test("after a minute without the row the page stops checking, says so, and Check again starts over", async ({
  page,
  context,
}) => {
  await control("/faults", { body: { deliveries: { drop: 1 } } });
  const user = await createUser({ firstName: "Never" });
  await waitForDeliveries();
  await signIn(context, user);

  // The page's own clock, so the minute passes without the test waiting for it.
  await page.clock.install();
  await openProfile(page);
  await expectPageReady(page);
  await expect(profileField(page, "no-row")).toContainText("checks again every few seconds");
  const checkAgain = page.getByRole("button", { name: "Check again" });
  await expect(async () => {
    await page.clock.fastForward(5_000);
    await expect(checkAgain).toBeVisible({ timeout: 1_000 });
  }).toPass();
  await expect(profileField(page, "no-row")).toContainText("stopped checking");
  // What to do, not a promise that the webhook is still coming.
  await expect(profileField(page, "no-row")).toContainText("Sync User Data");
  await expect(profileField(page, "no-row")).toContainText("npm run sync:all");
  await expect(profileField(page, "no-row")).not.toContainText("has not arrived");
  await screenshot(page, "16-profile-stopped-checking");

  await checkAgain.click();
  await expect(profileField(page, "no-row")).toContainText("checks again every few seconds");
  await expect(checkAgain).toBeHidden();
});
