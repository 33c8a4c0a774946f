import { describe, expect, it } from "vitest";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { ClerkError } from "~/clerk/clerk-errors.server";
import { CreatedAtRange, planRanges, splitByExpectedUsers } from "~/backfill/created-at-ranges.server";

const user = (clerkId: string, clerkCreatedAt: number) => ({ clerkId, clerkCreatedAt }) as ClerkUserFields;
const ids = (users: readonly ClerkUserFields[]) => users.map((u) => u.clerkId);

describe("a range's edges", () => {
  it("starts unread at its own from, and keeps a user created exactly at its end out", () => {
    const range = new CreatedAtRange(100, 200, 7);
    expect(range.position).toBe(100);
    expect(range.end(0)).toBe(200);
    expect(ids(range.accept([user("a", 150), user("b", 199), user("c", 200)], 10))).toEqual(["a", "b"]);
    expect(range.done).toBe(true);
    expect(range.expectedRemaining(0)).toBe(0);
  });

  it("gives the open-ended range at least one millisecond past where it reads", () => {
    const range = new CreatedAtRange(100, null, 7);
    expect(range.end(50)).toBe(101);
    expect(range.end(100)).toBe(101);
    expect(range.end(300)).toBe(300);
  });

  it("expects its share of the total before a page of it is read", () => {
    const [first, second] = planRanges(0, 9_999, 600, 3, 100);
    expect(first.expectedRemaining(1_000)).toBe(300);
    expect(second.expectedRemaining(1_000)).toBe(300);
  });
});

describe("cutting a range at given instants", () => {
  it("uses only instants strictly after where it reads and strictly before its end", () => {
    const range = new CreatedAtRange(100, 200, 10);
    const pieces = range.cutAt([50, 100, 150, 200, 250], 5);
    expect(pieces.map((piece) => [piece.from, piece.to])).toEqual([[150, 200]]);
    expect(range.to).toBe(150);
  });

  it("cuts after the cursor, not at it", () => {
    const range = new CreatedAtRange(0, null, 10);
    range.accept([user("a", 10), user("b", 20)], 2);
    expect(range.position).toBe(20);
    const pieces = range.cutAt([20, 30], 5);
    expect(pieces.map((piece) => [piece.from, piece.to])).toEqual([[30, null]]);
    expect(range.to).toBe(30);
  });

  it("leaves a range alone when no instant is usable, and a finished one whatever the instants", () => {
    const range = new CreatedAtRange(100, 200, 10);
    expect(range.cutAt([100, 200], 5)).toEqual([]);
    expect(range.to).toBe(200);

    const done = new CreatedAtRange(100, 200, 10);
    done.accept([user("a", 120)], 10);
    expect(done.done).toBe(true);
    expect(done.cutAt([150], 5)).toEqual([]);
    expect(done.to).toBe(200);
  });
});

describe("splitting by expected users", () => {
  /** An open range read up to 9 ms, whose last full page showed 1.25 users per ms over its second half. */
  function readRange(): CreatedAtRange {
    const range = new CreatedAtRange(0, null, 100);
    range.accept(
      Array.from({ length: 10 }, (_, i) => user(`u${i}`, i)),
      10,
    );
    expect(range.density).toBe(1.25);
    return range;
  }

  it("stops cutting at the newest user known, with no cut exactly at it", () => {
    // 5 users each at 1.25 per ms is 4 ms: from 9, a cut at 13; 17 is the end itself.
    const range = readRange();
    const pieces = splitByExpectedUsers(range, 5, 10, 17);
    expect(pieces.map((piece) => [piece.from, piece.to])).toEqual([[13, null]]);
    expect(range.to).toBe(13);
  });

  it("makes no more pieces than asked for", () => {
    const range = readRange();
    const pieces = splitByExpectedUsers(range, 5, 3, 1_000);
    expect(pieces.map((piece) => [piece.from, piece.to])).toEqual([
      [13, 17],
      [17, null],
    ]);
  });

  it("does not cut a range that has not read a page", () => {
    const range = new CreatedAtRange(0, null, 100);
    expect(splitByExpectedUsers(range, 5, 10, 1_000)).toEqual([]);
    expect(range.to).toBeNull();
  });
});

describe("the first plan's count of ranges", () => {
  it("prefers fewer ranges that cost fewer requests, down to half the most allowed", () => {
    // 3 ranges of 200 users in pages of 100 cost 9 requests; 2 ranges of 300 cost 8 (4 would too, but 4 > 3).
    expect(planRanges(0, 9_999, 600, 3, 100)).toHaveLength(2);
    // 8 ranges: 16 requests; 7: 14; 6: 12; 5: 15; 4: 12, a tie, which keeps the larger count.
    expect(planRanges(0, 9_999, 1_000, 8, 100)).toHaveLength(6);
  });
});

describe("a cursor that does not move", () => {
  it("is refused, not retried, when a full page ends at the cursor or at a user read with it", () => {
    const again = new CreatedAtRange(0, null, 10);
    again.accept([user("a", 10), user("b", 10)], 2);
    let error: unknown;
    try {
      again.accept([user("x", 10), user("a", 10)], 2);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ClerkError);
    expect((error as ClerkError).retryable).toBe(false);
    expect((error as ClerkError).message).toContain("after b (starting_after)");
  });

  it("is refused when a full page ends before the cursor", () => {
    const range = new CreatedAtRange(0, null, 10);
    range.accept([user("a", 10), user("b", 20)], 2);
    expect(() => range.accept([user("c", 5), user("d", 6)], 2)).toThrow(ClerkError);
  });
});

describe("a lost cursor", () => {
  /** A range that read a, b, c (all at 10 ms) in one full page, then lost c: Clerk deleted it. */
  function lostAtC(): CreatedAtRange {
    const range = new CreatedAtRange(0, null, 10);
    range.accept([user("a", 10), user("b", 10), user("c", 10)], 3);
    range.loseCursor();
    expect(range.nextQuery(2)).toEqual({ limit: 2, createdAtAfter: 9 });
    return range;
  }

  it("moves on past a full page of users it read before, handing none of them on again", () => {
    const range = lostAtC();
    expect(range.accept([user("a", 10), user("b", 10)], 2)).toEqual([]);
    expect(range.cursor).toEqual({ id: "b", createdAt: 10 });
    // A Clerk that then ignores starting_after, answering the same page again, is refused.
    const stuck = lostAtC();
    stuck.accept([user("a", 10), user("b", 10)], 2);
    expect(() => stuck.accept([user("a", 10), user("b", 10)], 2)).toThrow(ClerkError);
    expect(range.nextQuery(2)).toEqual({ limit: 2, createdAtAfter: -1, startingAfter: "b" });
    expect(range.listed).toBe(3);
    expect(ids(range.accept([user("d", 11)], 2))).toEqual(["d"]);
    expect(range.listed).toBe(4);
    expect(range.done).toBe(true);
  });

  it("keeps the cursor where the last new user is when the page ends with one read before", () => {
    const range = lostAtC();
    expect(ids(range.accept([user("x", 10), user("a", 10)], 2))).toEqual(["x"]);
    expect(range.cursor).toEqual({ id: "x", createdAt: 10 });
  });

  it("once a new user has come back, refuses a full page that ends at a user read with the cursor", () => {
    const range = lostAtC();
    expect(ids(range.accept([user("d", 11), user("e", 11)], 2))).toEqual(["d", "e"]);
    expect(() => range.accept([user("f", 11), user("d", 11)], 2)).toThrow(ClerkError);
  });
});
