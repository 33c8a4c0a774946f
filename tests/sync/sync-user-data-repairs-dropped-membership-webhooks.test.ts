import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { clerkEvent } from "@clerk-sync/clerk-stand-in/testing";
import { clerkMembershipSchema, clerkMembershipToRow, clerkOrganizationToRow } from "~/clerk/clerk-organization";
import { fetchClerkOrganizationMemberships, fetchClerkUserMemberships } from "~/clerk/clerk-api.server";
import { getDb } from "~/db/db.server";
import { listOrganizationsOfUser } from "~/db/organization-reader.server";
import { writeClerkMembership } from "~/db/organization-writer.server";
import { writeTransaction } from "~/db/write-transaction.server";
import { readClerkConfig } from "~/env.server";
import { syncUserFromClerk } from "~/sync/sync-user.server";
import { signedRequest } from "../support/clerk-webhooks";
import { sqlite } from "../support/db";
import { deliver } from "../support/webhook-route";

/**
 * "Sync User Data" also pulls the signed-in user's memberships, each with its
 * organization, and takes Clerk's list as complete: what a dropped
 * `organizationMembership.*` webhook left undone, it does, and says so. The
 * stand-in here has no webhook endpoint, so every delivery is "dropped".
 */

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

const membershipRow = (id: string) =>
  sqlite().prepare("select * from organization_memberships where clerk_id = ?").get(id) as Record<string, any>;

// A counter, not the clock: two users seeded in one millisecond would share an address, which the stand-in refuses.
let seeded = 0;
function seedUser(firstName: string) {
  const [user] = standIn.store.seed([
    { email_address: [`${firstName.toLowerCase()}-${++seeded}@example.com`], first_name: firstName },
  ]);
  return user;
}

async function expectSync(userId: string, message: string) {
  expect(await syncUserFromClerk(userId)).toMatchObject({ ok: true, message });
}

describe("Sync User Data repairs the memberships whose webhooks were dropped", () => {
  it("adds a membership, changes its role, follows a rename and tombstones a removal, saying each", async () => {
    const ada = seedUser("Ada");
    await expectSync(ada.id, "Profile imported from Clerk.");
    await expectSync(ada.id, "Already up to date.");

    const acme = standIn.organizations.create({ name: "Acme", created_by: ada.id });
    const membershipId = standIn.organizations.getMembership(acme.id, ada.id)!.id;
    await expectSync(ada.id, "Added to Acme as admin.");
    expect(membershipRow(membershipId)).toMatchObject({
      organization_clerk_id: acme.id,
      user_clerk_id: ada.id,
      role: "org:admin",
      deleted_at: null,
      sync_source: "manual",
    });
    expect(listOrganizationsOfUser(ada.id)).toEqual([{ name: "Acme", slug: acme.slug, role: "org:admin" }]);
    await expectSync(ada.id, "Already up to date.");

    standIn.organizations.updateMember(acme.id, ada.id, { role: "org:member" });
    await expectSync(ada.id, "Role in Acme changed to member.");
    expect(membershipRow(membershipId)).toMatchObject({ role: "org:member", deleted_at: null });

    standIn.organizations.update(acme.id, { name: "Acme Inc" });
    await expectSync(ada.id, "Acme is now called Acme Inc.");

    standIn.store.update(ada.id, { first_name: "Augusta" });
    standIn.organizations.removeMember(acme.id, ada.id);
    await expectSync(ada.id, "First name updated. Removed from Acme Inc.");
    expect(membershipRow(membershipId)).toMatchObject({ role: null, deleted_at: expect.any(Number) });
    expect(listOrganizationsOfUser(ada.id)).toEqual([]);
  });

  it("leaves other people's memberships alone, and counts what does not fit on one line", async () => {
    const grace = seedUser("Grace");
    const linus = seedUser("Linus");
    const shared = standIn.organizations.create({ name: "Shared", created_by: linus.id });
    standIn.organizations.addMember(shared.id, grace.id, { role: "org:member" });
    await expectSync(linus.id, "Profile imported from Clerk. Added to Shared as admin.");

    const names = ["B1", "B2", "B3", "B4"];
    for (const name of names) standIn.organizations.create({ name, created_by: grace.id });
    const graceSync = await syncUserFromClerk(grace.id);
    expect(graceSync).toMatchObject({ ok: true, outcome: "created" });
    expect(graceSync.message).toBe(
      "Profile imported from Clerk. Added to B1 as admin. Added to B2 as admin. And 3 more changes.",
    );
    expect(listOrganizationsOfUser(grace.id).map((organization) => organization.name)).toEqual([...names, "Shared"]);

    standIn.organizations.removeMember(shared.id, grace.id);
    await expectSync(grace.id, "Removed from Shared.");
    expect(listOrganizationsOfUser(linus.id)).toEqual([{ name: "Shared", slug: shared.slug, role: "org:admin" }]);
  });

  it("keeps a membership another door wrote after Clerk's list was read, which the list could not have had", async () => {
    const ada = seedUser("Ada");
    const early = standIn.organizations.create({ name: "Early", created_by: ada.id });
    await expectSync(ada.id, "Profile imported from Clerk. Added to Early as admin.");

    // The instant Clerk has answered the listing, Ada joins another organization and its webhook lands.
    const late = standIn.organizations.create({ name: "Late" });
    const stop = standIn.observeBackendApi((event) => {
      if (event.phase !== "answered" || !event.path.endsWith(`/users/${ada.id}/organization_memberships`)) return;
      stop();
      const payload = clerkMembershipSchema.parse(
        standIn.organizations.addMember(late.id, ada.id, { role: "org:member" }),
      );
      writeTransaction(getDb(), (tx) =>
        writeClerkMembership(
          tx,
          clerkMembershipToRow(payload),
          clerkOrganizationToRow(payload.organization),
          "webhook",
        ),
      );
    });
    await expectSync(ada.id, "Already up to date.");
    expect(listOrganizationsOfUser(ada.id).map((organization) => organization.name)).toEqual(["Early", "Late"]);
    await expectSync(ada.id, "Already up to date.");
    expect(early.id).not.toBe(late.id);
  });

  it("a later webhook still orders by updated_at after a manual write: newer wins, older is stale", async () => {
    const ada = seedUser("Ada");
    const acme = standIn.organizations.create({ name: "Ordered", created_by: ada.id });
    const created = standIn.organizations.getMembership(acme.id, ada.id)!;
    await expectSync(ada.id, "Profile imported from Clerk. Added to Ordered as admin.");

    const older = { ...created, role: "org:member", updated_at: created.updated_at - 1_000 };
    expect((await deliver(signedRequest(clerkEvent("organizationMembership.updated", older)))).body).toEqual({
      ok: true,
      outcome: "stale",
    });
    const newer = standIn.organizations.updateMember(acme.id, ada.id, { role: "org:member" });
    expect((await deliver(signedRequest(clerkEvent("organizationMembership.updated", newer)))).body).toEqual({
      ok: true,
      outcome: "updated",
    });
    expect(membershipRow(created.id)).toMatchObject({ role: "org:member", sync_source: "webhook" });
    await expectSync(ada.id, "Already up to date.");
  });
});

describe("a membership listing is read whole, page after page", () => {
  it("follows Clerk's total across pages, for a user and for an organization", async () => {
    const owner = seedUser("Owner");
    const organizations = [1, 2, 3, 4, 5].map((n) =>
      standIn.organizations.create({ name: `Paged ${n}`, created_by: owner.id }),
    );
    for (let n = 0; n < 4; n++)
      standIn.organizations.addMember(organizations[0].id, seedUser(`Member${n}`).id, { role: "org:member" });

    const config = readClerkConfig();
    const ofUser = await fetchClerkUserMemberships(owner.id, config, { pageSize: 2 });
    expect(ofUser.map((listed) => listed.organization.name).sort()).toEqual(organizations.map((o) => o.name).sort());
    const ofOrganization = await fetchClerkOrganizationMemberships(organizations[0].id, config, { pageSize: 2 });
    expect(ofOrganization).toHaveLength(5);
    expect(new Set(ofOrganization.map((listed) => listed.membership.userClerkId)).size).toBe(5);
  });

  it("reads the listing again when a membership ends between two pages, so nobody is skipped", async () => {
    const owner = seedUser("Owner");
    const organization = standIn.organizations.create({ name: "Shifting", created_by: owner.id });
    const members = [0, 1, 2, 3, 4].map((n) => seedUser(`Shift${n}`));
    for (const member of members) standIn.organizations.addMember(organization.id, member.id, { role: "org:member" });

    // Newest first: removing one from the first page, after it was read, would shift another off the second.
    const newest = members.at(-1)!;
    let pages = 0;
    const stop = standIn.observeBackendApi((event) => {
      if (event.phase !== "answered" || !event.path.endsWith(`/organizations/${organization.id}/memberships`)) return;
      if (++pages === 1) standIn.organizations.removeMember(organization.id, newest.id);
    });
    try {
      const listed = await fetchClerkOrganizationMemberships(organization.id, readClerkConfig(), { pageSize: 2 });
      expect(listed.map((entry) => entry.membership.userClerkId).sort()).toEqual(
        [owner, ...members.slice(0, -1)].map((user) => user.id).sort(),
      );
      expect(pages).toBeGreaterThan(3);
    } finally {
      stop();
    }
  });

  it("gives up with a retryable ClerkError (Sync answers 502) when the listing changes under every read", async () => {
    const owner = seedUser("Owner");
    const organization = standIn.organizations.create({ name: "Restless", created_by: owner.id });
    for (let n = 0; n < 3; n++)
      standIn.organizations.addMember(organization.id, seedUser(`Calm${n}`).id, { role: "org:member" });
    const stop = standIn.observeBackendApi((event) => {
      if (event.phase !== "answered" || !event.path.endsWith(`/organizations/${organization.id}/memberships`)) return;
      standIn.organizations.addMember(organization.id, seedUser("Joiner").id, { role: "org:member" });
    });
    try {
      await expect(
        fetchClerkOrganizationMemberships(organization.id, readClerkConfig(), { pageSize: 2 }),
      ).rejects.toMatchObject({ name: "ClerkError", kind: "unavailable", retryable: true });
    } finally {
      stop();
    }
  });
});
