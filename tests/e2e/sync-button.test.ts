import { expect, test } from "@playwright/test";
import { clickSync, expectProfileToShow, openProfile, profileField, screenshot } from "./support/pages";
import { control, createUser, signIn, updateUser, userRow, waitForDeliveries, world } from "./support/world";

test.afterEach(async () => {
  await control("/faults", { method: "DELETE" });
});

test("a dropped delivery leaves the profile stale, and Sync User Data pulls the fresh data and says so", async ({
  page,
  context,
}) => {
  const user = await createUser();
  await signIn(context, user);
  await expectProfileToShow(page, "email", user.email);

  const newEmail = `fresh-${user.email}`;
  await control("/faults", { body: { deliveries: { drop: 1 } } });
  await updateUser(user.id, { primary_email_address: newEmail });
  await waitForDeliveries();

  await page.reload();
  await expect(profileField(page, "email")).toHaveText(user.email);
  expect(userRow(user.id)!.email).toBe(user.email);

  await clickSync(page);
  await expect(page.getByRole("status").filter({ hasText: "Email updated." })).toBeVisible();
  await expect(profileField(page, "email")).toHaveText(newEmail);
  await expect(profileField(page, "sync-source")).toHaveText("Sync User Data");
  expect(userRow(user.id)).toMatchObject({ email: newEmail, sync_source: "manual" });
  await screenshot(page, "05-sync-success");

  const lastSynced = await profileField(page, "synced").textContent();
  await clickSync(page);
  await expect(page.getByRole("status").filter({ hasText: "Already up to date." })).toBeVisible();
  // The check is shown as a check; the row did not change, so neither does "last synced".
  await expect(profileField(page, "checked")).toHaveText("checked just now");
  expect(await profileField(page, "synced").textContent()).toContain(lastSynced!.split(" by ")[0]);
  await screenshot(page, "05b-sync-checked-unchanged");
});

test("when Clerk answers 500, then 429, then hangs, the sync button shows each error and the row is unchanged", async ({
  page,
  context,
}) => {
  const user = await createUser();
  await signIn(context, user);
  await expectProfileToShow(page, "email", user.email);
  const before = userRow(user.id);

  await control("/faults", { body: { api: { mode: "500" } } });
  await clickSync(page);
  await expect(page.getByRole("alert")).toHaveText(/Clerk is unavailable right now\. Your data is unchanged/);
  await screenshot(page, "06-sync-error");
  expect(userRow(user.id)).toEqual(before);

  await control("/faults", { body: { api: { mode: "429", retry_after: 2 } } });
  await clickSync(page);
  await expect(page.getByRole("alert")).toHaveText(/rate limited\)\. Try again in 2 seconds/);
  expect(userRow(user.id)).toEqual(before);
  // The button counts Retry-After down before it can be pressed again.
  await expect(page.getByRole("button", { name: "Sync User Data", exact: true })).toBeEnabled();

  await control("/faults", { body: { api: { mode: "hang" } } });
  await clickSync(page);
  // Pending state while the request is out.
  await expect(page.getByRole("button", { name: "Syncing…" })).toBeDisabled();
  await expect(page.getByRole("alert")).toHaveText(/did not answer in time/);
  expect(userRow(user.id)).toEqual(before);
});

test("a GET of the profile never calls Clerk, and the synced user is always the session's own", async ({
  page,
  context,
  request,
}) => {
  const me = await createUser({ firstName: "Me" });
  const other = await createUser({ firstName: "Other" });
  await waitForDeliveries();
  await signIn(context, me);

  // One Clerk failure armed: a GET that called Clerk would use it up.
  await control("/faults", { body: { api: { mode: "500", count: 1 } } });
  await openProfile(page);
  await page.goto(`${world().appUrl}/profile?intent=sync`);
  await expect(page.getByRole("heading", { name: "Your profile" })).toBeVisible();
  expect((await control("/faults")).api).toMatchObject({ mode: "500", remaining: 1 });
  await control("/faults", { method: "DELETE" });

  // The other user changes while their webhook is dropped; my form names their id.
  await control("/faults", { body: { deliveries: { drop: 1 } } });
  await updateUser(other.id, { first_name: "Changed" });
  await waitForDeliveries();
  const cookies = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const response = await request.post(`${world().appUrl}/profile?index`, {
    form: { intent: "sync", userId: other.id, user_id: other.id },
    headers: { cookie: cookies },
  });
  expect(response.status()).toBe(200);
  expect(userRow(other.id)!.first_name).toBe("Other");
  expect(userRow(me.id)!.first_name).toBe("Me");
});

test("a signed-in user whose row has not arrived yet is told so and can sync it", async ({ page, context }) => {
  await control("/faults", { body: { deliveries: { drop: 1 } } });
  const user = await createUser({ firstName: "Early" });
  await waitForDeliveries();
  expect(userRow(user.id)).toBeUndefined();

  await signIn(context, user);
  await openProfile(page);
  await expect(profileField(page, "no-row")).toContainText("has not reached this app yet");
  await screenshot(page, "07-profile-no-row");
  await clickSync(page);
  await expect(page.getByRole("status").filter({ hasText: "Profile imported from Clerk." })).toBeVisible();
  await expect(profileField(page, "email")).toHaveText(user.email);
});
