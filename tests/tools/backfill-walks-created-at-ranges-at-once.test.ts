import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { backfillUsersFromClerk } from "~/backfill/backfill-users.server";
import { limiterSettingsFor } from "~/backfill/rate-limiter.server";
import { clerkUserSchema, clerkUserToRow } from "~/clerk/clerk-user";
import { getDb } from "~/db/db.server";
import { tombstoneUserFromClerk, upsertUserFromClerk } from "~/db/user-writer.server";
import { generateUsers, startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { formatSummary } from "../../scripts/lib/backfill-report";
import { clerkUsersAsRows, clerkFor, liveRows, recordingRetryPolicy, UNLIMITED } from "./support";

let standIn: ClerkStandIn;
const db = () => getDb();
let stopWatching = () => {};

/** Every Backend API request as the stand-in sees it: how many at once, and which statuses. */
function watchRequests() {
  const seen = {
    inFlight: 0,
    maxInFlight: 0,
    statuses: [] as number[],
    /** The most in flight at once after `answered` requests had been answered. */
    maxInFlightAfter(answered: number) {
      return Math.max(0, ...this.samples.filter((sample) => sample.answered >= answered).map((s) => s.inFlight));
    },
    samples: [] as { answered: number; inFlight: number }[],
  };
  stopWatching = standIn.observeBackendApi((event) => {
    if (event.phase === "received") {
      seen.inFlight++;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      seen.samples.push({ answered: seen.statuses.length, inFlight: seen.inFlight });
    } else {
      seen.inFlight--;
      seen.statuses.push(event.status);
    }
  });
  return seen;
}

/** How many times each user was handed to the writer by the backfill. */
function countListings() {
  const times = new Map<string, number>();
  return {
    times,
    onPage(ids: readonly string[]) {
      for (const id of ids) times.set(id, (times.get(id) ?? 0) + 1);
    },
  };
}

beforeAll(async () => {
  // Time per answer, as a network has: with none, each request is answered before the next arrives, and
  // pages are written (onPage, where users are changed below) before the next page is asked for.
  standIn = await startClerkStandIn({ port: 0, latency: "60ms±10" });
  // Not spread evenly in time, as real sign-ups are not: 1,000 over a year, then 5,000 in one hour.
  const now = Date.now();
  const year = generateUsers({ count: 1_000, now: now - 3_600_000, emailPrefix: "year" });
  const rush = generateUsers({ count: 5_000, now, emailPrefix: "rush" }).map((user, i) => ({
    ...user,
    created_at: now - 3_600_000 + i * 700,
    updated_at: now - 3_600_000 + i * 700,
  }));
  standIn.store.seed([...year, ...rush]);
});
afterEach(() => stopWatching());
afterAll(async () => {
  await standIn?.close();
});

describe("the backfill walks created_at ranges at once", () => {
  it("has several pages in flight, cuts the crowded range for every slot, and hands every user to the writer exactly once", async () => {
    const requests = watchRequests();
    const listings = countListings();
    const summary = await backfillUsersFromClerk({
      clerk: clerkFor(standIn),
      db: db(),
      limiter: UNLIMITED,
      concurrency: 6,
      pageSize: 100,
      onPage: listings.onPage,
    });

    const clerk = clerkUsersAsRows(standIn);
    expect(summary).toMatchObject({ listed: clerk.size, created: clerk.size });
    expect([...listings.times.keys()].sort()).toEqual([...clerk.keys()].sort());
    expect([...listings.times.values()].every((times) => times === 1)).toBe(true);
    // More than the two a single getUserList sends at once (the list and its count).
    expect(requests.maxInFlight).toBeGreaterThanOrEqual(3);
    // Equal slices of the year leave the last one holding the rush's 5,000 users, 50 of the 60 pages: read
    // alone it would have one request out at a time once the year's ten pages are in. Cut by its density,
    // the slots share it (that every slot gets a piece, and when, is pinned step by step, on pages answered by
    // hand, in backfill-scheduler-cuts-each-range-as-its-rules-say: here the stand-in's timing decides how
    // many are out at the moment one is counted).
    expect(requests.maxInFlightAfter(30)).toBeGreaterThanOrEqual(3);
    expect(liveRows(db())).toEqual(clerk);
  });

  it("ends equal to Clerk when users are created, updated and deleted during the run, a page's last user (its cursor) among them", async () => {
    // The webhook door, delivered at once: what the app would receive while the backfill runs.
    const unsubscribe = standIn.store.on((change) => {
      if (change.type === "user.deleted") tombstoneUserFromClerk(change.id, "webhook", db());
      else upsertUserFromClerk(clerkUserToRow(clerkUserSchema.parse(change.user)), "webhook", db());
    });
    const requests = watchRequests();
    const listings = countListings();
    const atStart = new Set(clerkUsersAsRows(standIn).keys());
    const deleted = new Set<string>();
    let pages = 0;
    try {
      const summary = await backfillUsersFromClerk({
        clerk: clerkFor(standIn),
        db: db(),
        limiter: UNLIMITED,
        concurrency: 6,
        pageSize: 100,
        onPage(ids) {
          listings.onPage(ids);
          pages++;
          // The next page of this range is already asked for, after the user deleted here.
          if (pages % 5 === 0) {
            standIn.store.delete(ids[ids.length - 1]);
            deleted.add(ids[ids.length - 1]);
          }
          if (pages % 7 === 0)
            standIn.store.create({ email_address: [`during-${pages}@example.com`], first_name: "During" });
          if (pages % 3 === 0) {
            const ahead = [...atStart].find((id) => !listings.times.has(id) && !deleted.has(id));
            if (ahead) {
              standIn.store.update(ahead, { first_name: "Renamed during the run" });
            }
          }
          if (pages % 11 === 0) {
            const ahead = [...atStart].reverse().find((id) => !listings.times.has(id) && !deleted.has(id));
            if (ahead) {
              standIn.store.delete(ahead);
              deleted.add(ahead);
            }
          }
        },
      });
      expect(summary.listed).toBeGreaterThan(0);
    } finally {
      unsubscribe();
    }

    expect(deleted.size).toBeGreaterThan(5);
    // Clerk refused some cursors (their users were gone), and the walk went on from their instant.
    expect(requests.statuses).toContain(422);
    expect([...listings.times.values()].every((times) => times === 1)).toBe(true);
    const clerk = clerkUsersAsRows(standIn);
    for (const id of atStart) {
      if (clerk.has(id)) expect(listings.times.get(id), id).toBe(1);
    }
    expect(liveRows(db())).toEqual(clerk);
    for (const id of deleted)
      expect(db().$client.prepare("select deleted_at from users where clerk_id = ?").get(id)).toEqual({
        deleted_at: expect.any(Number),
      });
  });
});

describe("users created in one millisecond", () => {
  it("are read once each by one cursor, page after page, and the run says so", async () => {
    const pile = await startClerkStandIn({ port: 0, latency: "5ms±2" });
    try {
      const now = Date.now();
      const before = generateUsers({ count: 300, now: now - 60_000, emailPrefix: "before" });
      const stamped = generateUsers({ count: 700, now, emailPrefix: "import" }).map((user) => ({
        ...user,
        created_at: now - 30_000,
        updated_at: now - 30_000,
      }));
      pile.store.seed([...before, ...stamped]);
      const listings = countListings();
      const summary = await backfillUsersFromClerk({
        clerk: clerkFor(pile),
        db: db(),
        limiter: UNLIMITED,
        concurrency: 6,
        pageSize: 100,
        onPage: listings.onPage,
      });
      expect(listings.times.size).toBe(1_000);
      expect([...listings.times.values()].every((times) => times === 1)).toBe(true);
      // Seven pages of the pile; the page that runs into it may start before it.
      expect(summary.inOneMillisecond).toBeGreaterThanOrEqual(600);
      expect(formatSummary(summary, { prune: false })).toContain(
        `${summary.inOneMillisecond} users shared a created_at millisecond with a page or more of others`,
      );
    } finally {
      await pile.close();
    }
  });
});

describe("the backfill against Clerk's rate limit", () => {
  it("provokes no 429 when its limiter matches the instance's limit", async () => {
    const limit = { requests: 40, windowSeconds: 2 };
    const limited = await startClerkStandIn({ port: 0, rateLimit: limit });
    try {
      limited.store.seed(generateUsers({ count: 5_000, emailPrefix: "limited" }));
      const atTheLimit = await backfillUsersFromClerk({
        clerk: clerkFor(limited),
        db: db(),
        limiter: limiterSettingsFor({ kind: "custom", ...limit }),
        pageSize: 100,
      });
      // More requests than the limit allows at once, all let out under it.
      expect(atTheLimit.pages).toBeGreaterThan(limit.requests);
      expect(atTheLimit).toMatchObject({ listed: 5_000, rateLimitWaits: 0 });
      expect(limited.rateLimit!.rejected).toBe(0);
    } finally {
      await limited.close();
    }
  });

  it("waits out the 429s when its limiter is set above the instance's limit", async () => {
    // A bucket of 3 that refills 3 a second: the first wave of 6 ranges asks for 6
    // pages in one tick, so some are refused however slow or fast this machine is.
    const limited = await startClerkStandIn({ port: 0, rateLimit: { requests: 3, windowSeconds: 1 } });
    try {
      limited.store.seed(generateUsers({ count: 1_000, emailPrefix: "above" }));
      const { policy, waits } = recordingRetryPolicy();
      const aboveIt = await backfillUsersFromClerk({
        clerk: clerkFor(limited),
        db: db(),
        limiter: UNLIMITED,
        concurrency: 6,
        pageSize: 100,
        retry: policy,
      });
      expect(limited.rateLimit!.rejected).toBeGreaterThan(0);
      expect(aboveIt).toMatchObject({ listed: 1_000, created: 1_000 });
      expect(aboveIt.rateLimitWaits).toBeGreaterThan(0);
      // Retry-After said one second: one token at 3 requests/s, rounded up.
      expect(waits.every((ms) => ms === 1000)).toBe(true);
      const clerk = clerkUsersAsRows(limited);
      const stored = liveRows(db());
      for (const [id, row] of clerk) expect(stored.get(id)).toEqual(row);
    } finally {
      await limited.close();
    }
  });
});
