import { afterEach, describe, expect, it } from "vitest";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { openDatabase, type AppDatabase } from "~/db/db.server";
import { MAX_CLOCK_SKEW_MS, tombstoneClerkUser, upsertUsersFromClerk, writeClerkUser } from "~/db/user-writer.server";
import { clerkUserFields } from "../support/clerk-user-fields";

/**
 * The backfill writes pages (one read for the page, new users 100 rows a
 * statement), the webhook and the sync button one user at a time. Both must take
 * the same decisions (ordering, tombstones, future-dated keys) and leave the same
 * rows, including when one batch carries the same user more than once.
 */

const opened: AppDatabase[] = [];
function freshDb(): AppDatabase {
  const db = openDatabase({ path: ":memory:", synchronous: "NORMAL", busyTimeoutMs: 1000 });
  opened.push(db);
  return db;
}
afterEach(() => {
  for (const db of opened.splice(0)) db.$client.close();
});

const T = Date.now() - 60_000;
function user(id: string, updatedAt: number, firstName: string | null = "Ada"): ClerkUserFields {
  return clerkUserFields({
    clerkId: id,
    email: `${id}@example.com`,
    firstName,
    lastName: "Lovelace",
    clerkCreatedAt: T - 1000,
    clerkUpdatedAt: updatedAt,
  });
}

function rows(db: AppDatabase) {
  return db.$client
    .prepare(
      "SELECT clerk_id, email, first_name, last_name, username, image_url, clerk_created_at, clerk_updated_at, deleted_at IS NOT NULL AS deleted, sync_source FROM users ORDER BY clerk_id",
    )
    .all();
}

describe("the backfill's batch writer", () => {
  it("decides and stores exactly what the one-user writer does, for a page mixing new, newer, older, repeated, deleted and future-dated users", () => {
    const stored = [
      user("u_newer", T),
      user("u_older", T + 10),
      user("u_same", T),
      user("u_future", Date.now() + 2 * MAX_CLOCK_SKEW_MS),
    ];
    const deleted = ["u_deleted"];
    const page = [
      user("u_new", T),
      user("u_newer", T + 5, "Grace"),
      user("u_older", T, "Stale"),
      user("u_same", T),
      user("u_deleted", T + 100, "Revived?"),
      user("u_future", T, "Now"),
      user("u_from_the_future", Date.now() + 2 * MAX_CLOCK_SKEW_MS, "Frozen?"),
      // The same user twice in one batch: the second copy is judged against the first.
      user("u_twice", T + 2, "Second"),
      user("u_twice", T + 1, "First, but older"),
      user("u_twice", T + 3, "Third"),
    ];

    const one = freshDb();
    const batch = freshDb();
    const now = Date.now();
    for (const db of [one, batch]) {
      db.transaction((tx) => {
        // u_future as a row stored before the clock-skew rule (decision 006): written when its key was "now".
        for (const fields of stored) writeClerkUser(tx, fields, "webhook", Math.max(now, fields.clerkUpdatedAt));
        for (const id of deleted) tombstoneClerkUser(tx, id, "webhook", now);
      });
    }

    const expected = one.transaction((tx) => page.map((fields) => writeClerkUser(tx, fields, "backfill", now)));
    const actual = upsertUsersFromClerk(page, "backfill", batch);

    expect(expected.map((r) => r.outcome)).toEqual([
      "created",
      "updated",
      "stale",
      "unchanged",
      "tombstoned",
      "updated",
      "future_dated",
      "created",
      "stale",
      "updated",
    ]);
    expect(actual).toEqual(expected);
    expect(rows(batch)).toEqual(rows(one));
    expect(rows(batch)).toContainEqual(
      expect.objectContaining({ clerk_id: "u_twice", first_name: "Third", clerk_updated_at: T + 3 }),
    );
  });

  it("stores a large page (new users go in 100 rows a statement) exactly as the one-user writer, repeats included", () => {
    const page = Array.from({ length: 257 }, (_, i) => user(`u_${String(i).padStart(3, "0")}`, T + i, `User ${i}`));
    // Listed again later in the same page, newer: the pending new row takes the newer data.
    page.push(user("u_007", T + 1000, "Seven, renamed"), user("u_200", T - 1, "Two hundred, older"));
    const one = freshDb();
    const batch = freshDb();
    const now = Date.now();
    const expected = one.transaction((tx) => page.map((fields) => writeClerkUser(tx, fields, "backfill", now)));
    expect(upsertUsersFromClerk(page, "backfill", batch)).toEqual(expected);
    expect(rows(batch)).toHaveLength(257);
    expect(rows(batch)).toEqual(rows(one));
    expect(rows(batch)).toContainEqual(expect.objectContaining({ clerk_id: "u_007", first_name: "Seven, renamed" }));
  });

  it("writes nothing in a dry run and still reports every outcome", () => {
    const db = freshDb();
    upsertUsersFromClerk([user("u_kept", T)], "backfill", db);
    const before = rows(db);
    const preview = upsertUsersFromClerk([user("u_kept", T + 1, "Grace"), user("u_new", T)], "backfill", db, {
      dryRun: true,
    });
    expect(preview.map((r) => r.outcome)).toEqual(["updated", "created"]);
    expect(rows(db)).toEqual(before);
  });
});
