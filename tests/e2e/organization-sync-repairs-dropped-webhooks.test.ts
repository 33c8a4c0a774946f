import { randomUUID } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { clickSync, expectPageReady, openProfile, profileField, screenshot } from "./support/pages";
import { control, createUser, signIn, waitForDeliveries, world } from "./support/world";

/**
 * A webhook the stand-in drops (`deliveries.drop`) never reaches the app: the
 * pages, which read SQLite, stay behind Clerk until someone syncs. "Sync
 * organization" on /orgs/:slug and "Sync User Data" on the profile pull the
 * missing organization and memberships, say what changed, and the page shows
 * it at once (Remix runs the loaders again after the action).
 */

test.afterEach(async () => {
  await control("/faults", { method: "DELETE" });
});

function memberRow(page: Page, email: string) {
  return page.getByRole("table", { name: "Members" }).locator(`tr[data-member="${email}"]`);
}

function status(page: Page) {
  return page.getByRole("status").and(page.locator('[data-field="sync-status"]'));
}

async function dropNextDeliveries(count: number) {
  await control("/faults", { body: { deliveries: { drop: count } } });
}

test("a member added and then removed while their webhooks were dropped: Sync organization shows each", async ({
  page,
  context,
}) => {
  const ada = await createUser({ firstName: "Ada" });
  const grace = await createUser({ firstName: "Grace" });
  const slug = `sync-club-${randomUUID().slice(0, 8)}`;
  const organization = await control<{ id: string }>("/organizations", {
    body: { name: "Sync Club", slug, created_by: ada.id },
  });
  await waitForDeliveries();
  await signIn(context, ada);
  await page.goto(`${world().appUrl}/orgs/${slug}`);
  await expect(memberRow(page, ada.email)).toBeVisible();

  await dropNextDeliveries(1);
  await control(`/organizations/${organization.id}/memberships`, { body: { user_id: grace.id, role: "org:member" } });
  await waitForDeliveries();
  await page.reload();
  await expectPageReady(page);
  await expect(memberRow(page, ada.email)).toBeVisible();
  await expect(memberRow(page, grace.email)).toHaveCount(0);

  const sync = page.getByRole("button", { name: "Sync organization", exact: true });
  await sync.click();
  await expect(status(page)).toHaveText(/^Added Grace Tester \w+ as member\.$/);
  await expect(memberRow(page, grace.email).locator('[data-field="member-role"]')).toHaveText("member");
  await screenshot(page, "62-organization-sync-added");

  await dropNextDeliveries(1);
  await control(`/organizations/${organization.id}/memberships/${grace.id}`, { method: "DELETE" });
  await waitForDeliveries();
  await page.reload();
  await expect(memberRow(page, grace.email)).toBeVisible();
  // By keyboard, as on the profile: the button keeps focus and the live region says what happened.
  await sync.focus();
  await page.keyboard.press("Enter");
  await expect(status(page)).toHaveText(/^Removed Grace Tester \w+\.$/);
  await expect(memberRow(page, grace.email)).toHaveCount(0);
  await expect(sync).toBeFocused();

  await sync.click();
  await expect(status(page)).toHaveText("Already up to date.");
});

test("an organization created while its webhooks were dropped: Sync User Data adds it to the profile as admin", async ({
  page,
  context,
}) => {
  const ada = await createUser({ firstName: "Ada" });
  await waitForDeliveries();
  await signIn(context, ada);
  await openProfile(page);
  await expect(profileField(page, "email")).toHaveText(ada.email);
  await expect(profileField(page, "no-organizations")).toBeVisible();

  const name = `Dropped ${randomUUID().slice(0, 8)}`;
  // organization.created, then the creator's organizationMembership.created.
  await dropNextDeliveries(2);
  await control("/organizations", { body: { name, created_by: ada.id } });
  await waitForDeliveries();
  await page.reload();
  await expect(profileField(page, "no-organizations")).toBeVisible();

  await clickSync(page);
  await expect(status(page)).toHaveText(`Added to ${name} as admin.`);
  await expect(profileField(page, "organizations").getByRole("listitem")).toHaveText([`${name} (admin)`]);
  await screenshot(page, "63-profile-sync-added-organization");

  // Deleted in Clerk, its webhook dropped: the organization's own Sync finds it gone and says so on the profile.
  const organization = await control<{ id: string; slug: string }>(
    `/organizations?query=${encodeURIComponent(name)}`,
  ).then((list: any) => list.data[0]);
  await profileField(page, "organizations").getByRole("link", { name }).click();
  await expect(page).toHaveURL(`${world().appUrl}/orgs/${organization.slug}`);
  await dropNextDeliveries(1);
  await control(`/organizations/${organization.id}`, { method: "DELETE" });
  await waitForDeliveries();
  await page.getByRole("button", { name: "Sync organization", exact: true }).click();
  await expect(page).toHaveURL(`${world().appUrl}/profile?notice=organization-deleted`);
  await expect(status(page)).toHaveText(
    "That organization has been deleted in Clerk, so it is gone from this app too.",
  );
  await expect(profileField(page, "no-organizations")).toBeVisible();
});
