import { describe, expect, it } from "vitest";
import { openDatabase, type AppDatabase } from "~/db/db.server";
import {
  findOrganizationBySlug,
  isLiveMember,
  listMembersOfOrganization,
  listOrganizationsOfUser,
} from "~/db/organization-reader.server";

const freshDb = (): AppDatabase => openDatabase({ path: ":memory:", synchronous: "NORMAL", busyTimeoutMs: 1000 });

function seed(db: AppDatabase) {
  const user = db.$client.prepare(
    "insert into users (clerk_id, email, first_name, last_name, deleted_at, synced_at, sync_source) values (?, ?, ?, ?, ?, 1, 'webhook')",
  );
  user.run("user_ada", "ada@example.com", "Ada", "Lovelace", null);
  user.run("user_grace", "grace@example.com", "Grace", "Hopper", null);
  user.run("user_gone", null, null, null, 5);
  const organization = db.$client.prepare(
    "insert into organizations (clerk_id, name, slug, clerk_updated_at, deleted_at, synced_at, sync_source) values (?, ?, ?, ?, ?, 1, 'webhook')",
  );
  organization.run("org_acme", "Acme", "acme", 10, null);
  organization.run("org_zeta", "Zeta", "zeta", 10, null);
  organization.run("org_closed", null, null, 10, 20);
  // Clerk freed the slug and another organization took it before the first one's rename arrived.
  organization.run("org_old", "Old Acme", "shared", 10, null);
  organization.run("org_new", "New Acme", "shared", 30, null);
  const membership = db.$client.prepare(
    "insert into organization_memberships (clerk_id, organization_clerk_id, user_clerk_id, role, clerk_created_at, deleted_at, synced_at, sync_source) values (?, ?, ?, ?, ?, ?, 1, 'webhook')",
  );
  membership.run("orgmem_1", "org_acme", "user_ada", "org:admin", 1, null);
  membership.run("orgmem_2", "org_acme", "user_grace", "org:member", 2, null);
  membership.run("orgmem_3", "org_acme", "user_gone", "org:member", 3, null);
  membership.run("orgmem_4", "org_zeta", "user_grace", "org:member", 1, 9); // removed
  membership.run("orgmem_5", "org_zeta", "user_ada", "org:member", 1, null);
  membership.run("orgmem_6", "org_closed", "user_ada", "org:admin", 1, null); // its organization is deleted
}

describe("the organization reader", () => {
  it("lists a user's live memberships of live organizations, by name, with the role in each", () => {
    const db = freshDb();
    seed(db);
    expect(listOrganizationsOfUser("user_ada", db)).toEqual([
      { name: "Acme", slug: "acme", role: "org:admin" },
      { name: "Zeta", slug: "zeta", role: "org:member" },
    ]);
    expect(listOrganizationsOfUser("user_grace", db)).toEqual([{ name: "Acme", slug: "acme", role: "org:member" }]);
    expect(listOrganizationsOfUser("user_nobody", db)).toEqual([]);
  });

  it("lists an organization's live members with their users, oldest first, leaving out deleted users", () => {
    const db = freshDb();
    seed(db);
    expect(listMembersOfOrganization("org_acme", db)).toEqual([
      { userClerkId: "user_ada", firstName: "Ada", lastName: "Lovelace", email: "ada@example.com", role: "org:admin" },
      {
        userClerkId: "user_grace",
        firstName: "Grace",
        lastName: "Hopper",
        email: "grace@example.com",
        role: "org:member",
      },
    ]);
    expect(listMembersOfOrganization("org_closed", db)).toEqual([]);
  });

  it("finds a live organization by slug, the most recently updated of two sharing one, and never a deleted one", () => {
    const db = freshDb();
    seed(db);
    expect(findOrganizationBySlug("acme", db)?.clerkId).toBe("org_acme");
    expect(findOrganizationBySlug("shared", db)?.clerkId).toBe("org_new");
    expect(findOrganizationBySlug("nope", db)).toBeUndefined();
  });

  it("says whether a user is a live member: not after removal, not of a deleted organization, not as a deleted user", () => {
    const db = freshDb();
    seed(db);
    expect(isLiveMember("org_acme", "user_grace", db)).toBe(true);
    expect(isLiveMember("org_zeta", "user_grace", db)).toBe(false);
    expect(isLiveMember("org_closed", "user_ada", db)).toBe(false);
    expect(isLiveMember("org_acme", "user_gone", db)).toBe(false);
    expect(isLiveMember("org_acme", "user_nobody", db)).toBe(false);
  });
});
