import { eq, getTableColumns, type Column, type SQL } from "drizzle-orm";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { getDb, preparedQueries, sqlPlaceholder, type AppDatabase, type QueryRunner } from "./db.server";
import { users, type SyncSource, type UserRow } from "./schema";
import { findUserByClerkId, findUsersByClerkIds } from "./user-reader.server";
import { writeTransaction, type DryRunOption, type WriteTransaction } from "./write-transaction.server";

/**
 * The one writer of `users`. The webhook, the "Sync User Data" button and the
 * backfill all come through `writeClerkUsers`, so the ordering and tombstone
 * rules hold whichever door a change comes in by:
 *   - Clerk's `updated_at` orders writes; older data never overwrites newer.
 *   - A deleted user stays deleted: the row is a tombstone with personal data erased.
 * Every statement is built from the Drizzle table: a column added to the schema
 * and to the payload mapping (clerkUserToRow) is written, compared and erased
 * with no change here.
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

/** The columns the writer fills itself; every other column of `users` is Clerk's, filled by clerkUserToRow. */
export const WRITER_COLUMNS = ["id", "deletedAt", "syncedAt", "syncSource"] as const;
/** Which user, and the version that orders writes; the rest of Clerk's columns is the profile a tombstone erases. */
const KEY_COLUMNS = ["clerkId", "clerkCreatedAt", "clerkUpdatedAt"] as const;

export type ClerkColumn = Exclude<keyof UserRow, (typeof WRITER_COLUMNS)[number]>;
export type ProfileField = Exclude<ClerkColumn, (typeof KEY_COLUMNS)[number]>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/**
 * Checked by `tsc`: the payload mapping fills exactly Clerk's columns, with values they accept. A column added
 * to the schema but not to ClerkUserFields (or the other way round) fails the type check instead of being
 * silently left out of every write.
 */
export type ClerkUserFieldsFillClerksColumns = Assert<Same<keyof ClerkUserFields, ClerkColumn>> &
  Assert<ClerkUserFields extends Pick<UserRow, ClerkColumn> ? true : false>;

const writerColumns: readonly string[] = WRITER_COLUMNS;
const keyColumns: readonly string[] = KEY_COLUMNS;
/** In the table's order. */
export const CLERK_COLUMNS = (Object.keys(getTableColumns(users)) as (keyof UserRow)[]).filter(
  (column): column is ClerkColumn => !writerColumns.includes(column),
);
export const PROFILE_FIELDS = CLERK_COLUMNS.filter((column): column is ProfileField => !keyColumns.includes(column));

/** What an upsert writes: Clerk's columns, then when and through which door. */
const UPSERTED_COLUMNS = [...CLERK_COLUMNS, "syncedAt", "syncSource"] as const;

export interface UserWriteResult {
  outcome: UserWriteOutcome;
  clerkId: string;
  /** The profile fields that differ from what was stored before this write. */
  changedFields: ProfileField[];
}

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

/** What the ordering rules look at in a stored row. */
export type StoredUserVersion = Pick<UserRow, ProfileField | "clerkCreatedAt" | "clerkUpdatedAt" | "deletedAt">;

/**
 * The ordering, tombstone and future-clock rules, as one decision: "created"
 * means insert, "updated" means overwrite, anything else leaves the row alone.
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

/** Rows per multi-row INSERT: a page of new users is five statements instead of 500 (docs/benchmarks.md). */
export const INSERT_ROWS = 100;

// Every statement takes a row's values in UPSERTED_COLUMNS order, one row after another, as one flat array
// (upsertedValues): its placeholders are named by position, "0", "1", …, so the array's indexes are their names.
// That is what a raw statement would take; an object of named values was slower (docs/benchmarks.md).
const placeholderAt = (row: number, column: (typeof UPSERTED_COLUMNS)[number]) =>
  sqlPlaceholder(String(row * UPSERTED_COLUMNS.length + UPSERTED_COLUMNS.indexOf(column)));

const rowsOfPlaceholders = (rows: number) =>
  Array.from(
    { length: rows },
    (_, row) =>
      Object.fromEntries(UPSERTED_COLUMNS.map((column) => [column, placeholderAt(row, column)])) as Record<
        (typeof UPSERTED_COLUMNS)[number],
        SQL
      >,
  );

// Prepared once per connection (see preparedQueries).
const userWrites = (db: QueryRunner) => {
  const { clerkId, ...updated } = rowsOfPlaceholders(1)[0];
  return {
    insert: db.insert(users).values(rowsOfPlaceholders(1)).prepare(),
    insertMany: db.insert(users).values(rowsOfPlaceholders(INSERT_ROWS)).prepare(),
    update: db.update(users).set(updated).where(eq(users.clerkId, clerkId)).prepare(),
  };
};

/**
 * Writes Clerk's users inside the caller's transaction: the webhook's one user
 * (with its ledger row), Sync's one user, a page or several of the backfill.
 * Stored versions are read with one query; a user listed twice is judged
 * against its first write.
 */
export function writeClerkUsers(
  tx: WriteTransaction,
  incoming: readonly ClerkUserFields[],
  source: SyncSource,
  now: number = Date.now(),
): UserWriteResult[] {
  const writes = preparedQueries(tx, userWrites);
  const ids = incoming.map((user) => user.clerkId);
  const stored = new Map<string, StoredUserVersion>(findUsersByClerkIds(ids, tx).map((row) => [row.clerkId, row]));
  // New rows wait here and go in together; a user listed again overwrites its pending row.
  const inserts = new Map<string, ClerkUserFields>();
  const results = incoming.map((user) => {
    const result = decideUserWrite(stored.get(user.clerkId), user, source, now);
    if (result.outcome === "created" || (result.outcome === "updated" && inserts.has(user.clerkId))) {
      inserts.set(user.clerkId, user);
    } else if (result.outcome === "updated") {
      writes.update.run(upsertedValues([user], now, source));
    } else {
      return result;
    }
    // What was just written is what a repeat of this user in the same call is judged against.
    stored.set(user.clerkId, { ...user, deletedAt: null });
    return result;
  });
  const rows = [...inserts.values()];
  let at = 0;
  for (; at + INSERT_ROWS <= rows.length; at += INSERT_ROWS)
    writes.insertMany.run(upsertedValues(rows.slice(at, at + INSERT_ROWS), now, source));
  for (; at < rows.length; at++) writes.insert.run(upsertedValues([rows[at]], now, source));
  return results;
}

// Drizzle hands a placeholder's value to SQLite as it is, past the column's encoder, so a column with a mode
// (`integer(…, { mode: "boolean" })`: true → 1) is encoded here, as Drizzle encodes it in a plain insert.
const ENCODERS: readonly Column[] = CLERK_COLUMNS.map((column) => getTableColumns(users)[column]);

/** The rows' values in UPSERTED_COLUMNS order, one row after another, as SQLite takes them. */
function upsertedValues(rows: readonly ClerkUserFields[], now: number, source: SyncSource): Record<string, unknown> {
  const values: unknown[] = [];
  for (const row of rows) {
    for (let c = 0; c < CLERK_COLUMNS.length; c++) {
      const value = row[CLERK_COLUMNS[c]];
      values.push(value === null ? null : ENCODERS[c].mapToDriverValue(value));
    }
    values.push(now, source);
  }
  return values as unknown as Record<string, unknown>;
}

export function writeClerkUser(
  tx: WriteTransaction,
  incoming: ClerkUserFields,
  source: SyncSource,
  now: number = Date.now(),
): UserWriteResult {
  return writeClerkUsers(tx, [incoming], source, now)[0];
}

const ERASED = Object.fromEntries(PROFILE_FIELDS.map((field) => [field, null])) as Record<ProfileField, null>;

/** What `user.deleted` does: erase personal data and keep the row, so no late event can revive the user. */
export function tombstoneClerkUser(
  tx: WriteTransaction,
  clerkId: string,
  source: SyncSource,
  now: number = Date.now(),
): UserWriteResult {
  const existing = findUserByClerkId(clerkId, tx);
  const tombstone = { ...ERASED, deletedAt: now, syncedAt: now, syncSource: source };
  if (!existing) {
    // A deletion that overtook the creation: remember it, or the late user.created would insert the user.
    tx.insert(users)
      .values({ clerkId, ...tombstone })
      .run();
    return { outcome: "deleted", clerkId, changedFields: [] };
  }
  if (existing.deletedAt !== null) return { outcome: "already_deleted", clerkId, changedFields: [] };
  tx.update(users).set(tombstone).where(eq(users.clerkId, clerkId)).run();
  return {
    outcome: "deleted",
    clerkId,
    changedFields: PROFILE_FIELDS.filter((field) => existing[field] !== null),
  };
}

/** One user in its own transaction (the sync button). */
export function upsertUserFromClerk(
  incoming: ClerkUserFields,
  source: SyncSource,
  db: AppDatabase = getDb(),
): UserWriteResult {
  return writeTransaction(db, (tx) => writeClerkUser(tx, incoming, source));
}

/** Pages of users in one transaction (the backfill): one commit instead of hundreds. */
export function upsertUsersFromClerk(
  incoming: readonly ClerkUserFields[],
  source: SyncSource,
  db: AppDatabase = getDb(),
  options: DryRunOption = {},
): UserWriteResult[] {
  return writeTransaction(db, (tx) => writeClerkUsers(tx, incoming, source), options);
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
  options: DryRunOption = {},
): UserWriteResult[] {
  return writeTransaction(
    db,
    (tx) => {
      const now = Date.now();
      return clerkIds.map((clerkId) => tombstoneClerkUser(tx, clerkId, source, now));
    },
    options,
  );
}

export function tombstoneUserFromClerk(
  clerkId: string,
  source: SyncSource,
  db: AppDatabase = getDb(),
): UserWriteResult {
  return writeTransaction(db, (tx) => tombstoneClerkUser(tx, clerkId, source));
}
