import { describe, expect, it } from "vitest";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { CreatedAtRange, planRanges, splitByExpectedUsers } from "~/backfill/created-at-ranges.server";

/**
 * The backfill's created_at ranges (app/backfill/created-at-ranges.server.ts),
 * on their own: the first plan, the queries a range sends, what it keeps of a
 * page, and how it is cut. Users are `{ clerkId, clerkCreatedAt }`: all a range
 * reads of them.
 */

const user = (clerkId: string, clerkCreatedAt: number) => ({ clerkId, clerkCreatedAt }) as ClerkUserFields;
const ids = (users: readonly ClerkUserFields[]) => users.map((u) => u.clerkId);

describe("the first plan", () => {
  it("covers first to last with ranges of equal duration that neither overlap nor leave a gap, the last open", () => {
    const ranges = planRanges(1_000, 100_999, 20_000, 10, 500);
    expect(ranges[0].from).toBe(1_000);
    expect(ranges.at(-1)!.to).toBeNull();
    expect(ranges.at(-1)!.from).toBeLessThanOrEqual(100_999);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i].from).toBe(ranges[i - 1].to);
    const widths = ranges.slice(0, -1).map((range) => range.to! - range.from);
    expect(new Set(widths).size).toBe(1);
    expect(ranges.length).toBeGreaterThanOrEqual(5);
    expect(ranges.length).toBeLessThanOrEqual(10);
  });

  it("plans no range of exactly whole pages, which would cost an empty last request, when another count avoids it", () => {
    // 40 ranges of 100,000 users would be 2,500 each: five full pages and an empty sixth, 240 requests.
    const ranges = planRanges(0, 999_999, 100_000, 40, 500);
    const perRange = 100_000 / ranges.length;
    expect(perRange % 500).toBeGreaterThan(0);
    expect(ranges.length * (Math.floor(perRange / 500) + 1)).toBeLessThan(240);
  });

  it("plans no more ranges than pages, nor than milliseconds", () => {
    expect(planRanges(0, 999_999, 300, 40, 500)).toHaveLength(1);
    expect(planRanges(0, 999_999, 1_200, 40, 500)).toHaveLength(3);
    expect(planRanges(5, 7, 100_000, 40, 500)).toHaveLength(3);
    expect(planRanges(5, 5, 100_000, 40, 500).map((range) => [range.from, range.to])).toEqual([[5, null]]);
  });
});

describe("a created_at range", () => {
  it("asks for users from its start (exclusive bound one ms before) up to its end, then after its cursor", () => {
    const range = new CreatedAtRange(100, 200, 0);
    expect(range.nextQuery(3)).toEqual({ limit: 3, createdAtAfter: 99, createdAtBefore: 200 });
    range.accept([user("a", 100), user("b", 150), user("c", 160)], 3);
    expect(range.nextQuery(3)).toEqual({ limit: 3, createdAtAfter: 99, createdAtBefore: 200, startingAfter: "c" });
    expect(new CreatedAtRange(300, null, 0).nextQuery(2)).toEqual({ limit: 2, createdAtAfter: 299 });
  });

  it("leaves a user created exactly at its end to the next range, which reads it once", () => {
    const first = new CreatedAtRange(100, 200, 0);
    const next = new CreatedAtRange(200, null, 0);
    // A page asked for before the range was cut at 200 still reaches past it.
    const page = [user("a", 198), user("b", 199), user("at-end", 200)];
    expect(ids(first.accept(page, 3))).toEqual(["a", "b"]);
    expect(first.done).toBe(true);
    expect(next.nextQuery(3).createdAtAfter).toBe(199);
    expect(ids(next.accept([user("at-end", 200)], 3))).toEqual(["at-end"]);
  });

  it("after its cursor's user is deleted, goes on from that millisecond and drops the users of it already read", () => {
    const range = new CreatedAtRange(0, null, 0);
    expect(ids(range.accept([user("a", 10), user("b", 10), user("c", 10)], 3))).toEqual(["a", "b", "c"]);
    range.loseCursor(); // c was deleted: Clerk refuses starting_after=c
    expect(range.nextQuery(3)).toEqual({ limit: 3, createdAtAfter: 9 });
    // The millisecond again: a and b were read, d is new there; c is gone.
    expect(ids(range.accept([user("a", 10), user("b", 10), user("d", 10)], 3))).toEqual(["d"]);
    expect(range.nextQuery(3)).toEqual({ limit: 3, createdAtAfter: -1, startingAfter: "d" });
    expect(ids(range.accept([user("e", 10), user("f", 11)], 3))).toEqual(["e", "f"]);
    expect(range.listed).toBe(6);
    expect(range.done).toBe(true);
  });

  it("moves on after a lost cursor even when whole pages repeat users of that millisecond already read", () => {
    const range = new CreatedAtRange(0, null, 0);
    range.accept([user("a", 10), user("b", 10)], 2);
    range.accept([user("c", 10), user("d", 10)], 2);
    range.loseCursor(); // d was deleted
    expect(range.accept([user("a", 10), user("b", 10)], 2)).toEqual([]);
    expect(range.nextQuery(2)).toEqual({ limit: 2, createdAtAfter: -1, startingAfter: "b" });
    // After b, Clerk sends c again (read before the cursor was lost), then e, new.
    expect(ids(range.accept([user("c", 10), user("e", 10)], 2))).toEqual(["e"]);
    expect(ids(range.accept([user("f", 12)], 2))).toEqual(["f"]);
    expect(range.listed).toBe(6);
    expect(range.done).toBe(true);
  });

  it("stops the walk, naming the cursor, when Clerk answers the page after it with users already read", () => {
    const range = new CreatedAtRange(0, null, 0);
    range.accept([user("a", 1), user("b", 2)], 2);
    expect(() => range.accept([user("a", 1), user("b", 2)], 2)).toThrow(
      "Clerk answered the page after b (starting_after) with users already read: its cursor did not move, so the walk would never end.",
    );
  });

  it("expects what it was planned to hold until a full page shows how densely its users sit", () => {
    const range = new CreatedAtRange(0, 1_000, 40);
    expect(range.expectedRemaining(1_000)).toBe(40);
    // Four users in the page's second half, 10 ms apart: 0.1 a ms, over the 960 ms left.
    range.accept([user("a", 0), user("b", 10), user("c", 20), user("d", 30), user("e", 40)], 5);
    expect(range.density).toBeCloseTo(3 / 20);
    expect(range.expectedRemaining(1_000)).toBeCloseTo(((1_000 - 40) * 3) / 20);
  });

  it("is cut into pieces of the asked number of users at its density, in one step, the last taking the rest", () => {
    const range = new CreatedAtRange(0, null, 0);
    // A rush: 100 users a ms from 1,000 on.
    const page = Array.from({ length: 10 }, (_, i) => user(`u${i}`, 1_000 + Math.floor(i / 100)));
    range.accept(page, 10);
    range.density = 100;
    const pieces = splitByExpectedUsers(range, 500, 4, 1_000_000);
    expect([range.from, range.to]).toEqual([0, 1_005]);
    expect(pieces.map((piece) => [piece.from, piece.to])).toEqual([
      [1_005, 1_010],
      [1_010, 1_015],
      [1_015, null],
    ]);
    expect(pieces.map((piece) => piece.expectedRemaining(1_000_000))).toEqual([500, 500, 500]);
  });

  it("keeps users of one millisecond together: a cut is never inside a millisecond, and such pages are counted", () => {
    const range = new CreatedAtRange(0, 100, 0);
    const pile = Array.from({ length: 4 }, (_, i) => user(`p${i}`, 50));
    range.accept(pile, 4);
    expect(range.inOneMillisecond).toBe(4);
    const pieces = splitByExpectedUsers(range, 2, 3, 100);
    expect(range.to).toBe(51);
    expect(pieces[0].from).toBe(51);
    expect(range.nextQuery(4)).toEqual({ limit: 4, createdAtAfter: -1, createdAtBefore: 51, startingAfter: "p3" });
  });
});
