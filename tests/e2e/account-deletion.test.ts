import { expect, test } from "@playwright/test";
import { assertTombstone } from "../support/tombstone";
import { expectProfileToShow, screenshot } from "./support/pages";
import {
  control,
  createUser,
  sendSignedEvent,
  signIn,
  userRow,
  waitForDeliveries,
  webhookEvents,
  world,
} from "./support/world";

test("a user deleted in Clerk sends user.deleted: the profile says the account is gone, and the session no longer grants access", async ({
  page,
  context,
  request,
}) => {
  const user = await createUser();
  await signIn(context, user);
  await expectProfileToShow(page, "email", user.email);
  const cookies = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");

  await control(`/users/${user.id}`, { method: "DELETE" });
  await waitForDeliveries();
  expect(webhookEvents(user.id).map((e) => e.event_type)).toContain("user.deleted");
  assertTombstone(userRow(user.id));

  // The session token already issued is still valid for its last seconds: the page explains.
  const stillValid = await request.get(`${world().appUrl}/profile`, { headers: { cookie: cookies }, maxRedirects: 0 });
  if (stillValid.status() === 200) {
    expect(await stillValid.text()).toContain("Account deleted");
  }
  // And once the browser's session is checked with Clerk again, it is gone.
  await expect(async () => {
    await page.goto(`${world().appUrl}/profile`);
    await expect(page).toHaveURL(/\/sign-in/, { timeout: 2_000 });
  }).toPass({ timeout: 120_000 });
  await screenshot(page, "08-after-deletion");
});

test("a tombstoned user with a live session is told the account was deleted", async ({ page, context }) => {
  const user = await createUser();
  await signIn(context, user);
  await expectProfileToShow(page, "email", user.email);
  // The webhook says the user is gone while the browser's session still lives.
  const response = await sendSignedEvent("user.deleted", { object: "user", id: user.id, deleted: true });
  expect(response.status).toBe(200);
  await page.reload();
  await expect(page.getByRole("heading", { name: "Account deleted" })).toBeVisible();
  await expect(page.getByRole("alert")).toContainText("personal data has been erased");
  await screenshot(page, "09-account-deleted");
});
