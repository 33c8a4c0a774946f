import { eq, sql } from "drizzle-orm";
import { getDb, preparedQueries, type QueryRunner } from "./db.server";
import { users, type UserRow } from "./schema";

/**
 * Reads of `users`. The pages read through here; so does the writer, inside its
 * transaction, to decide what to write.
 */

// Prepared once per connection (see preparedQueries): every delivery and every page of the backfill runs one.
const userReads = (db: QueryRunner) => ({
  byClerkId: db
    .select()
    .from(users)
    .where(eq(users.clerkId, sql.placeholder("clerkId")))
    .prepare(),
  // A page's ids as one JSON array: one statement for 500 users, whatever their number.
  byClerkIds: db
    .select()
    .from(users)
    .where(sql`${users.clerkId} in (select value from json_each(${sql.placeholder("clerkIds")}))`)
    .prepare(),
});

export function findUserByClerkId(clerkId: string, runner: QueryRunner = getDb()): UserRow | undefined {
  return preparedQueries(runner, userReads).byClerkId.get({ clerkId });
}

/** The stored rows among `clerkIds`, in no particular order. */
export function findUsersByClerkIds(clerkIds: readonly string[], runner: QueryRunner = getDb()): UserRow[] {
  return preparedQueries(runner, userReads).byClerkIds.all({ clerkIds: JSON.stringify(clerkIds) });
}
