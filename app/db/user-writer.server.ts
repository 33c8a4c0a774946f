import { eq, sql, TransactionRollbackError } from "drizzle-orm";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { getDb, preparedQueries, sqlPlaceholder, type AppDatabase, type QueryRunner } from "./db.server";
import { users, type SyncSource, type UserRow } from "./schema";

/**
 * The one writer of `users`. The webhook, the "Sync User Data" button and the
 * backfill all come through here, so the ordering and tombstone rules hold
 * whichever door a change comes in by:
 *   - Clerk's `updated_at` orders writes; older data never overwrites newer.
 *   - A deleted user stays deleted: the row is a tombstone with personal data erased.
 * Functions taking `tx` run inside the caller's transaction.
 */

export type UserWriteOutcome =
  | "created" // a new row
  | "updated" // newer data replaced older
  | "unchanged" // the same data was already stored
  | "stale" // older than what is stored: ignored
  | "tombstoned" // the user was deleted: ignored
  | "deleted" // personal data erased, row kept as a tombstone
  | "already_deleted";

export const PROFILE_FIELDS = ["email", "firstName", "lastName", "username", "imageUrl"] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

export interface UserWriteResult {
  outcome: UserWriteOutcome;
  clerkId: string;
  /** The profile fields that differ from what was stored before this write. */
  changedFields: ProfileField[];
}

type Tx = QueryRunner;

/**
 * How far ahead of this server's clock a Clerk `updated_at` may be and still be
 * trusted as an ordering key: Svix's own timestamp tolerance. A key further
 * ahead would make every real later change look stale (docs/decisions/006).
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export function isBeyondClockSkew(clerkUpdatedAt: number, now: number = Date.now()): boolean {
  return clerkUpdatedAt > now + MAX_CLOCK_SKEW_MS;
}

// The button and the backfill read Clerk's current state, so what they bring is
// the truth now, whatever a future-dated key stored earlier claims.
const READS_CURRENT_STATE: ReadonlySet<SyncSource> = new Set(["manual", "backfill"]);

const bookkeeping = { syncedAt: sqlPlaceholder("syncedAt"), syncSource: sqlPlaceholder("syncSource") };
const profile = {
  email: sqlPlaceholder("email"),
  firstName: sqlPlaceholder("firstName"),
  lastName: sqlPlaceholder("lastName"),
  username: sqlPlaceholder("username"),
  imageUrl: sqlPlaceholder("imageUrl"),
  clerkCreatedAt: sqlPlaceholder("clerkCreatedAt"),
  clerkUpdatedAt: sqlPlaceholder("clerkUpdatedAt"),
};

// Every webhook delivery runs these; prepared once per connection (see preparedQueries).
const userQueries = (db: QueryRunner) => ({
  findByClerkId: db.select().from(users).where(eq(users.clerkId, sql.placeholder("clerkId"))).prepare(),
  insert: db
    .insert(users)
    .values({ clerkId: sqlPlaceholder("clerkId"), ...profile, ...bookkeeping })
    .prepare(),
  update: db
    .update(users)
    .set({ ...profile, ...bookkeeping })
    .where(eq(users.clerkId, sql.placeholder("clerkId")))
    .prepare(),
});

function findUser(tx: Tx, clerkId: string): UserRow | undefined {
  return preparedQueries(tx, userQueries).findByClerkId.get({ clerkId });
}

export function writeClerkUser(
  tx: Tx,
  incoming: ClerkUserFields,
  source: SyncSource,
  now: number = Date.now(),
): UserWriteResult {
  const existing = findUser(tx, incoming.clerkId);
  const result = (outcome: UserWriteOutcome, changedFields: ProfileField[] = []): UserWriteResult => ({
    outcome,
    clerkId: incoming.clerkId,
    changedFields,
  });

  if (!existing) {
    preparedQueries(tx, userQueries).insert.run({ ...incoming, syncedAt: now, syncSource: source });
    return result("created", [...PROFILE_FIELDS].filter((field) => incoming[field] !== null));
  }
  if (existing.deletedAt !== null) return result("tombstoned");
  const storedKeyFromTheFuture =
    existing.clerkUpdatedAt !== null && isBeyondClockSkew(existing.clerkUpdatedAt, now) && READS_CURRENT_STATE.has(source);
  if (existing.clerkUpdatedAt !== null && incoming.clerkUpdatedAt < existing.clerkUpdatedAt && !storedKeyFromTheFuture) {
    return result("stale");
  }

  const changedFields = PROFILE_FIELDS.filter((field) => existing[field] !== incoming[field]);
  const sameVersion =
    existing.clerkUpdatedAt === incoming.clerkUpdatedAt && existing.clerkCreatedAt === incoming.clerkCreatedAt;
  if (changedFields.length === 0 && sameVersion) return result("unchanged");

  preparedQueries(tx, userQueries).update.run({ ...incoming, syncedAt: now, syncSource: source });
  return result("updated", changedFields);
}

/** What `user.deleted` does: erase personal data and keep the row, so no late event can revive the user. */
export function tombstoneClerkUser(
  tx: Tx,
  clerkId: string,
  source: SyncSource,
  now: number = Date.now(),
): UserWriteResult {
  const existing = findUser(tx, clerkId);
  const erased = { email: null, firstName: null, lastName: null, username: null, imageUrl: null };
  if (!existing) {
    // A deletion that overtook the creation: remember it, or the late user.created would insert the user.
    tx.insert(users).values({ clerkId, ...erased, deletedAt: now, syncedAt: now, syncSource: source }).run();
    return { outcome: "deleted", clerkId, changedFields: [] };
  }
  if (existing.deletedAt !== null) return { outcome: "already_deleted", clerkId, changedFields: [] };
  tx.update(users)
    .set({ ...erased, deletedAt: now, syncedAt: now, syncSource: source })
    .where(eq(users.clerkId, clerkId))
    .run();
  return {
    outcome: "deleted",
    clerkId,
    changedFields: PROFILE_FIELDS.filter((field) => existing[field] !== null),
  };
}

/** One user in its own transaction (the sync button). */
export function upsertUserFromClerk(incoming: ClerkUserFields, source: SyncSource, db: AppDatabase = getDb()) {
  return db.transaction((tx) => writeClerkUser(tx, incoming, source));
}

export interface BatchWriteOptions {
  /** Work out every outcome, then roll back: what a `--dry-run` reports, with nothing written. */
  dryRun?: boolean;
}

type WriteTx = Parameters<Parameters<AppDatabase["transaction"]>[0]>[0];

function inTransaction<T>(db: AppDatabase, dryRun: boolean, write: (tx: WriteTx) => T): T {
  if (!dryRun) return db.transaction(write);
  let outcome: { value: T } | undefined;
  try {
    db.transaction((tx) => {
      outcome = { value: write(tx) };
      tx.rollback();
    });
  } catch (error) {
    if (!(error instanceof TransactionRollbackError)) throw error;
  }
  return outcome!.value;
}

/** A page of users in one transaction (the backfill): one commit instead of hundreds. */
export function upsertUsersFromClerk(
  incoming: readonly ClerkUserFields[],
  source: SyncSource,
  db: AppDatabase = getDb(),
  options: BatchWriteOptions = {},
): UserWriteResult[] {
  return inTransaction(db, options.dryRun ?? false, (tx) => {
    const now = Date.now();
    return incoming.map((fields) => writeClerkUser(tx, fields, source, now));
  });
}

/**
 * Reconcile: users Clerk no longer has, tombstoned in one transaction exactly as
 * `user.deleted` would. The caller must have confirmed with Clerk that each id is
 * gone: a tombstone is final.
 */
export function tombstoneUsersFromClerk(
  clerkIds: readonly string[],
  source: SyncSource,
  db: AppDatabase = getDb(),
  options: BatchWriteOptions = {},
): UserWriteResult[] {
  return inTransaction(db, options.dryRun ?? false, (tx) => {
    const now = Date.now();
    return clerkIds.map((clerkId) => tombstoneClerkUser(tx, clerkId, source, now));
  });
}

export function tombstoneUserFromClerk(clerkId: string, source: SyncSource, db: AppDatabase = getDb()) {
  return db.transaction((tx) => tombstoneClerkUser(tx, clerkId, source));
}

export function findUserByClerkId(clerkId: string, db: AppDatabase = getDb()): UserRow | undefined {
  return findUser(db, clerkId);
}
