import type { ClerkUserFields } from "~/clerk/clerk-user";
import type { UserPageQuery } from "./user-pages.server";

/**
 * The backfill's plan: Clerk's users cut by `created_at` into ranges that do
 * not overlap and leave no gap, each walked with its own `starting_after`
 * cursor, so several pages can be in flight at once and every user is in
 * exactly one range. A range that turns out large is cut in two while it is
 * being walked: it keeps the part before the middle of what it has left, a new
 * range takes the rest. The last range has no upper end, so users who sign up
 * during the run are in it.
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
  done = false;

  constructor(
    /** Inclusive, ms. */
    readonly from: number,
    /** Exclusive, ms; null = no upper end. */
    public to: number | null,
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
  }

  /**
   * Takes a page as it came back; returns the users that belong to this range
   * (a page asked for before a split may reach into the new range, and one asked
   * from a lost cursor repeats the users tied with it).
   */
  accept(page: readonly ClerkUserFields[], limit: number): ClerkUserFields[] {
    const wasFallback = this.cursorGone;
    this.cursorGone = false;
    const to = this.to;
    let users = to === null ? [...page] : page.filter((user) => user.clerkCreatedAt < to);
    const reachedEnd = page.length < limit || users.length < page.length;
    if (!reachedEnd) this.expectProgress(page[page.length - 1], wasFallback);
    if (wasFallback) users = users.filter((user) => !this.tiedWithCursor.has(user.clerkId));
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
    // A fallback page that held only already-read users still moves on: its last user becomes the cursor.
    if (wasFallback && users.length === 0 && page.length > 0 && !reachedEnd) {
      const last = page[page.length - 1];
      this.cursor = { id: last.clerkId, createdAt: last.clerkCreatedAt };
    }
    this.listed += users.length;
    if (reachedEnd) this.done = true;
    return users;
  }

  /**
   * A full page must end past the cursor, or the next page would be asked from
   * the same place: a Clerk that ignores `starting_after` would be walked for ever.
   */
  private expectProgress(last: ClerkUserFields, wasFallback: boolean): void {
    const cursor = this.cursor;
    if (!cursor) return;
    const before = last.clerkCreatedAt < cursor.createdAt;
    // After a lost cursor the page starts again at the cursor's instant: users read there are expected back.
    const readAlready = last.clerkId === cursor.id || (!wasFallback && this.tiedWithCursor.has(last.clerkId));
    if (before || readAlready) throw new CursorDidNotMove(cursor.id);
  }

  /** Where the unread part starts (ms). */
  get position(): number {
    return this.cursor?.createdAt ?? this.from;
  }

  /**
   * Users probably still unread up to `to` or `openEnd`, at this range's own
   * density so far or the instance's, whichever is higher: a range that has
   * walked through quiet months may still hold a rush of sign-ups, and
   * guessing high costs one extra request where guessing low leaves one
   * range walked alone at the end.
   */
  estimatedRemaining(openEnd: number, overallDensity: number): number {
    const end = this.to ?? Math.max(openEnd, this.position + 1);
    const walked = this.position - this.from;
    const own = this.listed >= 100 && walked > 0 ? this.listed / walked : 0;
    const density = Math.max(own, overallDensity);
    return (end - this.position) * density;
  }

  /** Cuts off the second half of what is left as a new range; null when there is nothing to cut. */
  split(openEnd: number): CreatedAtRange | null {
    if (this.done) return null;
    const start = this.position;
    const end = this.to ?? Math.max(openEnd, start + 1);
    const middle = start + Math.floor((end - start) / 2);
    if (middle <= start || middle >= end) return null;
    const rest = new CreatedAtRange(middle, this.to);
    this.to = middle;
    return rest;
  }
}

/** Clerk answered the page after a cursor with users already read: walking on would never end. */
export class CursorDidNotMove extends Error {
  override name = "CursorDidNotMove";
  constructor(readonly cursor: string) {
    super(
      `Clerk answered the page after ${cursor} (starting_after) with users already read: ` +
        "its cursor did not move, so the walk would never end.",
    );
  }
}

/** `count` ranges of equal duration from `first` to `last` (inclusive), the last one open-ended. */
export function initialRanges(first: number, last: number, count: number): CreatedAtRange[] {
  const span = last + 1 - first;
  const n = Math.max(1, Math.min(count, span));
  const width = Math.ceil(span / n);
  const ranges: CreatedAtRange[] = [];
  for (let i = 0; i < n; i++) {
    const from = first + i * width;
    if (from > last) break;
    ranges.push(new CreatedAtRange(from, null));
  }
  for (let i = 0; i < ranges.length - 1; i++) ranges[i].to = ranges[i + 1].from;
  return ranges;
}
