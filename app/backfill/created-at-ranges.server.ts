import type { ClerkUserFields } from "~/clerk/clerk-user";
import { clerkAnswerMalformed, type ClerkError } from "~/clerk/clerk-errors.server";
import type { UserPageQuery } from "./user-pages.server";

/**
 * The backfill's plan: Clerk's users cut by `created_at` into ranges that do
 * not overlap and leave no gap, each walked with its own `starting_after`
 * cursor, so several pages can be in flight at once and every user is in
 * exactly one range. The last range has no upper end, so users who sign up
 * during the run are in it.
 *
 * Ranges are cut by the number of users they are expected to hold, not by
 * time: each full page says how densely users sit where the range is reading
 * (users per millisecond), so a crowded span is cut into pieces of a chosen
 * number of users in one step, however short it is. Users created in one
 * millisecond cannot be cut apart by any created_at bound: their range's
 * cursor walks them, one page after another.
 */
export class CreatedAtRange {
  /** Users read from this range so far. */
  listed = 0;
  /** The last user read, where the next page starts. */
  cursor: { id: string; createdAt: number } | null = null;
  /**
   * Ids read whose created_at equals the cursor's: if the cursor's user is
   * deleted (Clerk then rejects it), the walk goes on from that instant and
   * drops these, so nobody is read twice.
   */
  private readonly tiedWithCursor = new Set<string>();
  private cursorGone = false;
  /** Since the cursor was lost, no new user has come back yet: pages may still repeat users read before. */
  private catchingUp = false;
  done = false;
  /** Users read in full pages that all shared one millisecond: no created_at cut could part them. */
  inOneMillisecond = 0;
  /** Users per ms where the range reads next, as its latest full page showed; null before one. */
  density: number | null = null;

  constructor(
    /** Inclusive, ms. */
    readonly from: number,
    /** Exclusive, ms; null = no upper end. */
    public to: number | null,
    /** Users it is expected to hold before any page of it is read. */
    private readonly planned: number,
  ) {}

  nextQuery(limit: number): UserPageQuery {
    const query: UserPageQuery = { limit };
    if (this.cursor && this.cursorGone) query.createdAtAfter = this.cursor.createdAt - 1;
    else {
      query.createdAtAfter = this.from - 1;
      if (this.cursor) query.startingAfter = this.cursor.id;
    }
    if (this.to !== null) query.createdAtBefore = this.to;
    return query;
  }

  /** The cursor's user was deleted: next time, start from its created_at instead. */
  loseCursor(): void {
    this.cursorGone = true;
    this.catchingUp = true;
  }

  /**
   * Takes a page as it came back; returns the users that belong to this range
   * (a page asked for before a split may reach into the new range, and one asked
   * from a lost cursor repeats the users tied with it).
   */
  accept(page: readonly ClerkUserFields[], limit: number): ClerkUserFields[] {
    this.cursorGone = false;
    const catchingUp = this.catchingUp;
    const to = this.to;
    let users = to === null ? [...page] : page.filter((user) => user.clerkCreatedAt < to);
    const reachedEnd = page.length < limit || users.length < page.length;
    if (!reachedEnd) {
      this.expectProgress(page[page.length - 1], catchingUp);
      this.density = densityOf(page);
      if (page[0].clerkCreatedAt === page[page.length - 1].clerkCreatedAt) this.inOneMillisecond += page.length;
    }
    if (catchingUp) users = users.filter((user) => !this.tiedWithCursor.has(user.clerkId));
    const last = users.at(-1);
    if (last) {
      // Only the users tied with the new cursor matter: the page's tail that shares its created_at
      // (and those remembered before, if the whole page shares it).
      let tail = users.length - 1;
      while (tail > 0 && users[tail - 1].clerkCreatedAt === last.clerkCreatedAt) tail--;
      if (tail > 0 || this.cursor?.createdAt !== last.clerkCreatedAt) this.tiedWithCursor.clear();
      for (let i = tail; i < users.length; i++) this.tiedWithCursor.add(users[i].clerkId);
      this.cursor = { id: last.clerkId, createdAt: last.clerkCreatedAt };
    }
    // A page that held only users read before the cursor was lost still moves on: its last user becomes the
    // cursor, and the next page may repeat more of them, until a new user comes back.
    if (catchingUp && users.length === 0 && page.length > 0 && !reachedEnd) {
      const last = page[page.length - 1];
      this.cursor = { id: last.clerkId, createdAt: last.clerkCreatedAt };
    }
    if (users.length > 0) this.catchingUp = false;
    this.listed += users.length;
    if (reachedEnd) this.done = true;
    return users;
  }

  /**
   * A full page must end past the cursor, or the next page would be asked from
   * the same place: a Clerk that ignores `starting_after` would be walked for ever.
   */
  private expectProgress(last: ClerkUserFields, catchingUp: boolean): void {
    const cursor = this.cursor;
    if (!cursor) return;
    const before = last.clerkCreatedAt < cursor.createdAt;
    // After a lost cursor the page starts again at the cursor's instant: users read there are expected back.
    const readAlready = last.clerkId === cursor.id || (!catchingUp && this.tiedWithCursor.has(last.clerkId));
    if (before || readAlready) throw cursorDidNotMove(cursor.id);
  }

  /** Where the unread part starts (ms). */
  get position(): number {
    return this.cursor?.createdAt ?? this.from;
  }

  /** Where the unread part ends (ms): `to`, or for the open-ended range the newest user known at the start. */
  end(openEnd: number): number {
    return this.to ?? Math.max(openEnd, this.position + 1);
  }

  /** Users probably still unread here: as many as its latest page's density gives over what is left, else as planned. */
  expectedRemaining(openEnd: number): number {
    if (this.done) return 0;
    if (this.density === null) return this.planned;
    return (this.end(openEnd) - this.position) * this.density;
  }

  /**
   * Cuts the unread part at these instants (ascending, after `position`, before the end), each part
   * expected to hold `usersEach`: this range keeps what comes before the first, and a new range starts at
   * each, the last one taking the rest.
   */
  cutAt(instants: readonly number[], usersEach: number): CreatedAtRange[] {
    const to = this.to;
    const cuts = instants.filter((at) => at > this.position && (to === null || at < to));
    if (this.done || cuts.length === 0) return [];
    const pieces = cuts.map((at, i) => new CreatedAtRange(at, cuts[i + 1] ?? to, usersEach));
    this.to = cuts[0];
    return pieces;
  }
}

/**
 * Users per ms over the second half of a full page: the part nearest the cursor, so a page that runs from a
 * quiet stretch into a rush reports the rush. Users sharing one millisecond count as that millisecond.
 */
function densityOf(page: readonly ClerkUserFields[]): number {
  const half = Math.floor(page.length / 2);
  const span = page[page.length - 1].clerkCreatedAt - page[half].clerkCreatedAt;
  return (page.length - half) / Math.max(1, span);
}

/** Clerk answered the page after a cursor with users already read: walking on would never end. */
function cursorDidNotMove(cursor: string): ClerkError {
  return clerkAnswerMalformed(
    `Clerk answered the page after ${cursor} (starting_after) with users already read: ` +
      "its cursor did not move, so the walk would never end.",
    { retryable: false },
  );
}

/**
 * The first plan: ranges of equal duration from `first` to `last` (inclusive), the last one open-ended, each
 * expected to hold an equal share of `total` users (all that is known before the first page). Between half
 * of `maxRanges` and all of them, as many as make each range's share fall just short of whole pages: a range
 * of exactly n pages costs n + 1 requests, the last one empty.
 */
export function planRanges(
  first: number,
  last: number,
  total: number,
  maxRanges: number,
  pageSize: number,
): CreatedAtRange[] {
  const span = last + 1 - first;
  const requestsFor = (n: number) => n * (Math.floor(total / n / pageSize) + 1);
  // No more ranges than pages: a small instance would otherwise cost a request per empty range.
  const most = Math.max(1, Math.min(maxRanges, Math.ceil(total / pageSize), span));
  let count = most;
  for (let n = most - 1; n >= Math.ceil(most / 2); n--) if (requestsFor(n) < requestsFor(count)) count = n;
  const width = Math.ceil(span / count);
  const ranges: CreatedAtRange[] = [];
  for (let from = first; from <= last; from += width) ranges.push(new CreatedAtRange(from, null, total / count));
  for (let i = 0; i < ranges.length - 1; i++) ranges[i].to = ranges[i + 1].from;
  return ranges;
}

/**
 * Cuts what `range` has left into at most `pieces` parts of about `users` users each, as the density of its
 * latest page says, the last taking whatever lies beyond. Returns the new ranges; `range` keeps the first part.
 */
export function splitByExpectedUsers(
  range: CreatedAtRange,
  users: number,
  pieces: number,
  openEnd: number,
): CreatedAtRange[] {
  if (range.density === null) return [];
  const start = range.position;
  const end = range.end(openEnd);
  const width = Math.max(1, Math.floor(users / range.density));
  const cuts: number[] = [];
  for (let at = start + width; at < end && cuts.length < pieces - 1; at += width) cuts.push(at);
  return range.cutAt(cuts, users);
}
