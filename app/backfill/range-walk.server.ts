import type { ClerkUserFields } from "~/clerk/clerk-user";
import { splitByExpectedUsers, type CreatedAtRange } from "./created-at-ranges.server";
import type { LimiterSettings } from "./rate-limiter.server";
import { CURSOR_GONE } from "./user-pages.server";

/**
 * The backfill's scheduler: walks created_at ranges (created-at-ranges.server.ts)
 * `concurrency` at a time, each range's next page asked for as soon as the one
 * before it is in, so that the rate limiter, not Clerk's latency, sets the pace.
 *
 * A range is cut by how many users it is expected to hold, never halved in
 * time. Each page says how densely users sit where the range reads next, and
 * that density times what is left of the range is its expected number. One
 * "share" is what each slot would still read if all ended together (what is
 * left ÷ concurrency, at least a page). Then:
 * - a range expected to hold more than two shares is cut, at that density,
 *   into pieces of one share each, in one step however short the crowded span;
 * - unless that many would be beyond belief (more than eight shares: a rush
 *   the page has just reached, which ends long before the range does): then
 *   only the slots free now get a share each, and no more shares than what no
 *   other range is expected to hold; the last piece takes the rest and is cut
 *   again once its own first page shows where it stands;
 * - when a slot is free and nothing waits, the range with the most left is
 *   cut among the free slots (a share or more each), so the walk ends with
 *   every slot busy, not with one range read page after page.
 * Pieces are a tenth of a page short of whole pages: a range of exactly n pages
 * costs n + 1 requests, the last one empty.
 * Users created in one millisecond are read by one cursor, page after page: no
 * created_at bound can part them.
 */

export interface RangeWalk {
  ranges: CreatedAtRange[];
  /** Where the open-ended last range is taken to end when estimating (ms): after the newest user at the start. */
  openEnd: number;
  /** Users Clerk counted at the start: what is left is this minus what has been read. */
  total: number;
  concurrency: number;
  pageSize: number;
  fetch(range: CreatedAtRange): Promise<ClerkUserFields[] | typeof CURSOR_GONE>;
  /** Each page's users as they arrive; a throw stops the walk. */
  read(users: ClerkUserFields[]): void;
}

export interface RangeWalkResult {
  /** created_at ranges walked: the first plan and every piece cut since. */
  ranges: number;
  /** Users read in full pages that all shared one millisecond (see CreatedAtRange.inOneMillisecond). */
  inOneMillisecond: number;
}

/**
 * Enough ranges in flight to keep the limiter busy while each page takes 400 ms
 * to come back (Clerk's 100–300 ms, plus a megabyte on the wire and the wait for
 * this process to read it): 40 on production, 4 on development. A page in flight
 * costs little memory, since it is parsed as it arrives (docs/benchmarks.md).
 */
export function defaultConcurrency(limiter: LimiterSettings): number {
  return Math.min(64, Math.max(2, Math.ceil(limiter.requestsPerSecond * 0.4)));
}

/** A range expected to hold more than this many shares is cut into shares. */
const CROWDED_SHARES = 2;
/** Beyond this many shares, a page's density is not believed for the whole range. */
const BELIEVABLE_SHARES = 8;

export async function walkRanges(walk: RangeWalk): Promise<RangeWalkResult> {
  const all: CreatedAtRange[] = [];
  const waiting: CreatedAtRange[] = [];
  const active = new Set<CreatedAtRange>();
  let read = 0;
  let failure: { error: unknown } | null = null;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const fail = (error: unknown) => {
    failure ??= { error };
    finish();
  };
  const left = () => walk.total - read;
  const share = () => Math.max(walk.pageSize, left() / walk.concurrency);
  const freeSlots = () => walk.concurrency - active.size - waiting.length;
  /** What a range probably holds still, never more than is left in all. */
  const expected = (range: CreatedAtRange) => Math.min(range.expectedRemaining(walk.openEnd), left());

  const cut = (range: CreatedAtRange, pieces: number, usersEach: number) => {
    if (pieces < 2) return;
    // A tenth of a page short of whole pages: a range of exactly n pages costs n + 1 requests, the last empty.
    const pages = Math.max(1, Math.ceil(usersEach / walk.pageSize));
    const cuts = splitByExpectedUsers(range, (pages - 0.1) * walk.pageSize, pieces, walk.openEnd);
    all.push(...cuts);
    waiting.push(...cuts);
  };

  const cutIfCrowded = (range: CreatedAtRange) => {
    const users = expected(range);
    const each = share();
    if (users <= CROWDED_SHARES * each) return;
    if (users <= BELIEVABLE_SHARES * each) {
      cut(range, Math.ceil(users / each), users / Math.ceil(users / each));
      return;
    }
    let unclaimed = left();
    for (const other of [...active, ...waiting]) {
      const theirs = other === range ? 0 : expected(other);
      if (theirs <= BELIEVABLE_SHARES * each) unclaimed -= theirs;
    }
    cut(range, Math.min(freeSlots() + 1, Math.ceil(unclaimed / each)), each);
  };

  const cutForFreeSlots = () => {
    let largest: CreatedAtRange | null = null;
    let most = CROWDED_SHARES * walk.pageSize;
    for (const range of active) {
      // Only where a page has shown how the users sit.
      if (range.density !== null && expected(range) >= most) {
        largest = range;
        most = expected(range);
      }
    }
    if (!largest) return;
    const pieces = Math.min(freeSlots() + 1, Math.ceil(most / share()));
    cut(largest, pieces, most / pieces);
  };

  const start = () => {
    while (!failure && active.size < walk.concurrency && waiting.length > 0) {
      const range = waiting.shift()!;
      active.add(range);
      walkOne(range).then(() => {
        active.delete(range);
        // A slot is free: if nothing waits for it, the range with the most left gives it a piece.
        if (waiting.length === 0) cutForFreeSlots();
        start();
      }, fail);
    }
    if (active.size === 0 && waiting.length === 0) finish();
  };

  const walkOne = async (range: CreatedAtRange) => {
    let pending = walk.fetch(range);
    for (;;) {
      const page = await pending;
      if (failure) return;
      if (page === CURSOR_GONE) {
        range.loseCursor();
        pending = walk.fetch(range);
        continue;
      }
      const users = range.accept(page, walk.pageSize);
      if (!range.done) pending = walk.fetch(range);
      read += users.length;
      if (users.length > 0) walk.read(users);
      if (range.done) return;
      cutIfCrowded(range);
      start();
    }
  };

  all.push(...walk.ranges);
  waiting.push(...walk.ranges);
  start();
  await finished;
  if (failure) throw (failure as { error: unknown }).error;
  return { ranges: all.length, inOneMillisecond: all.reduce((sum, range) => sum + range.inOneMillisecond, 0) };
}
