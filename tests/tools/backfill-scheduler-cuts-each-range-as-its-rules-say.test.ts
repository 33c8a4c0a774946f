import { describe, expect, it } from "vitest";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { CreatedAtRange } from "~/backfill/created-at-ranges.server";
import { walkRanges } from "~/backfill/range-walk.server";

/**
 * The scheduler's rules (app/backfill/range-walk.server.ts, its header comment), step by step: the test answers
 * each page by hand, in the order it chooses, from an in-memory Clerk, and reads which pages are asked for next.
 * A query is written `after..before`, the exclusive created_at bounds, with the `starting_after` cursor. Each
 * page's density is the users over its second half: five users in four milliseconds, 1.25 per ms, for the pages
 * of one user per millisecond used here.
 */

const PAGE = 10;

function scheduler(times: number[], ranges: CreatedAtRange[], concurrency: number, openEnd: number) {
  const users = times.map((at, i) => ({ clerkId: `user_${i}`, clerkCreatedAt: at }) as ClerkUserFields);
  const asked: { query: string; answer: () => void }[] = [];
  const pagesRead: string[][] = [];
  let settled = false;
  const done = walkRanges({
    ranges,
    openEnd,
    total: users.length,
    concurrency,
    pageSize: PAGE,
    fetch(range) {
      const q = range.nextQuery(PAGE);
      return new Promise((resolve) => {
        asked.push({
          query: `${q.createdAtAfter}..${q.createdAtBefore ?? ""}${q.startingAfter ? ` ${q.startingAfter}` : ""}`,
          answer() {
            let start = users.findIndex((user) => user.clerkCreatedAt > q.createdAtAfter!);
            if (start < 0) start = users.length;
            if (q.startingAfter) start = Math.max(start, Number(q.startingAfter.slice("user_".length)) + 1);
            let end = users.findIndex((user) => user.clerkCreatedAt >= (q.createdAtBefore ?? Infinity));
            if (end < 0) end = users.length;
            resolve(users.slice(start, Math.min(end, start + q.limit)));
          },
        });
      });
    },
    read: (page) => void pagesRead.push(page.map((user) => user.clerkId)),
  }).finally(() => (settled = true));

  return {
    /** The pages asked for and not yet answered, oldest first. */
    pending: () => asked.map((page) => page.query),
    /** Answers the page asked for as `query`; returns what is pending once the walk has taken it in. */
    async answer(query: string) {
      const index = asked.findIndex((page) => page.query === query);
      expect(index, `${query} is pending`).toBeGreaterThanOrEqual(0);
      asked.splice(index, 1)[0].answer();
      await new Promise((resolve) => setImmediate(resolve));
      return asked.map((page) => page.query);
    },
    /** Answers every page, oldest first, until the walk ends; it must not end while a page is out. */
    async finish() {
      while (asked.length > 0) {
        expect(settled).toBe(false);
        asked.shift()!.answer();
        await new Promise((resolve) => setImmediate(resolve));
      }
      const result = await done;
      const read = pagesRead.flat();
      expect(read.length).toBe(users.length);
      expect(new Set(read).size).toBe(users.length);
      expect(pagesRead.every((page) => page.length > 0)).toBe(true);
      return result;
    },
  };
}

const perMs = (count: number, from: number) => Array.from({ length: count }, (_, i) => from + i);
const spread = (count: number, from: number, to: number) =>
  Array.from({ length: count }, (_, i) => from + Math.floor((i * (to - from)) / count));

/** 600 users: X holds ten in its first 10 ms, then 90 to 1000; Y 200 to 1500; W, open-ended, 300 to 2000. */
const RUSH = [...perMs(10, 0), ...spread(90, 10, 1_000), ...spread(200, 1_000, 1_500), ...spread(300, 1_500, 2_000)];
/** X, Y and W, with what Y and W are planned to hold (all that is known of them before their first page). */
const rushRanges = (y: number, w: number) => [
  new CreatedAtRange(0, 1_000, 200),
  new CreatedAtRange(1_000, 1_500, y),
  new CreatedAtRange(1_500, null, w),
];

describe("the scheduler cuts a range", () => {
  it("not at all while it is expected to hold at most two shares", async () => {
    // 25 users, 4 slots: after the first page 15 are left, a share is a page (15 / 4 is less), 15 ≤ 20.
    const walk = scheduler(perMs(25, 0), [new CreatedAtRange(0, null, 25)], 4, 25);
    expect(walk.pending()).toEqual(["-1.."]);
    expect(await walk.answer("-1..")).toEqual(["-1.. user_9"]);
    expect(await walk.answer("-1.. user_9")).toEqual(["-1.. user_19"]);
    expect(await walk.finish()).toEqual({ ranges: 1, inOneMillisecond: 0 });
  });

  it("into one-share pieces, all at once, when it is expected to hold two to eight shares", async () => {
    // 200 users, 4 slots. After the first page: 190 left, a share is 47.5, the range is expected to hold
    // min(191 ms × 1.25, 190) = 190, four shares: cut into 4 pieces of 5 pages less a tenth (49 users, 39 ms).
    const walk = scheduler(perMs(200, 0), [new CreatedAtRange(0, null, 200)], 4, 200);
    expect(await walk.answer("-1..")).toEqual(["-1.. user_9", "47..87", "86..126", "125.."]);
    expect(await walk.finish()).toEqual({ ranges: 6, inOneMillisecond: 0 });
  });

  it("into eight pieces when it is expected to hold exactly eight shares, still believed", async () => {
    // 510 users, 10 slots. After X's first page: 500 left, a share is 50; X is expected to hold
    // 320 ms × 1.25 = 400, eight shares: 8 pieces of 50 users, cut at 49 users (39 ms) each.
    const times = [...perMs(10, 0), ...spread(90, 10, 329), ...spread(410, 329, 1_000)];
    const walk = scheduler(times, [new CreatedAtRange(0, 329, 100), new CreatedAtRange(329, null, 410)], 10, 1_000);
    expect(await walk.answer("-1..329")).toEqual([
      "328..",
      "-1..329 user_9",
      "47..87",
      "86..126",
      "125..165",
      "164..204",
      "203..243",
      "242..282",
      "281..329",
    ]);
    expect((await walk.finish()).ranges).toBeGreaterThan(9);
  });

  it("beyond eight shares (a rush the page has just reached): only as many shares as no other range holds", async () => {
    // 600 users, 10 slots, three ranges. After X's first page (ten users in its first 10 ms): 590 left, a share
    // is 59; X is expected to hold min(991 ms × 1.25, 590) = 590, beyond eight shares (472). Y is expected to
    // hold its planned 300 and W its planned 500, which is beyond belief too, so it claims nothing: 290 users
    // are unclaimed, five shares, and 7 slots are free. X is cut into 5 pieces of 59 users (6 pages less a
    // tenth, 47 ms each), the last taking the rest of X.
    const walk = scheduler(RUSH, rushRanges(300, 500), 10, 2_000);
    expect(walk.pending()).toEqual(["-1..1000", "999..1500", "1499.."]);
    expect(await walk.answer("-1..1000")).toEqual([
      "999..1500",
      "1499..",
      "-1..1000 user_9",
      "55..103",
      "102..150",
      "149..197",
      "196..1000",
    ]);
    expect((await walk.finish()).ranges).toBeGreaterThan(7);
  });

  it("beyond eight shares: no more pieces than free slots, and none when the other ranges claim what is left", async () => {
    // Y is expected to hold 50: 540 unclaimed, ten shares, but only 7 slots are free: 8 pieces.
    const fewSlots = scheduler(RUSH, rushRanges(50, 500), 10, 2_000);
    expect(await fewSlots.answer("-1..1000")).toEqual([
      "999..1500",
      "1499..",
      "-1..1000 user_9",
      "55..103",
      "102..150",
      "149..197",
      "196..244",
      "243..291",
      "290..338",
      "337..1000",
    ]);
    await fewSlots.finish();
    // W is expected to hold 472, exactly eight shares, still believed: with Y's 300 it claims all that is left.
    const claimed = scheduler(RUSH, rushRanges(300, 472), 10, 2_000);
    expect(await claimed.answer("-1..1000")).toEqual(["999..1500", "1499..", "-1..1000 user_9"]);
    await claimed.finish();
  });

  it("beyond eight shares, not while every slot is busy and a range waits for one", async () => {
    // 10 slots, 11 ranges: X and ten of five users each, the last waiting. After X's first page 140 are left, a
    // share is 14, X is expected to hold all 140 (beyond 112) and the others claim 50: but no slot is free.
    const times = [...perMs(10, 0), ...spread(90, 10, 1_000), ...spread(50, 1_000, 2_000)];
    const others = Array.from(
      { length: 10 },
      (_, k) => new CreatedAtRange(1_000 + 100 * k, k === 9 ? null : 1_100 + 100 * k, 5),
    );
    const walk = scheduler(times, [new CreatedAtRange(0, 1_000, 100), ...others], 10, 2_000);
    expect(walk.pending()).toHaveLength(10);
    const pending = await walk.answer("-1..1000");
    expect(pending).toHaveLength(10);
    expect(pending.at(-1)).toBe("-1..1000 user_9");
    // The first of the others ends: the waiting range takes its slot.
    expect((await walk.answer("999..1100")).at(-1)).toBe("1899..");
    // The second ends and nothing waits: X (130 left of 130, a share is 13) is cut for that one free slot,
    // 2 pieces of 65 users, 7 pages less a tenth (55 ms) each. Had X been cut when its page came, its piece
    // would have been waiting, and taken the slot now.
    expect((await walk.answer("1099..1200")).slice(-3)).toEqual(["-1..1000 user_9", "1899..", "63..1000"]);
    await walk.finish();
  });
});

describe("when a range ends and nothing waits", () => {
  it("the range with the most left is cut for the free slot, once a page has shown its density", async () => {
    // 2 slots. A holds 15 users over 100 ms, B 100 users at one per ms from 100. B's first page: 105 left,
    // a share is 52.5, B is expected to hold min(91 ms × 1.25, 105) = 105, exactly two shares: not cut.
    const times = [...spread(15, 0, 100), ...perMs(100, 100)];
    const walk = scheduler(times, [new CreatedAtRange(0, 100, 15), new CreatedAtRange(100, null, 100)], 2, 200);
    expect(await walk.answer("99..")).toEqual(["-1..100", "99.. user_24"]);
    expect(await walk.answer("-1..100")).toEqual(["99.. user_24", "-1..100 user_9"]);
    // A ends. B has 100 left of 100: two shares of 50 for the two slots, 5 pages less a tenth (39 ms) each.
    expect(await walk.answer("-1..100 user_9")).toEqual(["99.. user_24", "147.."]);
    // And again when B's first part ends: the part left gives the free slot a piece.
    expect(await walk.finish()).toEqual({ ranges: 4, inOneMillisecond: 0 });
  });

  it("only when that range is expected to hold at least two pages", async () => {
    // 2 slots. A holds 5 users, B 30: ten at one per ms from 100, then twenty over 110–130.
    const times = [...spread(5, 0, 100), ...perMs(10, 100), ...spread(20, 110, 130)];
    const twoPages = scheduler(times, [new CreatedAtRange(0, 100, 5), new CreatedAtRange(100, null, 30)], 2, 130);
    // B's first page: 25 left, a share is 12.5, B is expected to hold min(21 ms × 1.25, 25) = 25: not cut.
    expect(await twoPages.answer("99..")).toEqual(["-1..100", "99.. user_14"]);
    // A ends: 20 left, all B's, two pages exactly: cut for the free slot, a page less a tenth (7 ms) each.
    expect(await twoPages.answer("-1..100")).toEqual(["99.. user_14", "115.."]);
    await twoPages.finish();

    // B holds 35 here: ten at one per ms from 100, then 25 more, one per ms.
    const moreTimes = [...spread(5, 0, 100), ...perMs(35, 100)];
    const lessThanTwo = scheduler(
      moreTimes,
      [new CreatedAtRange(0, 100, 5), new CreatedAtRange(100, null, 35)],
      2,
      135,
    );
    // B's first page: 30 left, a share is 15, B expected to hold min(26 ms × 1.25, 30) = 30: not cut. Its
    // second: 20 left, a share is a page, B expected to hold 20: not cut.
    await lessThanTwo.answer("99..");
    expect(await lessThanTwo.answer("99.. user_14")).toEqual(["-1..100", "99.. user_24"]);
    // A ends: 15 left, B is expected to hold 15, less than two pages: nothing is cut.
    expect(await lessThanTwo.answer("-1..100")).toEqual(["99.. user_24"]);
    expect(await lessThanTwo.finish()).toEqual({ ranges: 2, inOneMillisecond: 0 });
  });

  it("into at most as many pieces as free slots, and shares; ranges with no page read yet are never chosen", async () => {
    // 4 slots, four ranges: A (9 users, one short page), B (ten at one per ms from 100, then 40), C (180,
    // never answered here, expected to hold 180 as planned) and D (one). B's first page: 230 left, a share is
    // 57.5, B is expected to hold min(91 ms × 1.25, 230) = 113.75, not two shares: not cut.
    const layout = (inC: number) => {
      const times = [...spread(9, 0, 100), ...perMs(50, 100), ...spread(inC, 200, 300), 350];
      return scheduler(
        times,
        [
          new CreatedAtRange(0, 100, 9),
          new CreatedAtRange(100, 200, 50),
          new CreatedAtRange(200, 300, inC),
          new CreatedAtRange(300, null, 1),
        ],
        4,
        351,
      );
    };
    const oneSlot = layout(180);
    expect(await oneSlot.answer("99..200")).toEqual(["-1..100", "199..300", "299..", "99..200 user_18"]);
    // A ends: 221 left, a share is 55.25, B (113.75) is three shares, but one slot is free: 2 pieces of
    // 56.875, 6 pages less a tenth (47 ms) each. C, with more expected, has shown no density: it is not cut.
    expect(await oneSlot.answer("-1..100")).toEqual(["199..300", "299..", "99..200 user_18", "155..200"]);
    await oneSlot.finish();

    // With 500 users in C: 541 left after A, a share is 135.25, so B's 113.75 is one share: not cut.
    const oneShare = layout(500);
    await oneShare.answer("99..200");
    expect(await oneShare.answer("-1..100")).toEqual(["199..300", "299..", "99..200 user_18"]);
    await oneShare.finish();
  });
});
