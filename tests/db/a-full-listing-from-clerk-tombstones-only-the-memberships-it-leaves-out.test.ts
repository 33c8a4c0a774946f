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
  tombstoneMembershipById,
  tombstoneMembershipsOfOrganizationExcept,
  tombstoneMembershipsOfUserExcept,
  writeClerkMembership,
} from "~/db/organization-writer.server";
import { writeTransaction } from "~/db/write-transaction.server";

// Sync and the backfill read Clerk's whole list of a user's or an organization's memberships:
// what it leaves out has ended in Clerk, and nothing else may change.

const NOW = Date.UTC(2026, 5, 1);
const LATER = NOW + 60_000;
const freshDb = (): AppDatabase => openDatabase({ path: ":memory:", synchronous: "NORMAL", busyTimeoutMs: 1000 });

function join(db: AppDatabase, id: string, organizationId: string, userId: string) {
  const payload = clerkMembershipSchema.parse(
    buildClerkOrganizationMembership({
      id,
      role: "org:member",
      created_at: 1_000,
      updated_at: 1_000,
      organization: buildClerkOrganization({
        id: organizationId,
        slug: organizationId,
        created_at: 1_000,
        updated_at: 1_000,
      }),
      public_user_data: { ...buildClerkOrganizationMembership().public_user_data, user_id: userId },
    }),
  );
  writeTransaction(db, (tx) =>
    writeClerkMembership(
      tx,
      clerkMembershipToRow(payload),
      clerkOrganizationToRow(clerkOrganizationSchema.parse(payload.organization)),
      "webhook",
      NOW,
    ),
  );
}

const live = (db: AppDatabase) =>
  (
    db.$client
      .prepare("select clerk_id from organization_memberships where deleted_at is null order by clerk_id")
      .all() as { clerk_id: string }[]
  ).map((row) => row.clerk_id);

const row = (db: AppDatabase, id: string) =>
  db.$client
    .prepare(
      "select deleted_at, sync_source, role, organization_clerk_id, user_clerk_id from organization_memberships where clerk_id = ?",
    )
    .get(id) as Record<string, unknown>;

function seed(): AppDatabase {
  const db = freshDb();
  join(db, "orgmem_ann_a", "org_a", "user_ann");
  join(db, "orgmem_ann_b", "org_b", "user_ann");
  join(db, "orgmem_bob_a", "org_a", "user_bob");
  join(db, "orgmem_bob_b", "org_b", "user_bob");
  return db;
}

describe("a user's listing", () => {
  it("tombstones that user's unlisted memberships only, keeping whose membership of which organization it was", () => {
    const db = seed();
    const gone = writeTransaction(db, (tx) =>
      tombstoneMembershipsOfUserExcept(tx, "user_ann", new Set(["orgmem_ann_b"]), "manual", LATER),
    );
    expect(gone).toEqual(["orgmem_ann_a"]);
    expect(live(db)).toEqual(["orgmem_ann_b", "orgmem_bob_a", "orgmem_bob_b"]);
    expect(row(db, "orgmem_ann_a")).toEqual({
      deleted_at: LATER,
      sync_source: "manual",
      role: null,
      organization_clerk_id: "org_a",
      user_clerk_id: "user_ann",
    });
  });

  it("changes nothing when Clerk lists every stored membership, and leaves tombstones as they are", () => {
    const db = seed();
    writeTransaction(db, (tx) => tombstoneMembershipById(tx, "orgmem_ann_a", "webhook", NOW));
    const gone = writeTransaction(db, (tx) =>
      tombstoneMembershipsOfUserExcept(tx, "user_ann", new Set(["orgmem_ann_b"]), "manual", LATER),
    );
    expect(gone).toEqual([]);
    expect(row(db, "orgmem_ann_a")).toMatchObject({ deleted_at: NOW, sync_source: "webhook" });
  });
});

describe("an organization's listing", () => {
  it("tombstones that organization's unlisted memberships only", () => {
    const db = seed();
    const gone = writeTransaction(db, (tx) =>
      tombstoneMembershipsOfOrganizationExcept(tx, "org_a", new Set(), "backfill", LATER),
    );
    expect(gone.sort()).toEqual(["orgmem_ann_a", "orgmem_bob_a"]);
    expect(live(db)).toEqual(["orgmem_ann_b", "orgmem_bob_b"]);
    expect(row(db, "orgmem_bob_a")).toMatchObject({ deleted_at: LATER, sync_source: "backfill" });
  });
});

describe("one membership id", () => {
  it("says whether it tombstoned it now, had already, or never heard of it", () => {
    const db = seed();
    const by = (id: string) => writeTransaction(db, (tx) => tombstoneMembershipById(tx, id, "backfill", LATER));
    expect(by("orgmem_bob_b")).toBe("deleted");
    expect(by("orgmem_bob_b")).toBe("already_deleted");
    expect(by("orgmem_nobody")).toBe("unknown");
    expect(live(db)).toEqual(["orgmem_ann_a", "orgmem_ann_b", "orgmem_bob_a"]);
  });
});
