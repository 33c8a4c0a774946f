import { expect, test } from "@playwright/test";
import { expectProfileToShow, screenshot } from "./support/pages";
import { control, uniqueEmail, userRow, webhookEvents, world } from "./support/world";

test("a new user signs up, the stand-in fires user.created, and the profile shows the data from SQLite", async ({
  page,
}) => {
  const email = uniqueEmail();
  await page.goto(`${world().appUrl}/sign-up`);
  await expect(page.getByLabel(/email address/i)).toBeVisible();
  await screenshot(page, "04-sign-up");

  await page.getByLabel(/email address/i).fill(email);
  await page.getByLabel(/^password/i).fill("a-long-Sign-up-passw0rd");
  await page.getByRole("button", { name: "Continue", exact: true }).click();

  await expect(page).toHaveURL(/\/profile$/);
  // The row exists only once the webhook has landed: poll the page.
  await expectProfileToShow(page, "email", email);
  await expectProfileToShow(page, "sync-source", "webhook");

  const users = await control<{ data: { id: string; email_addresses: { email_address: string }[] }[] }>(
    `/users?email_address=${encodeURIComponent(email)}`,
  );
  const clerkId = users.data[0].id;
  expect(userRow(clerkId)).toMatchObject({ email, sync_source: "webhook", deleted_at: null });
  expect(webhookEvents(clerkId).map((e) => [e.event_type, e.status])).toContainEqual(["user.created", "processed"]);
});
