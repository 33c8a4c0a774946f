import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { openDatabase, type AppDatabase } from "~/db/db.server";
import {
  tombstoneUserFromClerk,
  tombstoneUsersFromClerk,
  upsertUserFromClerk,
  upsertUsersFromClerk,
} from "~/db/user-writer.server";
import { processClerkWebhook } from "~/webhook/handle-webhook.server";
import { clerkUserFields } from "../support/clerk-user-fields";
import { clerkEvent, clerkUser, signBody } from "../support/clerk-webhooks";

/**
 * Every transaction that writes starts `BEGIN IMMEDIATE` (decision 002): it takes
 * the write lock before it reads anything. A deferred one would read first and
 * ask for the lock only at its first write, and SQLite answers that upgrade
 * SQLITE_BUSY at once when another connection committed in between, whatever
 * busy_timeout says. The probe: calls that read and then find nothing to write.
 * While another connection holds the lock, a deferred transaction would finish
 * them unhindered; an immediate one is refused before reading.
 */

const path = join(mkdtempSync(join(tmpdir(), "clerk-sync-immediate-")), "app.db");
let db: AppDatabase;
let other: Database.Database;

const T = Date.now() - 60_000;
const user = (clerkId: string): ClerkUserFields =>
  clerkUserFields({ clerkId, email: `${clerkId}@example.com`, firstName: "Ada", clerkCreatedAt: T, clerkUpdatedAt: T });
const delivered = clerkUser();
const delivery = JSON.stringify(clerkEvent("user.created", delivered));
const deliveryHeaders = signBody(delivery, { svixId: "msg_immediate" });
const deliver = () => processClerkWebhook(delivery, deliveryHeaders as never, { db });

beforeAll(() => {
  // busy_timeout 0, as the server's connection: a lock held elsewhere is an answer at once, not a wait.
  db = openDatabase({ path, synchronous: "NORMAL", busyTimeoutMs: 0 });
  upsertUsersFromClerk([user("user_stored")], "webhook", db);
  tombstoneUserFromClerk("user_deleted", "webhook", db);
  expect(deliver().status).toBe(200);
  other = new Database(path);
});
afterAll(() => {
  other?.close();
  db?.$client.close();
});

// Each call reads, then has nothing to write: the same data again, a tombstone again, a repeated svix-id.
const writesNothing: [string, () => unknown][] = [
  ["Sync's one-user upsert", () => upsertUserFromClerk(user("user_stored"), "manual", db)],
  ["the backfill's page upsert", () => upsertUsersFromClerk([user("user_stored")], "backfill", db)],
  [
    "the backfill's page upsert, dry run",
    () => upsertUsersFromClerk([user("user_stored")], "backfill", db, { dryRun: true }),
  ],
  ["a one-user tombstone", () => tombstoneUserFromClerk("user_deleted", "webhook", db)],
  ["the reconcile's tombstones", () => tombstoneUsersFromClerk(["user_deleted"], "backfill", db)],
  [
    "the reconcile's tombstones, dry run",
    () => tombstoneUsersFromClerk(["user_deleted"], "backfill", db, { dryRun: true }),
  ],
  ["a webhook delivery", deliver],
];

describe("every transaction that writes begins by taking the write lock", () => {
  it.each(writesNothing)("%s: refused with SQLITE_BUSY while another connection holds it", (_name, call) => {
    other.exec("BEGIN IMMEDIATE");
    try {
      expect(call).toThrow(expect.objectContaining({ code: "SQLITE_BUSY" }));
    } finally {
      other.exec("COMMIT");
    }
  });

  it.each(writesNothing)("%s: goes through once the lock is free", (_name, call) => {
    expect(call).not.toThrow();
  });
});
