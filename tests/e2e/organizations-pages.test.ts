import { randomUUID } from "node:crypto";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { expectPageReady, openProfile, profileField, screenshot, watchForCspViolations } from "./support/pages";
import { control, createUser, signIn, waitForDeliveries, world, type TestUser } from "./support/world";

/**
 * The organization pages read SQLite, which only Clerk's webhooks fill: each
 * change made in Clerk (here, the stand-in's browser UI or its control API)
 * shows after its delivery has landed and the page is loaded again.
 */

interface Organization {
  id: string;
  slug: string;
}

function organizationLink(page: Page, name: string) {
  return profileField(page, "organizations").getByRole("link", { name });
}

function memberRow(page: Page, email: string) {
  return page.getByRole("table", { name: "Members" }).locator(`tr[data-member="${email}"]`);
}

async function roleInClerk(organizationId: string, userId: string): Promise<string | undefined> {
  const { data } = await control<{ data: { role: string; public_user_data: { user_id: string } }[] }>(
    `/organizations/${organizationId}/memberships`,
  );
  return data.find((membership) => membership.public_user_data.user_id === userId)?.role;
}

/** Loads `path` until `check` holds: the webhook arrives when it arrives. */
async function reloadUntil(page: Page, path: string, check: () => Promise<void>) {
  await expect(async () => {
    await page.goto(`${world().appUrl}${path}`);
    await check();
  }).toPass();
}

async function expectNotFound(page: Page, path: string) {
  const response = await page.goto(`${world().appUrl}${path}`);
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
}

async function signedInPage(browser: Browser, user: TestUser) {
  const context = await browser.newContext();
  await signIn(context, user);
  return { context, page: await context.newPage() };
}

test("an organization made with <CreateOrganization/> from the header's switcher is on the profile as admin; its page follows Clerk's member changes", async ({
  page,
  context,
  browser,
}) => {
  const violations = await watchForCspViolations(page);
  const ada = await createUser({ firstName: "Ada" });
  const grace = await createUser({ firstName: "Grace" });
  await waitForDeliveries();
  await signIn(context, ada);
  await openProfile(page);
  await expectPageReady(page);
  await expect(profileField(page, "no-organizations")).toBeVisible();

  const name = `Acme ${randomUUID().slice(0, 8)}`;
  await page.locator(".cl-organizationSwitcherTrigger").click();
  await page.getByRole("menuitem", { name: "Create organization" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name").fill(name);
  const slug = await dialog.getByLabel("Slug").inputValue();
  expect(slug).toBe(name.toLowerCase().replace(" ", "-"));
  await dialog.getByRole("button", { name: "Create organization" }).click();
  await dialog.getByRole("button", { name: "Skip" }).click();
  await page.waitForURL(`${world().appUrl}/profile`);
  const organization = await control<Organization>(`/organizations/${slug}`);

  await waitForDeliveries();
  await reloadUntil(page, "/profile", () => expect(organizationLink(page, name)).toBeVisible({ timeout: 1_000 }));
  await expect(profileField(page, "organizations").getByRole("listitem")).toHaveText([`${name} (admin)`]);
  await screenshot(page, "60-profile-organizations");

  await control(`/organizations/${organization.id}/memberships`, { body: { user_id: grace.id, role: "org:member" } });
  await waitForDeliveries();
  await organizationLink(page, name).click();
  await expect(page).toHaveURL(`${world().appUrl}/orgs/${slug}`);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(memberRow(page, ada.email).getByRole("rowheader")).toHaveText(/^Ada Tester \w+ \(you\)$/);
  await expect(memberRow(page, ada.email).locator('[data-field="member-role"]')).toHaveText("admin");
  await expect(memberRow(page, grace.email).getByRole("rowheader")).toHaveText(/^Grace Tester \w+$/);
  await expect(memberRow(page, grace.email).locator('[data-field="member-role"]')).toHaveText("member");
  await screenshot(page, "61-organization-members");

  // Clerk's <OrganizationProfile/>, opened from the switcher ("Manage"), changes Grace's role.
  await expectPageReady(page);
  await page.locator(".cl-organizationSwitcherTrigger").click();
  await page.getByRole("menuitem", { name: "Manage" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Members" }).click();
  const graceInClerk = page.getByRole("dialog").getByRole("row").filter({ hasText: grace.email });
  await graceInClerk.getByRole("button", { name: /Member/ }).click();
  await page.locator(".cl-selectOption__role", { hasText: "Admin" }).click();
  await expect.poll(() => roleInClerk(organization.id, grace.id)).toBe("org:admin");
  await page.keyboard.press("Escape");
  await waitForDeliveries();
  await page.reload();
  await expect(memberRow(page, grace.email).locator('[data-field="member-role"]')).toHaveText("admin");

  // Grace, signed in on her own browser, sees the page while she is a member, and a 404 once removed.
  const graceBrowser = await signedInPage(browser, grace);
  await graceBrowser.page.goto(`${world().appUrl}/orgs/${slug}`);
  await expect(memberRow(graceBrowser.page, grace.email).getByRole("rowheader")).toHaveText(/\(you\)$/);

  await control(`/organizations/${organization.id}/memberships/${grace.id}`, { method: "DELETE" });
  await waitForDeliveries();
  await page.reload();
  await expect(memberRow(page, ada.email)).toBeVisible();
  await expect(memberRow(page, grace.email)).toHaveCount(0);
  await expectNotFound(graceBrowser.page, `/orgs/${slug}`);
  await graceBrowser.context.close();

  await control(`/organizations/${organization.id}`, { method: "DELETE" });
  await waitForDeliveries();
  await openProfile(page);
  await expect(profileField(page, "no-organizations")).toBeVisible();
  await expectNotFound(page, `/orgs/${slug}`);
  expect(violations).toEqual([]);
});

test("an organization's page is a 404 for a signed-in outsider and for an unknown slug, and sends a signed-out visitor to sign in", async ({
  page,
  browser,
}) => {
  const owner = await createUser({ firstName: "Owner" });
  const outsider = await createUser({ firstName: "Outsider" });
  const slug = `private-${randomUUID().slice(0, 8)}`;
  await control("/organizations", { body: { name: "Private Club", slug, created_by: owner.id } });
  await waitForDeliveries();

  const ownerBrowser = await signedInPage(browser, owner);
  await ownerBrowser.page.goto(`${world().appUrl}/orgs/${slug}`);
  await expect(memberRow(ownerBrowser.page, owner.email)).toBeVisible();
  await ownerBrowser.context.close();

  const outsiderBrowser = await signedInPage(browser, outsider);
  await expectNotFound(outsiderBrowser.page, `/orgs/${slug}`);
  await expect(outsiderBrowser.page.getByText(owner.email)).toHaveCount(0);
  await expectNotFound(outsiderBrowser.page, `/orgs/no-such-organization-${randomUUID().slice(0, 8)}`);
  await outsiderBrowser.context.close();

  await page.goto(`${world().appUrl}/orgs/${slug}`);
  await expect(page).toHaveURL(`${world().appUrl}/sign-in?redirect_url=${encodeURIComponent(`/orgs/${slug}`)}`);
});
