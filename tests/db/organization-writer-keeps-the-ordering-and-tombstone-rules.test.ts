import { buildClerkOrganization, buildClerkOrganizationMembership } from "@clerk-sync/clerk-stand-in/testing";
import { describe, expect, it } from "vitest";
import {
  clerkMembershipSchema,
  clerkMembershipToRow,
  clerkOrganizationSchema,
  clerkOrganizationToRow,
} from "~/clerk/clerk-organization";
import { openDatabase, type AppDatabase } from "~/db/db.server";
import {
  tombstoneClerkMembership,
  tombstoneClerkOrganization,
  tombstoneMembershipsOfUser,
  writeClerkMembership,
  writeClerkOrganization,
} from "~/db/organization-writer.server";
import { MAX_CLOCK_SKEW_MS, tombstoneClerkUser } from "~/db/user-writer.server";
import { writeTransaction } from "~/db/write-transaction.server";

const NOW = Date.UTC(2026, 5, 1);
const freshDb = (): AppDatabase => openDatabase({ path: ":memory:", synchronous: "NORMAL", busyTimeoutMs: 1000 });

function organizationAt(id: string, updatedAt: number, name = `Acme ${updatedAt}`) {
  return clerkOrganizationToRow(
    clerkOrganizationSchema.parse(buildClerkOrganization({ id, name, created_at: 1_000, updated_at: updatedAt })),
  );
}

function membershipOf(
  id: string,
  organizationId: string,
  userId: string,
  times: { created: number; updated: number; organizationUpdated?: number },
  role = "org:member",
) {
  const payload = clerkMembershipSchema.parse(
    buildClerkOrganizationMembership({
      id,
      role,
      created_at: times.created,
      updated_at: times.updated,
      organization: buildClerkOrganization({
        id: organizationId,
        created_at: 1_000,
        updated_at: times.organizationUpdated ?? 1_000,
        name: `Acme ${times.organizationUpdated ?? 1_000}`,
      }),
      public_user_data: { ...buildClerkOrganizationMembership().public_user_data, user_id: userId },
    }),
  );
  return { membership: clerkMembershipToRow(payload), organization: clerkOrganizationToRow(payload.organization) };
}

const organizationRow = (db: AppDatabase, id: string) =>
  db.$client.prepare("select * from organizations where clerk_id = ?").get(id) as Record<string, any> | undefined;
const membershipRow = (db: AppDatabase, id: string) =>
  db.$client.prepare("select * from organization_memberships where clerk_id = ?").get(id) as
    Record<string, any> | undefined;

describe("organizations: each one's own updated_at orders its writes, and a deletion is final", () => {
  it("keeps the newest version whatever the order, and says what each write did", () => {
    const db = freshDb();
    const write = (updatedAt: number) =>
      writeTransaction(db, (tx) => writeClerkOrganization(tx, organizationAt("org_a", updatedAt), "webhook", NOW))
        .outcome;
    expect(write(3_000)).toBe("created");
    expect(write(2_000)).toBe("stale");
    expect(write(3_000)).toBe("unchanged");
    expect(write(4_000)).toBe("updated");
    expect(organizationRow(db, "org_a")).toMatchObject({
      name: "Acme 4000",
      clerk_updated_at: 4_000,
      deleted_at: null,
    });
    expect(Object.keys(organizationRow(db, "org_a")!)).not.toContain("members_count");
  });

  it("remembers a deletion that overtook the creation, and never brings the organization back", () => {
    const db = freshDb();
    const deleted = writeTransaction(db, (tx) => tombstoneClerkOrganization(tx, "org_gone", "webhook", NOW));
    expect(deleted).toEqual({ outcome: "deleted", clerkId: "org_gone", membershipsTombstoned: 0 });
    const late = writeTransaction(db, (tx) =>
      writeClerkOrganization(tx, organizationAt("org_gone", 9_000), "webhook", NOW),
    );
    expect(late.outcome).toBe("tombstoned");
    expect(organizationRow(db, "org_gone")).toMatchObject({ name: null, slug: null, deleted_at: NOW });
    expect(writeTransaction(db, (tx) => tombstoneClerkOrganization(tx, "org_gone", "webhook", NOW)).outcome).toBe(
      "already_deleted",
    );
  });

  it("tombstones the organization's memberships in the same transaction, and no other organization's", () => {
    const db = freshDb();
    const a = membershipOf("orgmem_a1", "org_a", "user_1", { created: 2_000, updated: 2_000 });
    const b = membershipOf("orgmem_b1", "org_b", "user_1", { created: 2_000, updated: 2_000 });
    writeTransaction(db, (tx) => {
      writeClerkMembership(tx, a.membership, a.organization, "webhook", NOW);
      writeClerkMembership(tx, b.membership, b.organization, "webhook", NOW);
    });
    const deleted = writeTransaction(db, (tx) => tombstoneClerkOrganization(tx, "org_a", "webhook", NOW));
    expect(deleted.membershipsTombstoned).toBe(1);
    expect(membershipRow(db, "orgmem_a1")).toMatchObject({ deleted_at: NOW, role: null, user_clerk_id: "user_1" });
    expect(membershipRow(db, "orgmem_b1")).toMatchObject({ deleted_at: null, role: "org:member" });
    // A membership event that arrives after its organization's deletion writes nothing.
    const late = membershipOf("orgmem_a2", "org_a", "user_2", { created: 3_000, updated: 3_000 });
    expect(
      writeTransaction(db, (tx) => writeClerkMembership(tx, late.membership, late.organization, "webhook", NOW))
        .outcome,
    ).toBe("organization_deleted");
    expect(membershipRow(db, "orgmem_a2")).toBeUndefined();
  });

  it("refuses an updated_at beyond the clock-skew tolerance", () => {
    const db = freshDb();
    const ahead = organizationAt("org_future", NOW + MAX_CLOCK_SKEW_MS + 1);
    expect(writeTransaction(db, (tx) => writeClerkOrganization(tx, ahead, "webhook", NOW)).outcome).toBe(
      "future_dated",
    );
    expect(organizationRow(db, "org_future")).toBeUndefined();
  });
});

describe("memberships", () => {
  it("writes the organization a membership carries, under the organization's own ordering rule", () => {
    const db = freshDb();
    const early = membershipOf("orgmem_1", "org_m", "user_1", {
      created: 2_000,
      updated: 2_000,
      organizationUpdated: 5_000,
    });
    const first = writeTransaction(db, (tx) =>
      writeClerkMembership(tx, early.membership, early.organization, "webhook", NOW),
    );
    expect(first).toMatchObject({ outcome: "created", organization: { outcome: "created" } });
    expect(organizationRow(db, "org_m")).toMatchObject({ name: "Acme 5000", clerk_updated_at: 5_000 });
    // The organization's own, older event comes late: stale.
    expect(
      writeTransaction(db, (tx) => writeClerkOrganization(tx, organizationAt("org_m", 4_000), "webhook", NOW)).outcome,
    ).toBe("stale");
    const promoted = membershipOf(
      "orgmem_1",
      "org_m",
      "user_1",
      { created: 2_000, updated: 3_000, organizationUpdated: 4_500 },
      "org:admin",
    );
    const second = writeTransaction(db, (tx) =>
      writeClerkMembership(tx, promoted.membership, promoted.organization, "webhook", NOW),
    );
    expect(second).toMatchObject({ outcome: "updated", organization: { outcome: "stale" } });
    expect(membershipRow(db, "orgmem_1")).toMatchObject({ role: "org:admin", clerk_updated_at: 3_000 });
    expect(organizationRow(db, "org_m")).toMatchObject({ clerk_updated_at: 5_000 });
    const older = membershipOf("orgmem_1", "org_m", "user_1", { created: 2_000, updated: 2_500 });
    expect(
      writeTransaction(db, (tx) => writeClerkMembership(tx, older.membership, older.organization, "webhook", NOW))
        .outcome,
    ).toBe("stale");
  });

  it("a late delete of an old membership leaves the same person's newer membership alone", () => {
    const db = freshDb();
    const old = membershipOf("orgmem_old", "org_x", "user_1", { created: 2_000, updated: 2_000 });
    const renewed = membershipOf("orgmem_new", "org_x", "user_1", { created: 5_000, updated: 5_000 });
    writeTransaction(db, (tx) => writeClerkMembership(tx, old.membership, old.organization, "webhook", NOW));
    // The newer membership arrives before the old one's delete: the old one must have ended in Clerk.
    writeTransaction(db, (tx) => writeClerkMembership(tx, renewed.membership, renewed.organization, "webhook", NOW));
    expect(membershipRow(db, "orgmem_old")!.deleted_at).toBe(NOW);
    const lateDelete = writeTransaction(db, (tx) =>
      tombstoneClerkMembership(tx, old.membership, old.organization, "webhook", NOW),
    );
    expect(lateDelete.outcome).toBe("already_deleted");
    expect(membershipRow(db, "orgmem_new")).toMatchObject({ deleted_at: null, role: "org:member" });
  });

  it("keeps an old membership that arrives after the person's newer one as a tombstone, so it never comes back", () => {
    const db = freshDb();
    const old = membershipOf("orgmem_old", "org_x", "user_1", { created: 2_000, updated: 2_000 });
    const renewed = membershipOf("orgmem_new", "org_x", "user_1", { created: 5_000, updated: 5_000 });
    writeTransaction(db, (tx) => writeClerkMembership(tx, renewed.membership, renewed.organization, "webhook", NOW));
    expect(
      writeTransaction(db, (tx) => writeClerkMembership(tx, old.membership, old.organization, "webhook", NOW)).outcome,
    ).toBe("superseded");
    writeTransaction(db, (tx) =>
      tombstoneClerkMembership(tx, renewed.membership, renewed.organization, "webhook", NOW),
    );
    const oldUpdate = membershipOf("orgmem_old", "org_x", "user_1", { created: 2_000, updated: 2_500 });
    expect(
      writeTransaction(db, (tx) =>
        writeClerkMembership(tx, oldUpdate.membership, oldUpdate.organization, "webhook", NOW),
      ).outcome,
    ).toBe("tombstoned");
    const live = db.$client
      .prepare("select count(*) as n from organization_memberships where deleted_at is null")
      .get() as { n: number };
    expect(live.n).toBe(0);
  });

  it("a delete that overtook the creation leaves a tombstone the creation cannot undo", () => {
    const db = freshDb();
    const m = membershipOf("orgmem_d", "org_d", "user_1", { created: 2_000, updated: 2_000 });
    expect(
      writeTransaction(db, (tx) => tombstoneClerkMembership(tx, m.membership, m.organization, "webhook", NOW)).outcome,
    ).toBe("deleted");
    expect(
      writeTransaction(db, (tx) => writeClerkMembership(tx, m.membership, m.organization, "webhook", NOW)).outcome,
    ).toBe("tombstoned");
    expect(membershipRow(db, "orgmem_d")).toMatchObject({
      organization_clerk_id: "org_d",
      user_clerk_id: "user_1",
      role: null,
      deleted_at: NOW,
    });
  });

  it("a deleted user's memberships are tombstoned, and a late one of theirs writes nothing", () => {
    const db = freshDb();
    const a = membershipOf("orgmem_u1", "org_1", "user_gone", { created: 2_000, updated: 2_000 });
    const other = membershipOf("orgmem_u2", "org_1", "user_stays", { created: 2_000, updated: 2_000 });
    writeTransaction(db, (tx) => {
      writeClerkMembership(tx, a.membership, a.organization, "webhook", NOW);
      writeClerkMembership(tx, other.membership, other.organization, "webhook", NOW);
    });
    const tombstoned = writeTransaction(db, (tx) => {
      tombstoneClerkUser(tx, "user_gone", "webhook", NOW);
      return tombstoneMembershipsOfUser(tx, "user_gone", "webhook", NOW);
    });
    expect(tombstoned).toBe(1);
    expect(membershipRow(db, "orgmem_u1")!.deleted_at).toBe(NOW);
    expect(membershipRow(db, "orgmem_u2")!.deleted_at).toBeNull();
    const late = membershipOf("orgmem_u3", "org_2", "user_gone", { created: 3_000, updated: 3_000 });
    expect(
      writeTransaction(db, (tx) => writeClerkMembership(tx, late.membership, late.organization, "webhook", NOW))
        .outcome,
    ).toBe("user_deleted");
    expect(membershipRow(db, "orgmem_u3")).toBeUndefined();
  });
});
