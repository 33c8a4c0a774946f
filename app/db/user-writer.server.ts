import { eq } from "drizzle-orm";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { getDb, type AppDatabase } from "./db.server";
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

type Tx = Pick<AppDatabase, "select" | "insert" | "update">;

function findUser(tx: Tx, clerkId: string): UserRow | undefined {
  return tx.select().from(users).where(eq(users.clerkId, clerkId)).get();
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
    tx.insert(users).values({ ...incoming, syncedAt: now, syncSource: source }).run();
    return result("created", [...PROFILE_FIELDS].filter((field) => incoming[field] !== null));
  }
  if (existing.deletedAt !== null) return result("tombstoned");
  if (existing.clerkUpdatedAt !== null && incoming.clerkUpdatedAt < existing.clerkUpdatedAt) {
    return result("stale");
  }

  const changedFields = PROFILE_FIELDS.filter((field) => existing[field] !== incoming[field]);
  const sameVersion =
    existing.clerkUpdatedAt === incoming.clerkUpdatedAt && existing.clerkCreatedAt === incoming.clerkCreatedAt;
  if (changedFields.length === 0 && sameVersion) return result("unchanged");

  tx.update(users)
    .set({ ...incoming, syncedAt: now, syncSource: source })
    .where(eq(users.clerkId, incoming.clerkId))
    .run();
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

/** A page of users in one transaction (the backfill): one commit instead of hundreds. */
export function upsertUsersFromClerk(
  incoming: readonly ClerkUserFields[],
  source: SyncSource,
  db: AppDatabase = getDb(),
): UserWriteResult[] {
  return db.transaction((tx) => {
    const now = Date.now();
    return incoming.map((fields) => writeClerkUser(tx, fields, source, now));
  });
}

export function tombstoneUserFromClerk(clerkId: string, source: SyncSource, db: AppDatabase = getDb()) {
  return db.transaction((tx) => tombstoneClerkUser(tx, clerkId, source));
}

export function findUserByClerkId(clerkId: string, db: AppDatabase = getDb()): UserRow | undefined {
  return findUser(db, clerkId);
}
