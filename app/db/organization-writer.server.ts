import { and, eq, getTableColumns, isNull, ne, sql } from "drizzle-orm";
import type { ClerkMembershipFields, ClerkOrganizationFields } from "~/clerk/clerk-organization";
import {
  organizationMemberships,
  organizations,
  type OrganizationMembershipRow,
  type OrganizationRow,
  type SyncSource,
} from "./schema";
import { preparedQueries, type QueryRunner } from "./db.server";
import { findUserByClerkId } from "./user-reader.server";
import { isBeyondClockSkew } from "./user-writer.server";
import type { WriteTransaction } from "./write-transaction.server";

/**
 * The one writer of `organizations` and `organization_memberships`, for every
 * door. The rules, and what Clerk's payloads do and don't carry, are decision
 * 008 (docs/decisions/008-organizations-and-memberships.md):
 *   - each object's own `updated_at` orders its writes; older never overwrites newer;
 *   - a delete is final: an organization or membership id, once tombstoned, never comes back;
 *   - a membership is written only while its organization and its user are not deleted;
 *   - at most one live membership per person and organization: of two, the one
 *     created earlier must have ended in Clerk, so it becomes a tombstone.
 * Every function takes the caller's transaction (BEGIN IMMEDIATE, see
 * write-transaction.server.ts), so a delivery's ledger row and its writes commit together.
 */

export type OrganizationWriteOutcome =
  | "created" // a new row
  | "updated" // newer data replaced older
  | "unchanged" // the same data was already stored
  | "stale" // older than what is stored: ignored
  | "tombstoned" // deleted earlier: ignored
  | "future_dated" // updated_at beyond the clock-skew tolerance: refused (decision 006)
  | "deleted" // tombstoned now
  | "already_deleted";

export type MembershipWriteOutcome =
  | OrganizationWriteOutcome
  | "organization_deleted" // its organization is a tombstone: nothing written
  | "user_deleted" // its user is a tombstone: nothing written
  | "superseded"; // the same person has a membership created later, so this one ended in Clerk: kept as a tombstone

export interface OrganizationWriteResult {
  outcome: OrganizationWriteOutcome;
  clerkId: string;
}

export interface MembershipWriteResult {
  outcome: MembershipWriteOutcome;
  clerkId: string;
  /** What the organization the payload carried did. */
  organization: OrganizationWriteResult;
}

type Versioned = { clerkCreatedAt: number | null; clerkUpdatedAt: number | null; deletedAt: number | null };
type Incoming = { clerkCreatedAt: number; clerkUpdatedAt: number };

// The button and the backfill read Clerk's current state: it wins over a stored key from the future (decision 006).
const READS_CURRENT_STATE: ReadonlySet<SyncSource> = new Set(["manual", "backfill"]);

/** The ordering, tombstone and clock-skew rules for one object, the same as decideUserWrite's for users. */
function decideWrite<T extends Incoming>(
  existing: Versioned | undefined,
  incoming: T,
  comparedFields: readonly (keyof T & string)[],
  source: SyncSource,
  now: number,
): OrganizationWriteOutcome {
  if (isBeyondClockSkew(incoming.clerkUpdatedAt, now)) return "future_dated";
  if (!existing) return "created";
  if (existing.deletedAt !== null) return "tombstoned";
  const storedKeyFromTheFuture =
    existing.clerkUpdatedAt !== null &&
    isBeyondClockSkew(existing.clerkUpdatedAt, now) &&
    READS_CURRENT_STATE.has(source);
  if (existing.clerkUpdatedAt !== null && incoming.clerkUpdatedAt < existing.clerkUpdatedAt && !storedKeyFromTheFuture)
    return "stale";
  const same =
    comparedFields.every((field) => (existing as Record<string, unknown>)[field] === incoming[field]) &&
    existing.clerkUpdatedAt === incoming.clerkUpdatedAt &&
    existing.clerkCreatedAt === incoming.clerkCreatedAt;
  return same ? "unchanged" : "updated";
}

const WRITER_COLUMNS = ["id", "deletedAt", "syncedAt", "syncSource"] as const;
const KEY_COLUMNS = ["clerkId", "clerkCreatedAt", "clerkUpdatedAt"] as const;
type WriterColumn = (typeof WRITER_COLUMNS)[number];

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Checked by `tsc`: the payload mappings fill exactly Clerk's columns of each table, so none is silently left out. */
export type ClerkFieldsFillClerksColumns = Assert<
  Same<keyof ClerkOrganizationFields, Exclude<keyof OrganizationRow, WriterColumn>>
> &
  Assert<Same<keyof ClerkMembershipFields, Exclude<keyof OrganizationMembershipRow, WriterColumn>>>;

/** Clerk's columns other than the ids and timestamps: what a change is compared on, and what a tombstone erases. */
function profileColumnsOf<Row extends object>(table: Parameters<typeof getTableColumns>[0], kept: readonly string[]) {
  const skipped = new Set<string>([...WRITER_COLUMNS, ...KEY_COLUMNS, ...kept]);
  return Object.keys(getTableColumns(table)).filter((column) => !skipped.has(column)) as (keyof Row & string)[];
}
const ORGANIZATION_FIELDS = profileColumnsOf<ClerkOrganizationFields>(organizations, []);
// A membership tombstone keeps whose membership of which organization it was.
const MEMBERSHIP_FIELDS = profileColumnsOf<ClerkMembershipFields>(organizationMemberships, [
  "organizationClerkId",
  "userClerkId",
]);
const erased = (fields: readonly string[]) => Object.fromEntries(fields.map((field) => [field, null]));

// Prepared once per connection (see preparedQueries), as the user reader's are: building and compiling
// them on every call was most of a membership delivery's time (docs/benchmarks.md).
const reads = (db: QueryRunner) => ({
  organization: db
    .select()
    .from(organizations)
    .where(eq(organizations.clerkId, sql.placeholder("clerkId")))
    .prepare(),
  membership: db
    .select()
    .from(organizationMemberships)
    .where(eq(organizationMemberships.clerkId, sql.placeholder("clerkId")))
    .prepare(),
  samePerson: db
    .select()
    .from(organizationMemberships)
    .where(
      and(
        eq(organizationMemberships.organizationClerkId, sql.placeholder("organizationClerkId")),
        eq(organizationMemberships.userClerkId, sql.placeholder("userClerkId")),
        isNull(organizationMemberships.deletedAt),
        ne(organizationMemberships.clerkId, sql.placeholder("clerkId")),
      ),
    )
    .prepare(),
});

function findOrganization(tx: WriteTransaction, clerkId: string): OrganizationRow | undefined {
  return preparedQueries(tx as unknown as QueryRunner, reads).organization.get({ clerkId });
}

function findMembership(tx: WriteTransaction, clerkId: string): OrganizationMembershipRow | undefined {
  return preparedQueries(tx as unknown as QueryRunner, reads).membership.get({ clerkId });
}

/** `organization.created` / `updated`, and the organization every membership payload carries. */
export function writeClerkOrganization(
  tx: WriteTransaction,
  incoming: ClerkOrganizationFields,
  source: SyncSource,
  now: number = Date.now(),
): OrganizationWriteResult {
  const existing = findOrganization(tx, incoming.clerkId);
  const outcome = decideWrite(existing, incoming, ORGANIZATION_FIELDS, source, now);
  const written = { ...incoming, syncedAt: now, syncSource: source };
  if (outcome === "created") tx.insert(organizations).values(written).run();
  if (outcome === "updated")
    tx.update(organizations).set(written).where(eq(organizations.clerkId, incoming.clerkId)).run();
  return { outcome, clerkId: incoming.clerkId };
}

/**
 * `organization.deleted`: the organization and all its live memberships become
 * tombstones, in the caller's one transaction. A deletion that overtook the
 * creation inserts the tombstone, so the late creation cannot bring it back.
 */
export function tombstoneClerkOrganization(
  tx: WriteTransaction,
  clerkId: string,
  source: SyncSource,
  now: number = Date.now(),
): OrganizationWriteResult & { membershipsTombstoned: number } {
  const tombstone = { ...erased(ORGANIZATION_FIELDS), deletedAt: now, syncedAt: now, syncSource: source };
  const existing = findOrganization(tx, clerkId);
  let outcome: OrganizationWriteOutcome = "deleted";
  if (!existing)
    tx.insert(organizations)
      .values({ clerkId, ...tombstone })
      .run();
  else if (existing.deletedAt !== null) outcome = "already_deleted";
  else tx.update(organizations).set(tombstone).where(eq(organizations.clerkId, clerkId)).run();
  const membershipsTombstoned = tombstoneLiveMemberships(
    tx,
    eq(organizationMemberships.organizationClerkId, clerkId),
    source,
    now,
  );
  return { outcome, clerkId, membershipsTombstoned };
}

function tombstoneLiveMemberships(
  tx: WriteTransaction,
  which: ReturnType<typeof eq>,
  source: SyncSource,
  now: number,
): number {
  return tx
    .update(organizationMemberships)
    .set({ ...erased(MEMBERSHIP_FIELDS), deletedAt: now, syncedAt: now, syncSource: source })
    .where(and(which, isNull(organizationMemberships.deletedAt)))
    .run().changes;
}

/** `user.deleted`: every live membership of that user becomes a tombstone. */
export function tombstoneMembershipsOfUser(
  tx: WriteTransaction,
  userClerkId: string,
  source: SyncSource,
  now: number = Date.now(),
): number {
  return tombstoneLiveMemberships(tx, eq(organizationMemberships.userClerkId, userClerkId), source, now);
}

/**
 * `organizationMembership.created` / `updated`. The payload carries its whole
 * organization, which may be news (the membership event overtook the
 * organization's): it is written first, under the organization's own rule.
 */
export function writeClerkMembership(
  tx: WriteTransaction,
  incoming: ClerkMembershipFields,
  organization: ClerkOrganizationFields,
  source: SyncSource,
  now: number = Date.now(),
): MembershipWriteResult {
  const organizationResult = writeClerkOrganization(tx, organization, source, now);
  const result = (outcome: MembershipWriteOutcome) => ({
    outcome,
    clerkId: incoming.clerkId,
    organization: organizationResult,
  });
  if (findOrganization(tx, incoming.organizationClerkId)?.deletedAt != null) return result("organization_deleted");
  if (findUserByClerkId(incoming.userClerkId, tx)?.deletedAt != null) return result("user_deleted");

  const existing = findMembership(tx, incoming.clerkId);
  const outcome = decideWrite(existing, incoming, MEMBERSHIP_FIELDS, source, now);
  if (outcome !== "created" && outcome !== "updated") return result(outcome);

  const written = { ...incoming, syncedAt: now, syncSource: source };
  const other = liveMembershipOfTheSamePerson(tx, incoming);
  if (other && createdEarlier(incoming, other)) {
    // Clerk holds one membership per person and organization at a time: this one ended before `other` began.
    const tombstone = { ...written, ...erased(MEMBERSHIP_FIELDS), deletedAt: now };
    if (existing)
      tx.update(organizationMemberships)
        .set(tombstone)
        .where(eq(organizationMemberships.clerkId, incoming.clerkId))
        .run();
    else tx.insert(organizationMemberships).values(tombstone).run();
    return result("superseded");
  }
  if (other) tombstoneLiveMemberships(tx, eq(organizationMemberships.clerkId, other.clerkId), source, now);
  if (existing)
    tx.update(organizationMemberships).set(written).where(eq(organizationMemberships.clerkId, incoming.clerkId)).run();
  else tx.insert(organizationMemberships).values(written).run();
  return result(outcome);
}

function liveMembershipOfTheSamePerson(
  tx: WriteTransaction,
  membership: ClerkMembershipFields,
): OrganizationMembershipRow | undefined {
  return preparedQueries(tx as unknown as QueryRunner, reads).samePerson.get({
    organizationClerkId: membership.organizationClerkId,
    userClerkId: membership.userClerkId,
    clerkId: membership.clerkId,
  });
}

/** Whether `a` was created before `b`, so ended first (ids break a tie, so both sides agree whichever arrives first). */
function createdEarlier(a: Pick<Versioned, "clerkCreatedAt"> & { clerkId: string }, b: typeof a): boolean {
  const at = (row: typeof a) => row.clerkCreatedAt ?? 0;
  return at(a) !== at(b) ? at(a) < at(b) : a.clerkId < b.clerkId;
}

/**
 * `organizationMembership.deleted`: that membership id only. A late delete of
 * an old membership must not touch the same person's newer membership of the
 * same organization, so nothing here looks up by (organization, user).
 */
export function tombstoneClerkMembership(
  tx: WriteTransaction,
  incoming: ClerkMembershipFields,
  organization: ClerkOrganizationFields,
  source: SyncSource,
  now: number = Date.now(),
): MembershipWriteResult {
  const organizationResult = writeClerkOrganization(tx, organization, source, now);
  const existing = findMembership(tx, incoming.clerkId);
  const tombstone = { ...erased(MEMBERSHIP_FIELDS), deletedAt: now, syncedAt: now, syncSource: source };
  let outcome: MembershipWriteOutcome = "deleted";
  if (!existing)
    tx.insert(organizationMemberships)
      .values({ ...incoming, ...tombstone })
      .run();
  else if (existing.deletedAt !== null) outcome = "already_deleted";
  else tombstoneLiveMemberships(tx, eq(organizationMemberships.clerkId, incoming.clerkId), source, now);
  return { outcome, clerkId: incoming.clerkId, organization: organizationResult };
}

/**
 * Sync and the backfill read Clerk's full current list: a stored live membership
 * it does not list has ended in Clerk, so it becomes a tombstone. Ids listed are
 * kept whatever their state; returns the ids tombstoned now.
 */
function tombstoneUnlistedMemberships(
  tx: WriteTransaction,
  which: ReturnType<typeof eq>,
  listedClerkIds: ReadonlySet<string>,
  source: SyncSource,
  now: number,
): string[] {
  const unlisted = tx
    .select({ clerkId: organizationMemberships.clerkId })
    .from(organizationMemberships)
    .where(and(which, isNull(organizationMemberships.deletedAt)))
    .all()
    .map((row) => row.clerkId)
    .filter((clerkId) => !listedClerkIds.has(clerkId));
  // Just read as live, in this transaction: no need to look each one up again as tombstoneMembershipById would.
  for (const clerkId of unlisted)
    tombstoneLiveMemberships(tx, eq(organizationMemberships.clerkId, clerkId), source, now);
  return unlisted;
}

/** "Sync User Data": the user's live memberships Clerk no longer lists. */
export function tombstoneMembershipsOfUserExcept(
  tx: WriteTransaction,
  userClerkId: string,
  listedClerkIds: ReadonlySet<string>,
  source: SyncSource,
  now: number = Date.now(),
): string[] {
  return tombstoneUnlistedMemberships(
    tx,
    eq(organizationMemberships.userClerkId, userClerkId),
    listedClerkIds,
    source,
    now,
  );
}

/** "Sync organization": the organization's live memberships Clerk no longer lists. */
export function tombstoneMembershipsOfOrganizationExcept(
  tx: WriteTransaction,
  organizationClerkId: string,
  listedClerkIds: ReadonlySet<string>,
  source: SyncSource,
  now: number = Date.now(),
): string[] {
  return tombstoneUnlistedMemberships(
    tx,
    eq(organizationMemberships.organizationClerkId, organizationClerkId),
    listedClerkIds,
    source,
    now,
  );
}

/** One membership id Clerk no longer has (prune, Sync): no payload to carry, so only the id. */
export function tombstoneMembershipById(
  tx: WriteTransaction,
  clerkId: string,
  source: SyncSource,
  now: number = Date.now(),
): "deleted" | "already_deleted" | "unknown" {
  const existing = findMembership(tx, clerkId);
  if (!existing) return "unknown";
  if (existing.deletedAt !== null) return "already_deleted";
  tombstoneLiveMemberships(tx, eq(organizationMemberships.clerkId, clerkId), source, now);
  return "deleted";
}
