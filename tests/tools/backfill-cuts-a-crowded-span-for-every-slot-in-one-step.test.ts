import { describe, expect, it } from "vitest";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { planRanges } from "~/backfill/created-at-ranges.server";
import { walkRanges } from "~/backfill/range-walk.server";
import type { UserPageQuery } from "~/backfill/user-pages.server";

/**
 * The backfill's scheduler (app/backfill/range-walk.server.ts) against an
 * in-memory Clerk that lists users as Clerk does (created_at bounds, a
 * `starting_after` cursor): whatever the sign-up timeline, every user is read
 * exactly once, a crowded span keeps every slot busy, and users created in one
 * millisecond are read by one cursor and counted.
 */

const PAGE = 100;
const SLOTS = 10;
const YEAR = 365 * 24 * 3_600_000;

/** Runs the walk over users created at `times` (ascending): what it read, and how it asked. */
async function walk(times: number[]) {
  const users = times.map((at, i) => ({ clerkId: `user_${i}`, clerkCreatedAt: at }) as ClerkUserFields);
  /** The index of the first user created after `after`. */
  const firstAfter = (after: number) => {
    let lo = 0;
    let hi = users.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (users[mid].clerkCreatedAt > after) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const read = new Map<string, number>();
  let requests = 0;
  let inFlight = 0;
  /** Requests in flight each time one was sent, and how many users had been read by then. */
  const sent: { inFlight: number; read: number }[] = [];
  const list = async (query: UserPageQuery) => {
    requests++;
    sent.push({ inFlight: ++inFlight, read: read.size });
    await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
    let start = firstAfter(query.createdAtAfter!);
    if (query.startingAfter) start = Math.max(start, Number(query.startingAfter.slice("user_".length)) + 1);
    const end = query.createdAtBefore === undefined ? users.length : firstAfter(query.createdAtBefore - 1);
    return users.slice(start, Math.min(end, start + query.limit));
  };
  const last = times.at(-1)!;
  const result = await walkRanges({
    ranges: planRanges(times[0], last, users.length, SLOTS, PAGE),
    openEnd: last + 1,
    total: users.length,
    concurrency: SLOTS,
    pageSize: PAGE,
    fetch: (range) => list(range.nextQuery(PAGE)),
    read(page) {
      for (const user of page) read.set(user.clerkId, (read.get(user.clerkId) ?? 0) + 1);
    },
  });
  return {
    read,
    requests,
    result,
    pages: Math.ceil(users.length / PAGE),
    /** The most requests in flight at once after `users` users had been read. */
    mostInFlightAfter: (users: number) => Math.max(0, ...sent.filter((s) => s.read >= users).map((s) => s.inFlight)),
  };
}

const spread = (count: number, from: number, to: number) =>
  Array.from({ length: count }, (_, i) => from + Math.floor((i * (to - from)) / count));

function expectEachReadOnce(read: Map<string, number>, count: number) {
  expect(read.size).toBe(count);
  expect([...read.values()].every((times) => times === 1)).toBe(true);
}

describe("the backfill's scheduler", () => {
  it("cuts a rush that follows a quiet year for every slot, in one step, and reads each user once", async () => {
    // 1,000 users over a year, then 10,000 in one minute: 110 pages, 100 of them in the last minute.
    const times = [...spread(1_000, 0, YEAR), ...spread(10_000, YEAR, YEAR + 60_000)];
    const { read, requests, pages, mostInFlightAfter } = await walk(times);
    expectEachReadOnce(read, times.length);
    // Left to the range it fell in, the rush would be read one page at a time once the year is in.
    expect(mostInFlightAfter(2_000)).toBe(SLOTS);
    expect(requests).toBeLessThanOrEqual(pages * 1.3);
  });

  it("reads each user once whatever the timeline: steady, in bursts, or with years of nothing between", async () => {
    const timelines = {
      steady: spread(5_000, 0, YEAR),
      bursts: [
        ...spread(500, 0, YEAR / 2),
        ...spread(2_000, YEAR / 2, YEAR / 2 + 120_000),
        ...spread(500, YEAR / 2 + 120_000, YEAR),
        ...spread(2_000, YEAR, YEAR + 1_000),
      ],
      gaps: [...spread(2_000, 0, YEAR), ...spread(3_000, 5 * YEAR, 6 * YEAR)],
    };
    for (const [name, times] of Object.entries(timelines)) {
      const { read, requests, pages } = await walk(times);
      expect(read.size, name).toBe(times.length);
      expect(
        [...read.values()].every((count) => count === 1),
        name,
      ).toBe(true);
      expect(requests, name).toBeLessThanOrEqual(pages * 1.5);
    }
  });

  it("reads users created in one millisecond with one cursor, page after page, and says how many", async () => {
    // 1,000 users stamped with one millisecond, between two steady stretches.
    const times = [...spread(1_000, 0, YEAR), ...Array<number>(1_000).fill(YEAR), ...spread(1_000, YEAR + 1, 2 * YEAR)];
    const { read, result } = await walk(times);
    expectEachReadOnce(read, times.length);
    // At least the nine full pages inside the pile; the page that runs into it may start before it.
    expect(result.inOneMillisecond).toBeGreaterThanOrEqual(900);
    expect(result.inOneMillisecond).toBeLessThanOrEqual(1_000);
  });
});
