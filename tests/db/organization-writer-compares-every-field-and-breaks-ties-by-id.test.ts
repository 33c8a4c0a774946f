import { buildClerkOrganization, buildClerkOrganizationMembership } from "@clerk-sync/clerk-stand-in/testing";
import { describe, expect, it } from "vitest";
import {
  clerkMembershipSchema,
  clerkMembershipToRow,
  clerkOrganizationSchema,
  clerkOrganizationToRow,
  type ClerkOrganizationFields,
} from "~/clerk/clerk-organization";
import { openDatabase, type AppDatabase } from "~/db/db.server";
import { writeClerkMembership, writeClerkOrganization } from "~/db/organization-writer.server";
import type { SyncSource } from "~/db/schema";
import { MAX_CLOCK_SKEW_MS } from "~/db/user-writer.server";
import { writeTransaction } from "~/db/write-transaction.server";

const NOW = Date.UTC(2026, 5, 1);
const freshDb = (): AppDatabase => openDatabase({ path: ":memory:", synchronous: "NORMAL", busyTimeoutMs: 1000 });

function organization(id: string, updatedAt: number): ClerkOrganizationFields {
  return clerkOrganizationToRow(
    clerkOrganizationSchema.parse(
      buildClerkOrganization({
        id,
        name: "Acme",
        slug: "acme",
        image_url: "https://img.example.test/acme.png",
        public_metadata: { plan: "pro" },
        private_metadata: { seats: 10 },
        created_by: "user_founder",
        created_at: 1_000,
        updated_at: updatedAt,
      }),
    ),
  );
}

function membership(id: string, userId: string, createdAt: number, organizationUpdatedAt = 1_000) {
  const payload = clerkMembershipSchema.parse(
    buildClerkOrganizationMembership({
      id,
      role: "org:member",
      created_at: createdAt,
      updated_at: createdAt,
      organization: buildClerkOrganization({ id: "org_m", created_at: 1_000, updated_at: organizationUpdatedAt }),
      public_user_data: { ...buildClerkOrganizationMembership().public_user_data, user_id: userId },
    }),
  );
  return { membership: clerkMembershipToRow(payload), organization: clerkOrganizationToRow(payload.organization) };
}

const writeOrganization = (db: AppDatabase, row: ClerkOrganizationFields, source: SyncSource = "webhook", now = NOW) =>
  writeTransaction(db, (tx) => writeClerkOrganization(tx, row, source, now)).outcome;

const liveMemberships = (db: AppDatabase) =>
  db.$client.prepare("select clerk_id, deleted_at from organization_memberships order by clerk_id").all() as Array<{
    clerk_id: string;
    deleted_at: number | null;
  }>;

describe("an organization with the same updated_at is unchanged only if every field is the same", () => {
  const changes: Array<[keyof ClerkOrganizationFields, string | number | null]> = [
    ["name", "Acme Renamed"],
    ["slug", "acme-2"],
    ["imageUrl", null],
    ["publicMetadata", '{"plan":"free"}'],
    ["privateMetadata", null],
    ["createdBy", "user_other"],
    ["clerkCreatedAt", 999],
  ];

  it("the same payload again is unchanged", () => {
    const db = freshDb();
    expect(writeOrganization(db, organization("org_same", 2_000))).toBe("created");
    expect(writeOrganization(db, organization("org_same", 2_000))).toBe("unchanged");
  });

  it.each(changes)("%s alone differs: updated, and stored", (field, value) => {
    const db = freshDb();
    writeOrganization(db, organization("org_f", 2_000));
    expect(writeOrganization(db, { ...organization("org_f", 2_000), [field]: value })).toBe("updated");
    const stored = db.$client.prepare("select * from organizations where clerk_id = 'org_f'").get() as Record<
      string,
      unknown
    >;
    const column = field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
    expect(stored[column]).toBe(value);
  });
});

describe("a stored updated_at from beyond the clock-skew tolerance", () => {
  const FUTURE = NOW + MAX_CLOCK_SKEW_MS + 60_000;
  // Stored when it was not yet beyond the tolerance: by a clock that ran ahead, or before this one was set back.
  const storedFromTheFuture = () => {
    const db = freshDb();
    expect(writeOrganization(db, organization("org_ahead", FUTURE), "webhook", FUTURE)).toBe("created");
    return db;
  };

  it("yields to Sync and the backfill, which read Clerk's current state", () => {
    const db = storedFromTheFuture();
    expect(writeOrganization(db, organization("org_ahead", NOW), "manual")).toBe("updated");
    const other = storedFromTheFuture();
    expect(writeOrganization(other, organization("org_ahead", NOW), "backfill")).toBe("updated");
    expect(db.$client.prepare("select clerk_updated_at from organizations where clerk_id = 'org_ahead'").get()).toEqual(
      { clerk_updated_at: NOW },
    );
  });

  it("not to a webhook, whose older event is stale as any other", () => {
    const db = storedFromTheFuture();
    expect(writeOrganization(db, organization("org_ahead", NOW), "webhook")).toBe("stale");
  });

  it("a stored updated_at within the tolerance is not from the future: an older Sync is stale", () => {
    const db = freshDb();
    const ahead = NOW + MAX_CLOCK_SKEW_MS;
    writeOrganization(db, organization("org_near", ahead));
    expect(writeOrganization(db, organization("org_near", NOW), "manual")).toBe("stale");
    expect(writeOrganization(db, organization("org_near", NOW), "backfill")).toBe("stale");
  });
});

describe("memberships", () => {
  it("a membership whose organization is refused as future-dated is still written, under its own clock", () => {
    const db = freshDb();
    const m = membership("orgmem_f", "user_1", 2_000, NOW + MAX_CLOCK_SKEW_MS + 1);
    const result = writeTransaction(db, (tx) => writeClerkMembership(tx, m.membership, m.organization, "webhook", NOW));
    expect(result).toEqual({
      outcome: "created",
      clerkId: "orgmem_f",
      organization: { outcome: "future_dated", clerkId: "org_m" },
    });
    expect(db.$client.prepare("select count(*) as n from organizations").get()).toEqual({ n: 0 });
    expect(liveMemberships(db)).toEqual([{ clerk_id: "orgmem_f", deleted_at: null }]);
  });

  it.each([
    ["the smaller id first", ["orgmem_a", "orgmem_b"]],
    ["the larger id first", ["orgmem_b", "orgmem_a"]],
  ])("two memberships of one person created in the same millisecond: the larger id stays live, %s", (_order, ids) => {
    const db = freshDb();
    const outcomes = ids.map((id) => {
      const m = membership(id, "user_1", 3_000);
      return writeTransaction(db, (tx) => writeClerkMembership(tx, m.membership, m.organization, "webhook", NOW))
        .outcome;
    });
    expect(outcomes).toEqual(ids[0] === "orgmem_a" ? ["created", "created"] : ["created", "superseded"]);
    expect(liveMemberships(db)).toEqual([
      { clerk_id: "orgmem_a", deleted_at: NOW },
      { clerk_id: "orgmem_b", deleted_at: null },
    ]);
  });

  it("a stored membership id that comes back for a person with a newer membership becomes a tombstone in place", () => {
    const db = freshDb();
    const write = (m: ReturnType<typeof membership>) =>
      writeTransaction(db, (tx) => writeClerkMembership(tx, m.membership, m.organization, "webhook", NOW)).outcome;
    expect(write(membership("orgmem_old", "user_1", 2_000))).toBe("created");
    expect(write(membership("orgmem_new", "user_2", 5_000))).toBe("created");
    // The same id, now naming user_2, and updated later: user_2's membership created later is the live one.
    const moved = membership("orgmem_old", "user_2", 2_000);
    moved.membership.clerkUpdatedAt = 6_000;
    expect(write(moved)).toBe("superseded");
    expect(liveMemberships(db)).toEqual([
      { clerk_id: "orgmem_new", deleted_at: null },
      { clerk_id: "orgmem_old", deleted_at: NOW },
    ]);
  });
});
