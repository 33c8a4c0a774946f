import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import { startClerkStandIn, type ClerkStandIn } from "../src/server.js";
import { startClerkTestPage, type ClerkTestPage } from "./frontend-browser-page.js";
import { startWebhookReceiver } from "./support/webhook-receiver.js";

/**
 * Clerk's own `<CreateOrganization/>` and `<OrganizationSwitcher/>` (clerk-js
 * 5, served by the stand-in) against the stand-in's Frontend API: an
 * organization made in the browser is in the store with its creator as admin
 * and reaches the app as webhooks, and the organization chosen in the
 * switcher is the one the session token names.
 */

const DEMO = { email: "demo@clerk-sync.local", password: "clerk-sync-demo" };

let standIn: ClerkStandIn;
let app: ClerkTestPage;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let demoId: string;
let outsideRequests: string[] = [];

test.beforeAll(async () => {
  receiver = await startWebhookReceiver();
  standIn = await startClerkStandIn({
    publishableKeyKind: "live",
    frontendHost: (url) => new URL(url).host,
    webhookUrls: [receiver.url],
  });
  [{ id: demoId }] = standIn.store.seed([
    { email_address: [DEMO.email], password: DEMO.password, first_name: "Demo", last_name: "User" },
  ]);
  const env = standIn.env();
  app = await startClerkTestPage({
    publishableKey: env.CLERK_PUBLISHABLE_KEY,
    proxyUrl: env.CLERK_PROXY_URL,
    clerkJsUrl: env.CLERK_JS,
  });
  standIn.allowOrigin(app.origin);
});

test.afterAll(async () => {
  await app?.close();
  await standIn?.close();
  await receiver?.close();
});

test.beforeEach(async ({ context, request }) => {
  outsideRequests = [];
  await context.route(
    (url) => !["localhost", "127.0.0.1", "[::1]"].includes(url.hostname) && url.protocol !== "data:",
    (route) => {
      outsideRequests.push(route.request().url());
      return route.abort();
    },
  );
  const response = await request.post(`${standIn.env().CLERK_PROXY_URL}/_testing/sign-in`, {
    data: { identifier: DEMO.email, origin: app.origin },
    headers: { authorization: `Bearer ${standIn.controlToken}` },
  });
  expect(response.status()).toBe(200);
  await context.addCookies(
    ((await response.json()) as { cookies: Parameters<BrowserContext["addCookies"]>[0] }).cookies,
  );
});

test.afterEach(() => {
  expect(outsideRequests, "requests that tried to leave the machine").toEqual([]);
});

interface ClerkState {
  userId: string | null;
  organizationId: string | null;
}

async function clerkState(page: Page): Promise<ClerkState> {
  const state = page.locator("#clerk-state[data-loaded='true']");
  await expect(state).toBeVisible();
  return JSON.parse((await state.textContent()) ?? "{}") as ClerkState;
}

/** The active organization the app's server would read from the browser's `__session` cookie. */
async function tokenOrganization(context: BrowserContext): Promise<unknown> {
  const session = (await context.cookies(app.origin)).find((cookie) => cookie.name === "__session")?.value;
  if (!session) return undefined;
  return JSON.parse(Buffer.from(session.split(".")[1], "base64url").toString("utf8")).o ?? null;
}

test("<CreateOrganization/> creates an organization whose creator is its admin; the app hears both webhooks", async ({
  page,
  context,
}) => {
  await page.goto(`${app.origin}/create-org`);
  await page.getByLabel("Name").fill("Acme Rockets");
  await expect(page.getByLabel("Slug")).toHaveValue("acme-rockets");
  await page.getByRole("button", { name: "Create organization" }).click();

  await expect.poll(() => standIn.organizations.get("acme-rockets")?.name).toBe("Acme Rockets");
  const org = standIn.organizations.get("acme-rockets")!;
  expect(org.created_by).toBe(demoId);
  expect(standIn.organizations.getMembership(org.id, demoId)?.role).toBe("org:admin");

  // Clerk makes the new organization the active one, then offers to invite members (with the roles it fetched).
  await expect.poll(async () => (await clerkState(page)).organizationId).toBe(org.id);
  await expect.poll(() => tokenOrganization(context)).toEqual({ id: org.id, rol: "admin", slg: "acme-rockets" });
  await expect(page.getByRole("heading", { name: "Invite new members" })).toBeVisible();
  await page.getByRole("button", { name: /Select role/ }).click();
  // The role picker lists the two roles the stand-in answered `GET /organizations/:id/roles` with.
  await expect(page.getByText("Member", { exact: true })).toBeVisible();
  await expect(page.getByText("Admin", { exact: true })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("created-organization.png") });
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Skip" }).click();
  await page.waitForURL(`${app.origin}/orgs`);
  await expect(page.locator(".cl-organizationSwitcherTrigger")).toContainText("Acme Rockets");

  await standIn.deliveries.waitForIdle();
  const delivered = receiver.received.map((delivery) => JSON.parse(delivery.rawBody) as { type: string; data: any });
  expect(delivered.find((event) => event.type === "organization.created")?.data).toMatchObject({
    id: org.id,
    created_by: demoId,
    members_count: 1,
  });
  expect(delivered.find((event) => event.type === "organizationMembership.created")?.data).toMatchObject({
    role: "org:admin",
    organization: { id: org.id },
    public_user_data: { user_id: demoId, identifier: DEMO.email },
  });
});

test("<OrganizationSwitcher/> lists the user's organizations and switches the session's active one", async ({
  page,
  context,
}) => {
  const first = standIn.organizations.create({ name: "First Light", slug: "first-light", created_by: demoId });
  const second = standIn.organizations.create({ name: "Second Wind", slug: "second-wind" });
  standIn.organizations.addMember(second.id, demoId, { role: "org:member" });

  await page.goto(`${app.origin}/orgs`);
  const trigger = page.locator(".cl-organizationSwitcherTrigger");
  await expect(trigger).toBeVisible();
  await trigger.click();
  await page.getByRole("menuitem", { name: /First Light/ }).click();
  await expect.poll(async () => (await clerkState(page)).organizationId).toBe(first.id);
  await expect(trigger).toContainText("First Light");
  await expect.poll(() => tokenOrganization(context)).toEqual({ id: first.id, rol: "admin", slg: "first-light" });

  await trigger.click();
  await page.getByRole("menuitem", { name: /Second Wind/ }).click();
  await expect.poll(async () => (await clerkState(page)).organizationId).toBe(second.id);
  await expect.poll(() => tokenOrganization(context)).toEqual({ id: second.id, rol: "member", slg: "second-wind" });
  await expect(trigger).toContainText("Second Wind");
  await trigger.click();
  await expect(page.getByRole("menuitem", { name: /First Light/ })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("switched-organization.png") });
  await page.getByRole("menuitem", { name: /Personal account/ }).click();
  await expect.poll(async () => (await clerkState(page)).organizationId).toBeNull();
  await expect.poll(() => tokenOrganization(context)).toBeNull();
});

test("<OrganizationProfile/> lists the members; an admin changes a role and removes a member, and the app hears it", async ({
  page,
}) => {
  const org = standIn.organizations.create({ name: "Profiled", slug: "profiled", created_by: demoId });
  const grace = standIn.store.create({
    email_address: ["grace.profile@example.com"],
    first_name: "Grace",
    last_name: "Hopper",
  });
  standIn.organizations.addMember(org.id, grace.id, { role: "org:member" });

  // The profile is the active organization's: the session keeps it across the page load.
  await page.goto(`${app.origin}/orgs`);
  await expect.poll(async () => (await clerkState(page)).userId).toBe(demoId);
  await page.evaluate((id) => (window as any).Clerk.setActive({ organization: id }), org.id);
  await expect.poll(async () => (await clerkState(page)).organizationId).toBe(org.id);
  await page.goto(`${app.origin}/org-profile`);
  await expect.poll(async () => (await clerkState(page)).organizationId).toBe(org.id);

  await page.getByRole("button", { name: "Members" }).click();
  const row = page.getByRole("row", { name: /grace\.profile@example\.com/ });
  await expect(row).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("organization-members.png") });
  await row.getByRole("button", { name: /Member/ }).click();
  // The role picker's options (Clerk's own element classes name them).
  await page.locator(".cl-selectOption__role", { hasText: "Admin" }).click();
  await expect.poll(() => standIn.organizations.getMembership(org.id, grace.id)?.role).toBe("org:admin");

  await row.getByRole("button", { name: "Open menu" }).click();
  await page.getByRole("menuitem", { name: /Remove member/ }).click();
  await expect.poll(() => standIn.organizations.getMembership(org.id, grace.id)).toBeUndefined();
  await expect(row).toHaveCount(0);

  await standIn.deliveries.waitForIdle();
  const types = standIn.deliveries.records({ organization_id: org.id, user_id: grace.id }).map((record) => record.type);
  expect(types).toEqual([
    "organizationMembership.created",
    "organizationMembership.updated",
    "organizationMembership.deleted",
  ]);
});
