import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { clerkMembershipSchema, clerkMembershipToRow, clerkOrganizationToRow } from "~/clerk/clerk-organization";
import { getDb } from "~/db/db.server";
import { writeClerkMembership } from "~/db/organization-writer.server";
import { writeTransaction } from "~/db/write-transaction.server";
import { syncOrganizationFromClerk } from "~/sync/sync-organization.server";
import { syncUserFromClerk } from "~/sync/sync-user.server";
import { sqlite } from "../support/db";
import { loadOrganization, postToOrganization } from "../support/organization-action";

/**
 * "Sync organization" on /orgs/:slug pulls the organization and all its
 * memberships from Clerk and writes them through the webhook's writer: a
 * dropped `organization.updated` or `organizationMembership.*` is repaired,
 * and the page (its loader, which Remix runs again after the action) shows it.
 * The stand-in here has no webhook endpoint, so every delivery is "dropped".
 */

const signedIn = vi.hoisted(() => ({ userId: "" }));
vi.mock("~/auth.server", () => ({ requireUserId: async () => signedIn.userId }));

let standIn: ClerkStandIn;
const saved = { ...process.env };
beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
  const env = standIn.env();
  Object.assign(process.env, { CLERK_API_URL: env.CLERK_API_URL, CLERK_SECRET_KEY: env.CLERK_SECRET_KEY });
  process.env.OFFLINE_MODE = "1";
});
afterAll(async () => {
  process.env = saved;
  await standIn?.close();
});

const organizationRow = (id: string) =>
  sqlite().prepare("select * from organizations where clerk_id = ?").get(id) as Record<string, any>;
const membershipRow = (id: string) =>
  sqlite().prepare("select * from organization_memberships where clerk_id = ?").get(id) as Record<string, any>;

let people = 0;
function seedUser(firstName: string, lastName: string) {
  const email = `${firstName.toLowerCase()}-${++people}@example.com`;
  const [user] = standIn.store.seed([{ email_address: [email], first_name: firstName, last_name: lastName }]);
  return { ...user, email };
}

/** Ada, signed in, admin of a new organization, all of it in this app through her own Sync. */
async function adasOrganization(name: string) {
  const ada = seedUser("Ada", "Lovelace");
  const organization = standIn.organizations.create({ name, created_by: ada.id });
  expect(await syncUserFromClerk(ada.id)).toMatchObject({ ok: true });
  signedIn.userId = ada.id;
  return { ada, organization };
}

async function syncOrganization(slug: string) {
  const response = await postToOrganization(slug);
  return { status: response.status, location: response.headers.get("location"), body: await response.text() };
}

async function expectSynced(slug: string, message: string) {
  expect(await syncOrganization(slug)).toEqual({
    status: 200,
    location: null,
    body: JSON.stringify({ ok: true, message }),
  });
}

const memberNames = async (slug: string) =>
  ((await loadOrganization(slug)).members as { name: string | null; role: string }[]).map(
    (member) => `${member.name ?? "—"} (${member.role})`,
  );

describe("Sync organization repairs what dropped webhooks left undone", () => {
  it("a member added, their role changed and their removal, each said and shown on the page", async () => {
    const { organization } = await adasOrganization("Acme");
    await expectSynced(organization.slug, "Already up to date.");

    const grace = seedUser("Grace", "Hopper");
    expect(await syncUserFromClerk(grace.id)).toMatchObject({ ok: true, outcome: "created" });
    const membership = standIn.organizations.addMember(organization.id, grace.id, { role: "org:member" });
    expect(await memberNames(organization.slug)).toEqual(["Ada Lovelace (org:admin)"]);
    await expectSynced(organization.slug, "Added Grace Hopper as member.");
    expect(membershipRow(membership.id)).toMatchObject({ role: "org:member", deleted_at: null, sync_source: "manual" });
    expect(await memberNames(organization.slug)).toEqual(["Ada Lovelace (org:admin)", "Grace Hopper (org:member)"]);

    standIn.organizations.updateMember(organization.id, grace.id, { role: "org:admin" });
    await expectSynced(organization.slug, "Role of Grace Hopper changed to admin.");

    standIn.organizations.removeMember(organization.id, grace.id);
    await expectSynced(organization.slug, "Removed Grace Hopper.");
    expect(membershipRow(membership.id)).toMatchObject({ role: null, deleted_at: expect.any(Number) });
    expect(await memberNames(organization.slug)).toEqual(["Ada Lovelace (org:admin)"]);
  });

  it("a member whose user has not reached this app is stored, listed without name or email, and said so", async () => {
    const { organization } = await adasOrganization("Newcomers");
    const linus = seedUser("Linus", "Torvalds");
    const membership = standIn.organizations.addMember(organization.id, linus.id, { role: "org:member" });
    await expectSynced(organization.slug, "Added a member not yet in this app as member.");
    expect(membershipRow(membership.id)).toMatchObject({ user_clerk_id: linus.id, deleted_at: null });
    expect((await loadOrganization(organization.slug)).members).toContainEqual({
      name: null,
      email: null,
      role: "org:member",
      isYou: false,
    });
  });

  it("a dropped organization.updated: the new name; a new slug moves the page there", async () => {
    const { organization } = await adasOrganization("Renamed");
    standIn.organizations.update(organization.id, { name: "Renamed Inc" });
    await expectSynced(organization.slug, "Renamed to Renamed Inc.");
    expect(organizationRow(organization.id)).toMatchObject({ name: "Renamed Inc", sync_source: "manual" });
    expect((await loadOrganization(organization.slug)).organization).toEqual({
      name: "Renamed Inc",
      slug: organization.slug,
    });

    const moved = `moved-${organization.slug}`;
    standIn.organizations.update(organization.id, { slug: moved });
    expect(await syncOrganization(organization.slug)).toMatchObject({ status: 302, location: `/orgs/${moved}` });
    expect((await loadOrganization(organization.slug)).status).toBe(404);
    expect((await loadOrganization(moved)).organization).toEqual({ name: "Renamed Inc", slug: moved });
  });

  it("a rename and a member change in one click are said in one message, the rename first", async () => {
    const { organization } = await adasOrganization("Both");
    const grace = seedUser("Grace", "Hopper");
    expect(await syncUserFromClerk(grace.id)).toMatchObject({ ok: true, outcome: "created" });
    standIn.organizations.update(organization.id, { name: "Both Inc" });
    standIn.organizations.addMember(organization.id, grace.id, { role: "org:member" });
    await expectSynced(organization.slug, "Renamed to Both Inc. Added Grace Hopper as member.");
  });

  it("an organization this app has not stored yet is pulled whole, and is not said to be renamed", async () => {
    // Its creator is not in this app either: nothing stored names the organization before this click.
    const stranger = seedUser("Linus", "Torvalds");
    const organization = standIn.organizations.create({ name: "Unseen", created_by: stranger.id });
    expect(organizationRow(organization.id)).toBeUndefined();
    expect(await syncOrganizationFromClerk(organization.id)).toEqual({
      ok: true,
      outcome: "synced",
      message: "Added a member not yet in this app as admin.",
    });
    expect(organizationRow(organization.id)).toMatchObject({ name: "Unseen", deleted_at: null });
  });

  it("an organization Clerk answers 404 for is said to be deleted, by its stored name or as 'This organization'", async () => {
    const { organization } = await adasOrganization("Vanished");
    standIn.organizations.delete(organization.id);
    expect(await syncOrganizationFromClerk(organization.id)).toEqual({
      ok: true,
      outcome: "deleted",
      message: "Vanished has been deleted in Clerk, so it is gone from this app too.",
    });
    expect(organizationRow(organization.id)).toMatchObject({ name: null, deleted_at: expect.any(Number) });

    // Already a tombstone, or never stored at all: no live row has a name to say.
    for (const id of [organization.id, "org_never_stored_here"])
      expect(await syncOrganizationFromClerk(id)).toEqual({
        ok: true,
        outcome: "deleted",
        message: "This organization has been deleted in Clerk, so it is gone from this app too.",
      });
    expect(organizationRow("org_never_stored_here")).toMatchObject({ deleted_at: expect.any(Number) });
  });

  it("keeps a membership of this organization another door wrote after Clerk's list was read, and leaves other organizations' alone", async () => {
    const { ada, organization } = await adasOrganization("Busy");
    const grace = seedUser("Grace", "Hopper");
    const linus = seedUser("Linus", "Torvalds");
    for (const user of [grace, linus]) expect(await syncUserFromClerk(user.id)).toMatchObject({ ok: true });
    const graceMembership = standIn.organizations.addMember(organization.id, grace.id, { role: "org:member" });
    await expectSynced(organization.slug, "Added Grace Hopper as member.");
    const elsewhere = standIn.organizations.create({ name: "Elsewhere", created_by: ada.id });

    // Grace leaves (that webhook is dropped). The instant Clerk has answered the listing, Linus joins this
    // organization and Ada joins another, and both webhooks land.
    standIn.organizations.removeMember(organization.id, grace.id);
    const webhookWrites = (payload: unknown) => {
      const parsed = clerkMembershipSchema.parse(payload);
      writeTransaction(getDb(), (tx) =>
        writeClerkMembership(tx, clerkMembershipToRow(parsed), clerkOrganizationToRow(parsed.organization), "webhook"),
      );
      return parsed.id;
    };
    let linusMembership = "";
    let adaElsewhere = "";
    const stop = standIn.observeBackendApi((event) => {
      if (event.phase !== "answered" || !event.path.endsWith(`/organizations/${organization.id}/memberships`)) return;
      stop();
      linusMembership = webhookWrites(
        standIn.organizations.addMember(organization.id, linus.id, { role: "org:member" }),
      );
      adaElsewhere = webhookWrites(standIn.organizations.getMembership(elsewhere.id, ada.id));
    });
    await expectSynced(organization.slug, "Removed Grace Hopper.");
    expect(membershipRow(linusMembership)).toMatchObject({ deleted_at: null, sync_source: "webhook" });
    expect(membershipRow(graceMembership.id)).toMatchObject({ deleted_at: expect.any(Number), sync_source: "manual" });
    expect(membershipRow(adaElsewhere)).toMatchObject({ organization_clerk_id: elsewhere.id, deleted_at: null });
    expect(await memberNames(organization.slug)).toEqual(["Ada Lovelace (org:admin)", "Linus Torvalds (org:member)"]);
    await expectSynced(organization.slug, "Already up to date.");
  });

  it("an organization deleted in Clerk is tombstoned with its memberships, and the user is sent to the profile", async () => {
    const { ada, organization } = await adasOrganization("Doomed");
    const membershipId = standIn.organizations.getMembership(organization.id, ada.id)!.id;
    standIn.organizations.delete(organization.id);
    expect(await syncOrganization(organization.slug)).toMatchObject({
      status: 302,
      location: "/profile?notice=organization-deleted",
    });
    expect(organizationRow(organization.id)).toMatchObject({ name: null, deleted_at: expect.any(Number) });
    expect(membershipRow(membershipId)).toMatchObject({ deleted_at: expect.any(Number) });
    expect((await loadOrganization(organization.slug)).status).toBe(404);
  });

  it("a user Clerk no longer lists as a member is sent to the profile, and the page is a 404 for them", async () => {
    const { ada, organization } = await adasOrganization("Left");
    const grace = seedUser("Grace", "Hopper");
    standIn.organizations.addMember(organization.id, grace.id, { role: "org:admin" });
    standIn.organizations.removeMember(organization.id, ada.id);
    expect(await syncOrganization(organization.slug)).toMatchObject({
      status: 302,
      location: "/profile?notice=left-organization",
    });
    expect((await loadOrganization(organization.slug)).status).toBe(404);
  });
});
