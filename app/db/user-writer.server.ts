import type Database from "better-sqlite3";
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
  | "future_dated" // updated_at beyond the clock-skew tolerance: refused, whichever door brought it
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
  findByClerkId: db
    .select()
    .from(users)
    .where(eq(users.clerkId, sql.placeholder("clerkId")))
    .prepare(),
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

/** What the ordering rules look at in a stored row. */
export type StoredUserVersion = Pick<
  UserRow,
  "email" | "firstName" | "lastName" | "username" | "imageUrl" | "clerkCreatedAt" | "clerkUpdatedAt" | "deletedAt"
>;

/**
 * The ordering, tombstone and future-clock rules, as one decision every write
 * path takes: "created" means insert, "updated" means overwrite, anything else
 * leaves the row alone. The single-user and the batch writers only differ in
 * how they read and write the row.
 */
export function decideUserWrite(
  existing: StoredUserVersion | undefined,
  incoming: ClerkUserFields,
  source: SyncSource,
  now: number,
): UserWriteResult {
  const result = (outcome: UserWriteOutcome, changedFields: ProfileField[] = []): UserWriteResult => ({
    outcome,
    clerkId: incoming.clerkId,
    changedFields,
  });

  // One rule for every door (docs/decisions/006): as a stored key it would make every real later change
  // "stale". Refused, the row keeps the key Clerk gave before, so the next real event still wins.
  if (isBeyondClockSkew(incoming.clerkUpdatedAt, now)) return result("future_dated");
  if (!existing)
    return result(
      "created",
      PROFILE_FIELDS.filter((field) => incoming[field] !== null),
    );
  if (existing.deletedAt !== null) return result("tombstoned");
  const storedKeyFromTheFuture =
    existing.clerkUpdatedAt !== null &&
    isBeyondClockSkew(existing.clerkUpdatedAt, now) &&
    READS_CURRENT_STATE.has(source);
  if (
    existing.clerkUpdatedAt !== null &&
    incoming.clerkUpdatedAt < existing.clerkUpdatedAt &&
    !storedKeyFromTheFuture
  ) {
    return result("stale");
  }

  const changedFields = PROFILE_FIELDS.filter((field) => existing[field] !== incoming[field]);
  const sameVersion =
    existing.clerkUpdatedAt === incoming.clerkUpdatedAt && existing.clerkCreatedAt === incoming.clerkCreatedAt;
  if (changedFields.length === 0 && sameVersion) return result("unchanged");
  return result("updated", changedFields);
}

export function writeClerkUser(
  tx: Tx,
  incoming: ClerkUserFields,
  source: SyncSource,
  now: number = Date.now(),
): UserWriteResult {
  const result = decideUserWrite(findUser(tx, incoming.clerkId), incoming, source, now);
  if (result.outcome === "created") {
    preparedQueries(tx, userQueries).insert.run({ ...incoming, syncedAt: now, syncSource: source });
  } else if (result.outcome === "updated") {
    preparedQueries(tx, userQueries).update.run({ ...incoming, syncedAt: now, syncSource: source });
  }
  return result;
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
    tx.insert(users)
      .values({ clerkId, ...erased, deletedAt: now, syncedAt: now, syncSource: source })
      .run();
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

// The backfill writes 50,000 users a second at Clerk's production limit: Drizzle's
// per-row query objects were a third of its CPU, so the batch path talks to
// better-sqlite3 directly with statements prepared once per connection, and reads
// a whole page's stored versions with one query instead of one per user.
const batchStatementsByConnection = new WeakMap<Database.Database, ReturnType<typeof prepareBatchStatements>>();

/** Rows per multi-row INSERT: 100 × 10 values, well under SQLite's 32,766 parameters. */
const INSERT_ROWS = 100;
const INSERT_COLUMNS = `clerk_id, email, first_name, last_name, username, image_url, clerk_created_at, clerk_updated_at,
                        synced_at, sync_source`;
const insertSql = (rows: number) =>
  `INSERT INTO users (${INSERT_COLUMNS}) VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`;

function prepareBatchStatements(client: Database.Database) {
  return {
    storedVersions: client.prepare<[string], StoredUserVersion & { clerkId: string }>(
      `SELECT clerk_id AS clerkId, email, first_name AS firstName, last_name AS lastName, username,
              image_url AS imageUrl, clerk_created_at AS clerkCreatedAt, clerk_updated_at AS clerkUpdatedAt,
              deleted_at AS deletedAt
         FROM users WHERE clerk_id IN (SELECT value FROM json_each(?))`,
    ),
    insert: client.prepare(insertSql(1)),
    // A page of new users is five statements instead of 500: each call into SQLite costs as much as the row.
    insertMany: client.prepare(insertSql(INSERT_ROWS)),
    update: client.prepare(
      `UPDATE users SET email = ?, first_name = ?, last_name = ?, username = ?, image_url = ?, clerk_created_at = ?,
                        clerk_updated_at = ?, synced_at = ?, sync_source = ?
        WHERE clerk_id = ?`,
    ),
  };
}

function batchStatements(client: Database.Database) {
  let statements = batchStatementsByConnection.get(client);
  if (!statements) batchStatementsByConnection.set(client, (statements = prepareBatchStatements(client)));
  return statements;
}

class DryRunRollback extends Error {}

/**
 * Pages of users in one transaction (the backfill): one commit instead of
 * hundreds. `BEGIN IMMEDIATE` as everywhere a transaction writes (decision 002).
 * A user listed twice in one call is decided against its first write.
 */
export function upsertUsersFromClerk(
  incoming: readonly ClerkUserFields[],
  source: SyncSource,
  db: AppDatabase = getDb(),
  options: BatchWriteOptions = {},
): UserWriteResult[] {
  const client = db.$client;
  const statements = batchStatements(client);
  const write = () => {
    const now = Date.now();
    const stored = new Map<string, StoredUserVersion>();
    for (const row of statements.storedVersions.all(JSON.stringify(incoming.map((user) => user.clerkId)))) {
      stored.set(row.clerkId, row);
    }
    // New rows wait here and go in together; a user listed again in the same call overwrites its pending row.
    const inserts = new Map<string, unknown[]>();
    const results = incoming.map((user) => {
      const result = decideUserWrite(stored.get(user.clerkId), user, source, now);
      const { clerkId, email, firstName, lastName, username, imageUrl, clerkCreatedAt, clerkUpdatedAt } = user;
      // In the INSERT's column order; the UPDATE takes the same values with clerk_id moved to its WHERE.
      const row = () => [
        clerkId,
        email,
        firstName,
        lastName,
        username,
        imageUrl,
        clerkCreatedAt,
        clerkUpdatedAt,
        now,
        source,
      ];
      if (result.outcome === "created" || (result.outcome === "updated" && inserts.has(clerkId))) {
        inserts.set(clerkId, row());
      } else if (result.outcome === "updated") {
        const [id, ...fields] = row();
        statements.update.run(...fields, id);
      } else {
        return result;
      }
      // What was just written is what a repeat of this user in the same call is judged against.
      stored.set(clerkId, { ...user, deletedAt: null });
      return result;
    });
    const rows = [...inserts.values()];
    let at = 0;
    for (; at + INSERT_ROWS <= rows.length; at += INSERT_ROWS)
      statements.insertMany.run(rows.slice(at, at + INSERT_ROWS).flat());
    for (; at < rows.length; at++) statements.insert.run(rows[at]);
    return results;
  };
  const transaction = client.transaction(write);
  if (!options.dryRun) return transaction.immediate();
  let outcome: UserWriteResult[] | undefined;
  try {
    client
      .transaction(() => {
        outcome = write();
        throw new DryRunRollback();
      })
      .immediate();
  } catch (error) {
    if (!(error instanceof DryRunRollback)) throw error;
  }
  return outcome!;
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
