import { getTableColumns } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { buildClerkUser } from "@clerk-sync/clerk-stand-in/testing";
import { clerkUserSchema, clerkUserToRow, type ClerkUserFields } from "~/clerk/clerk-user";
import { openDatabase, type AppDatabase } from "~/db/db.server";
import { users } from "~/db/schema";
import {
  CLERK_COLUMNS,
  INSERT_ROWS,
  tombstoneUsersFromClerk,
  upsertUserFromClerk,
  upsertUsersFromClerk,
  writeClerkUser,
} from "~/db/user-writer.server";
import { writeTransaction } from "~/db/write-transaction.server";

/**
 * One writer, one SQL source: every statement that writes `users` is built from
 * the Drizzle table, so a column added to the schema and to the payload mapping
 * is written, compared and erased by every door with nothing else to edit. The
 * values below are generated from the table's columns, so a new column is
 * covered here too, without editing this test.
 */

const columns = getTableColumns(users);
type Key = keyof typeof columns;
/** What the writer fills itself, whatever Clerk sends. */
const WRITER_OWNED: Key[] = ["id", "deletedAt", "syncedAt", "syncSource"];
const KEYS: Key[] = ["clerkId", "clerkCreatedAt", "clerkUpdatedAt"];
const NOW = Date.UTC(2026, 2, 1);
const T = NOW - 3_600_000;

/** A value for every Clerk column that no other column or user has, so a value in the wrong column shows. */
function distinctUser(i: number, version: number): ClerkUserFields {
  const values: Record<string, unknown> = {};
  (Object.keys(columns) as Key[]).forEach((key, c) => {
    if (WRITER_OWNED.includes(key)) return;
    if (key === "clerkId") values[key] = `user_${String(i).padStart(4, "0")}`;
    else if (columns[key].dataType === "number") values[key] = T + i * 1_000 + c * 10 + version;
    // Two values only: alternating with the user and the version, so a write that skips the column shows.
    else if (columns[key].dataType === "boolean") values[key] = (i + version) % 2 === 0;
    else values[key] = `${columns[key].name} of ${i}, v${version}`;
  });
  return values as unknown as ClerkUserFields;
}

/** A value as SQLite holds it (a boolean column holds 0 or 1). */
const asSqlite = (key: Key, value: unknown) => (value === null ? null : columns[key].mapToDriverValue(value as never));
/** A value as the writer takes it, from what SQLite holds. */
const fromSqlite = (key: Key, value: unknown) =>
  value === null ? null : columns[key].mapFromDriverValue(value as never);
/** Another value of the column's type than `value`. */
const changedValue = (key: Key, value: unknown) =>
  columns[key].dataType === "boolean" ? !value : `${String(value)}, changed`;

/** The row that `fields` must leave, column by column, under the names outside tools read. */
function expectedRow(id: number, fields: ClerkUserFields) {
  const row: Record<string, unknown> = { id, deleted_at: null, synced_at: NOW, sync_source: "backfill" };
  for (const key of CLERK_COLUMNS) row[columns[key].name] = asSqlite(key, fields[key]);
  return row;
}

const opened: AppDatabase[] = [];
function freshDb(): AppDatabase {
  const db = openDatabase({ path: ":memory:", synchronous: "NORMAL", busyTimeoutMs: 1000 });
  opened.push(db);
  return db;
}
const rows = (db: AppDatabase) => db.$client.prepare("select * from users order by id").all();

beforeEach(() => {
  // synced_at is the writer's clock: frozen, so that rows written by different paths can be compared whole.
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
  for (const db of opened.splice(0)) db.$client.close();
});

describe("the user writer", () => {
  it("writes Clerk's columns: every column of the table but the four it fills itself, exactly those the payload mapping fills", () => {
    expect(CLERK_COLUMNS).toEqual((Object.keys(columns) as Key[]).filter((key) => !WRITER_OWNED.includes(key)));
    const mapped = clerkUserToRow(clerkUserSchema.parse(buildClerkUser()));
    expect(Object.keys(mapped).sort()).toEqual([...CLERK_COLUMNS].sort());
  });

  it("leaves the same row for every column whichever path writes it: many rows a statement, one, an update, inside the webhook's transaction", () => {
    // More than one multi-row statement's worth, and a remainder that goes in one row at a time.
    const count = 2 * INSERT_ROWS + 50;
    const older = Array.from({ length: count }, (_, i) => distinctUser(i, 0));
    const newer = Array.from({ length: count }, (_, i) => distinctUser(i, 1));

    const batch = freshDb();
    upsertUsersFromClerk(newer, "backfill", batch);
    const oneByOne = freshDb();
    for (const user of newer) upsertUserFromClerk(user, "backfill", oneByOne);
    const updated = freshDb();
    upsertUsersFromClerk(older, "backfill", updated);
    expect(upsertUsersFromClerk(newer, "backfill", updated).every((r) => r.outcome === "updated")).toBe(true);
    const inWebhookTransaction = freshDb();
    writeTransaction(inWebhookTransaction, (tx) => newer.map((user) => writeClerkUser(tx, user, "backfill")));

    const expected = newer.map((fields, i) => expectedRow(i + 1, fields));
    expect(rows(batch)).toEqual(expected);
    expect(rows(oneByOne)).toEqual(expected);
    expect(rows(updated)).toEqual(expected);
    expect(rows(inWebhookTransaction)).toEqual(expected);
  });

  it("notices a change in any one profile column, and names it", () => {
    const db = freshDb();
    const stored = distinctUser(1, 0);
    upsertUserFromClerk(stored, "backfill", db);
    const profile = CLERK_COLUMNS.filter((key) => !KEYS.includes(key));
    for (const key of profile) {
      const current = db.$client.prepare("select * from users").get() as Record<string, unknown>;
      const asStored = Object.fromEntries(
        CLERK_COLUMNS.map((k) => [k, fromSqlite(k, current[columns[k].name])]),
      ) as unknown as ClerkUserFields;
      const changed = { ...asStored, [key]: changedValue(key, asStored[key]) };
      // Same version, one column different: still written, as Clerk's current state.
      expect(upsertUserFromClerk(changed, "backfill", db)).toMatchObject({ outcome: "updated", changedFields: [key] });
      expect((db.$client.prepare("select * from users").get() as Record<string, unknown>)[columns[key].name]).toBe(
        asSqlite(key, changed[key]),
      );
    }
  });

  it("tombstones by erasing every profile column, and keeps only the user's id and version", () => {
    const db = freshDb();
    const stored = Array.from({ length: 3 }, (_, i) => distinctUser(i, 0));
    upsertUsersFromClerk(stored, "backfill", db);
    const results = tombstoneUsersFromClerk(
      stored.map((user) => user.clerkId),
      "backfill",
      db,
    );
    const profile = CLERK_COLUMNS.filter((key) => !KEYS.includes(key));
    expect(results.map((r) => r.changedFields)).toEqual(stored.map(() => profile));
    expect(rows(db)).toEqual(
      stored.map((fields, i) => {
        const row = expectedRow(i + 1, fields);
        for (const key of profile) row[columns[key].name] = null;
        return { ...row, deleted_at: NOW };
      }),
    );
  });
});
