import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { openDatabase, type AppDatabase } from "~/db/db.server";
import { upsertUsersFromClerk } from "~/db/user-writer.server";
import { backfillUsersFromClerk } from "~/backfill/backfill-users.server";
import { clerkUserFields } from "../support/clerk-user-fields";
import { clerkFor, clerkUsersAsRows, liveRows, UNLIMITED } from "./support";

/**
 * `--prune` tombstones a stored user only once Clerk has said it no longer has
 * them: every candidate (a stored user the walk did not list) is asked about,
 * 100 ids a request. Here 150 users signed up after the walk passed their place
 * (they arrived by webhook) and 5 stored users are really gone, listed last, so
 * they are only asked about in the second hundred.
 */

let standIn: ClerkStandIn;
let db: AppDatabase;
beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
  standIn.store.seed(Array.from({ length: 5 }, (_, i) => ({ email_address: [`walked-${i}@example.com`] })));
  db = openDatabase({ path: ":memory:", synchronous: "NORMAL", busyTimeoutMs: 1000 });
});
afterAll(async () => {
  db?.$client.close();
  await standIn?.close();
});
afterEach(() => standIn.faults.clear());

const T = Date.now() - 60_000;
const gone = Array.from({ length: 5 }, (_, i) => `user_gone_${i}`);
const goneUser = (clerkId: string): ClerkUserFields =>
  clerkUserFields({
    clerkId,
    email: `${clerkId}@example.com`,
    firstName: "Gone",
    clerkCreatedAt: T,
    clerkUpdatedAt: T,
  });

describe("npm run sync:all -- --prune with more than 100 candidates", () => {
  it("asks Clerk about every one and tombstones exactly those it no longer has", async () => {
    const newcomers: string[] = [];
    const summary = await backfillUsersFromClerk({
      clerk: clerkFor(standIn),
      limiter: UNLIMITED,
      db,
      prune: true,
      progress: {
        page(done, total) {
          if (done !== total || newcomers.length) return;
          // After the last page was read: 150 sign-ups delivered by webhook, then 5 users Clerk never had.
          for (let i = 0; i < 150; i++) {
            newcomers.push(standIn.store.create({ email_address: [`newcomer-${i}@example.com`] }).id);
          }
          const rows = clerkUsersAsRows(standIn);
          upsertUsersFromClerk(
            newcomers.map((id) => rows.get(id)!),
            "webhook",
            db,
          );
          upsertUsersFromClerk(gone.map(goneUser), "webhook", db);
        },
        retry() {},
        end() {},
      },
    });

    expect(newcomers).toHaveLength(150);
    expect(summary.pruned).toBe(gone.length);
    expect([...summary.prunedIds].sort()).toEqual(gone);
    const live = liveRows(db);
    for (const id of newcomers) expect(live.has(id), id).toBe(true);
    for (const id of gone) expect(live.has(id), id).toBe(false);
    expect(live.size).toBe(5 + newcomers.length);
  });
});
