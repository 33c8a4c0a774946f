import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "~/db/db.server";
import { tombstoneUserFromClerk, upsertUserFromClerk, upsertUsersFromClerk } from "~/db/user-writer.server";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { backfillUsersFromClerk, BackfillStopped } from "~/backfill/backfill-users.server";
import {
  clerkUsersAsRows,
  clerkFor,
  countBackendRequests,
  liveRows,
  recordingRetryPolicy,
  tableSnapshot,
  UNLIMITED,
} from "./support";

// 4,000 users: at least 8 pages of 500 (Clerk's largest), walked as several created_at ranges at once.
const USERS = 4_000;
let standIn: ClerkStandIn;
const db = () => getDb();

beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
  // Through the control API, as a developer seeding a running stand-in would.
  const seeded = await fetch(`${standIn.url}/_control/seed`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${standIn.controlToken}` },
    body: JSON.stringify({ count: USERS }),
  });
  expect(seeded.status).toBe(200);
});
afterAll(async () => {
  await standIn?.close();
});

function expectSqliteEqualToClerk() {
  const clerk = clerkUsersAsRows(standIn);
  const stored = liveRows(db());
  expect(stored.size).toBe(clerk.size);
  for (const [id, row] of clerk) expect(stored.get(id), id).toEqual(row);
}

/** Turns Clerk's Backend API faults on once the given number of user pages have been answered, mid-run. */
function faultsAfterPages(faults: Record<number, () => void>): () => void {
  let pages = 0;
  return standIn.observeBackendApi((event) => {
    if (event.phase === "answered" && event.path === "/v1/users" && event.status === 200) faults[++pages]?.();
  });
}

describe("npm run sync:all against the stand-in", () => {
  it("imports every user across pages, waiting out injected 429s and retrying injected 500s, and ends equal to Clerk", async () => {
    const { policy, waits } = recordingRetryPolicy();
    const stopFaults = faultsAfterPages({
      // Several ranges are in flight, so these hit requests of different ranges.
      4: () => standIn.faults.setApiFault("429", 4, 1),
      7: () => standIn.faults.setApiFault("500", 3),
    });
    const summary = await backfillUsersFromClerk({
      clerk: clerkFor(standIn),
      limiter: UNLIMITED,
      db: db(),
      retry: policy,
    }).finally(stopFaults);

    expect(summary).toMatchObject({ listed: USERS, created: USERS, updated: 0, unchanged: 0, skipped: 0 });
    expect(summary.pages).toBeGreaterThanOrEqual(8);
    expect(summary.rateLimitWaits).toBeGreaterThanOrEqual(2);
    expect(summary.retries).toBeGreaterThanOrEqual(2);
    // The 429 waits are exactly what Retry-After said (1 s); the 500s use the (injected) backoff.
    expect(waits.filter((ms) => ms === 1000).length).toBe(summary.rateLimitWaits);
    expect(waits.filter((ms) => ms === 5).length).toBe(summary.retries);
    expectSqliteEqualToClerk();
    const sources = db().$client.prepare("select sync_source, count(*) as n from users group by sync_source").all();
    expect(sources).toEqual([{ sync_source: "backfill", n: USERS }]);
  });

  it("changes nothing on a second run and reports every user unchanged", async () => {
    const before = tableSnapshot(db()).replace(/"synced_at":\d+/g, "");
    const requests = countBackendRequests(standIn);
    const summary = await backfillUsersFromClerk({ clerk: clerkFor(standIn), limiter: UNLIMITED, db: db() }).finally(
      requests.stop,
    );
    expect(summary).toMatchObject({ listed: USERS, created: 0, updated: 0, unchanged: USERS, skipped: 0, pruned: 0 });
    expect(tableSnapshot(db()).replace(/"synced_at":\d+/g, "")).toBe(before);
    // 8 pages' worth of users: no more ranges than pages (the limiter would allow 64), so at most a full
    // and a last page per range, plus the three first requests (oldest, newest, count).
    expect(requests.received).toBeLessThanOrEqual((2 * USERS) / 500 + 3);
  });

  it("never lets older Clerk data overwrite newer data here, nor revives a user deleted here", async () => {
    const [newerHere, deletedHere] = [...clerkUsersAsRows(standIn).values()].slice(10, 12);
    upsertUserFromClerk(
      { ...newerHere, firstName: "Newer", clerkUpdatedAt: newerHere.clerkUpdatedAt + 60_000 },
      "webhook",
      db(),
    );
    tombstoneUserFromClerk(deletedHere.clerkId, "webhook", db());
    const before = tableSnapshot(db());

    const summary = await backfillUsersFromClerk({ clerk: clerkFor(standIn), limiter: UNLIMITED, db: db() });

    expect(summary).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: USERS - 2,
      skipped: 2,
      skippedStale: 1,
      skippedDeleted: 1,
    });
    expect(tableSnapshot(db())).toBe(before);
  });
});

describe("npm run sync:all -- --prune (reconcile)", () => {
  it("after missed webhooks: a dry run reports the creations, updates and deletions without writing, then the real run applies them", async () => {
    // Changes made in Clerk while the endpoint was down (the stand-in has no webhook endpoint here).
    const ids = [...clerkUsersAsRows(standIn).keys()];
    for (const id of ids.slice(100, 110)) standIn.store.update(id, { first_name: "Renamed" });
    const deleted = ids.slice(200, 205);
    for (const id of deleted) standIn.store.delete(id);
    for (let i = 0; i < 3; i++) standIn.store.create({ email_address: [`late-${i}@example.com`], first_name: "Late" });
    const stale = ids[10]; // newer here: skipped, as above
    const tombstone = ids[11]; // deleted here, still in Clerk: skipped, stays deleted

    const before = tableSnapshot(db());
    const preview = await backfillUsersFromClerk({
      clerk: clerkFor(standIn),
      limiter: UNLIMITED,
      db: db(),
      prune: true,
      dryRun: true,
    });
    expect(preview).toMatchObject({ dryRun: true, created: 3, updated: 10, skipped: 2, pruned: 5 });
    expect(preview.prunedIds.sort()).toEqual([...deleted].sort());
    expect(tableSnapshot(db())).toBe(before);

    const applied = await backfillUsersFromClerk({
      clerk: clerkFor(standIn),
      limiter: UNLIMITED,
      db: db(),
      prune: true,
    });
    expect(applied).toMatchObject({ dryRun: false, created: 3, updated: 10, skipped: 2, pruned: 5 });

    for (const id of deleted) {
      expect(
        db().$client.prepare("select email, first_name, deleted_at, sync_source from users where clerk_id = ?").get(id),
      ).toEqual({
        email: null,
        first_name: null,
        deleted_at: expect.any(Number),
        sync_source: "backfill",
      });
    }
    // Equal to Clerk, apart from the two rows the ordering rules keep as they are.
    const clerk = clerkUsersAsRows(standIn);
    const stored = liveRows(db());
    clerk.delete(stale);
    clerk.delete(tombstone);
    stored.delete(stale);
    expect(stored).toEqual(clerk);

    const again = await backfillUsersFromClerk({
      clerk: clerkFor(standIn),
      limiter: UNLIMITED,
      db: db(),
      prune: true,
    });
    expect(again).toMatchObject({ created: 0, updated: 0, pruned: 0, unchanged: clerk.size });
  });

  it("keeps a user who signed up after the walk passed their place (arrived by webhook, absent from the listing)", async () => {
    let newcomer = "";
    const summary = await backfillUsersFromClerk({
      clerk: clerkFor(standIn),
      limiter: UNLIMITED,
      db: db(),
      prune: true,
      progress: {
        page(done, total) {
          if (done !== total || newcomer) return;
          // Created in Clerk after the last page was read, delivered by webhook before the reconcile.
          const json = standIn.store.create({ email_address: ["newcomer@example.com"], first_name: "New" });
          newcomer = json.id;
          upsertUsersFromClerk([{ ...clerkUsersAsRows(standIn).get(json.id)! }], "webhook", db());
        },
        retry() {},
        end() {},
      },
    });
    expect(newcomer).not.toBe("");
    expect(summary.pruned).toBe(0);
    expect(db().$client.prepare("select deleted_at from users where clerk_id = ?").get(newcomer)).toEqual({
      deleted_at: null,
    });
  });

  it("refuses to tombstone most of the stored users (keys of another instance?) unless forced", async () => {
    const empty = await startClerkStandIn({ port: 0 });
    try {
      const before = tableSnapshot(db());
      const run = backfillUsersFromClerk({ clerk: clerkFor(empty), limiter: UNLIMITED, db: db(), prune: true });
      await expect(run).rejects.toThrow(BackfillStopped);
      await expect(run).rejects.toThrow(/Refusing to tombstone \d+ of the \d+ stored users.*--force/);
      expect(tableSnapshot(db())).toBe(before);

      const forcedPreview = await backfillUsersFromClerk({
        clerk: clerkFor(empty),
        limiter: UNLIMITED,
        db: db(),
        prune: true,
        force: true,
        dryRun: true,
      });
      expect(forcedPreview.pruned).toBe(liveRows(db()).size);
      expect(tableSnapshot(db())).toBe(before);
    } finally {
      await empty.close();
    }
  });
});
