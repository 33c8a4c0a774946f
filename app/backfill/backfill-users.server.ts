import { setMaxListeners } from "node:events";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { ClerkUserListStream, type ClerkApiAccess } from "./user-list-stream.server";
import {
  DEVELOPMENT_RATE_LIMIT,
  limiterSettingsFor,
  RequestRateLimiter,
  type LimiterSettings,
} from "./rate-limiter.server";
import {
  ClerkCallFailed,
  DEFAULT_RETRY_POLICY,
  type ClerkCallOptions,
  type RetryEvent,
  type RetryPolicy,
} from "./retry.server";
import {
  clerkIdsStillPresent,
  countClerkUsers,
  CLERK_MAX_PAGE_SIZE,
  CURSOR_GONE,
  listClerkUsers,
} from "./user-pages.server";
import { getDb, type AppDatabase } from "~/db/db.server";
import { ListedClerkIds } from "~/db/listed-clerk-ids.server";
import { tombstoneUsersFromClerk, upsertUsersFromClerk, type UserWriteResult } from "~/db/user-writer.server";
import { CreatedAtRange, initialRanges } from "./created-at-ranges.server";

/**
 * `npm run sync:all`: brings SQLite back in step with Clerk. Each page of users
 * goes through the one writer in one transaction with sync_source 'backfill',
 * so the webhook's rules hold (older data never overwrites newer, tombstones
 * stay deleted) and a run stopped halfway can simply be run again.
 *
 * Clerk answers a page in 100–300 ms and a cursor allows one page in flight at
 * a time, so a single walk is bound by latency. The users are walked instead as
 * several created_at ranges at once (created-at-ranges.server.ts), as fast as
 * Clerk's rate limit allows and no faster: every request waits for a token
 * from a client-side limiter set from the instance kind.
 */

export interface BackfillProgress {
  /** After each page is committed. */
  page(done: number, total: number): void;
  retry(event: RetryEvent): void;
  /** Reconcile: `candidates` stored users were not in the listing and are being checked with Clerk. */
  checkingMissing?(candidates: number): void;
  /** The run is over (finished or stopped): a progress bar stops drawing here. */
  end(): void;
}

export interface BackfillOptions {
  /** Which Clerk instance, and its secret key. */
  clerk: ClerkApiAccess;
  db?: AppDatabase;
  /** Tombstone stored users that Clerk no longer has. */
  prune?: boolean;
  /** Report what would change, write nothing. */
  dryRun?: boolean;
  /** Prune even when it would tombstone most of the stored users. */
  force?: boolean;
  pageSize?: number;
  retry?: RetryPolicy;
  progress?: BackfillProgress;
  now?: () => number;
  /** Requests let out to Clerk (default: a development instance's limit, the safe side; see rateLimitForSecretKey). */
  limiter?: LimiterSettings;
  /** Ranges walked at once (default: enough to cover 300 ms of latency at the limiter's rate). */
  concurrency?: number;
  /** Each page's users as they are written: an audit hook for tests. */
  onPage?: (clerkIds: readonly string[]) => void;
}

export interface BackfillSummary {
  dryRun: boolean;
  /** Users read from Clerk. */
  listed: number;
  pages: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Older than what is stored, deleted here, or dated in the future: left alone. */
  skipped: number;
  skippedStale: number;
  skippedDeleted: number;
  /** Clerk's `updated_at` is beyond the clock-skew tolerance (decision 006): refused, as the webhook refuses it. */
  skippedFuture: number;
  /** The first FUTURE_IDS_SHOWN of those, to look up. */
  futureDatedIds: string[];
  /** Only with `prune`: stored users Clerk no longer has, tombstoned (or that would be, in a dry run). */
  pruned: number;
  prunedIds: string[];
  rateLimitWaits: number;
  retries: number;
  elapsedMs: number;
  /** Requests sent to Clerk (retries included). */
  requests: number;
  /** created_at ranges walked (the first cut plus every split). */
  ranges: number;
  concurrency: number;
  requestsPerSecond: number;
}

/** The run stopped: pages before `done` are committed (none in a dry run); running again is safe. */
export class BackfillStopped extends Error {
  override name = "BackfillStopped";
  constructor(
    message: string,
    readonly done: number,
    cause?: unknown,
    readonly dryRun = false,
  ) {
    super(message, { cause });
  }
}

const FUTURE_IDS_SHOWN = 20;

/** Pruning that would erase more than this share of the live users needs --force. */
export const MASS_PRUNE_SHARE = 0.5;
const MASS_PRUNE_MIN = 10;

const silentProgress: BackfillProgress = { page() {}, retry() {}, end() {} };

/**
 * Enough ranges in flight to keep the limiter busy while each page takes 400 ms
 * to come back (Clerk's 100–300 ms, plus a megabyte on the wire and the wait for
 * this process to read it): 40 on production, 4 on development. A page in flight
 * costs little memory, since it is parsed as it arrives; too few ranges and the
 * walk is held back by latency again (20 gave 1.6× the floor at a million users).
 */
export function defaultConcurrency(limiter: LimiterSettings): number {
  return Math.min(64, Math.max(2, Math.ceil(limiter.requestsPerSecond * 0.4)));
}

export async function backfillUsersFromClerk(options: BackfillOptions): Promise<BackfillSummary> {
  const db = options.db ?? getDb();
  const progress = options.progress ?? silentProgress;
  const now = options.now ?? Date.now;
  const dryRun = options.dryRun ?? false;
  const pageSize = options.pageSize ?? CLERK_MAX_PAGE_SIZE;
  const limiterSettings = options.limiter ?? limiterSettingsFor(DEVELOPMENT_RATE_LIMIT);
  const concurrency = options.concurrency ?? defaultConcurrency(limiterSettings);
  const limiter = new RequestRateLimiter(limiterSettings);
  const startedAt = now();
  const summary: BackfillSummary = {
    dryRun,
    listed: 0,
    pages: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    skippedStale: 0,
    skippedDeleted: 0,
    skippedFuture: 0,
    futureDatedIds: [],
    pruned: 0,
    prunedIds: [],
    rateLimitWaits: 0,
    retries: 0,
    elapsedMs: 0,
    requests: 0,
    ranges: 0,
    concurrency,
    requestsPerSecond: limiterSettings.requestsPerSecond,
  };
  // A failed page ends the run while other calls are still in flight: they must not go on retrying, and the
  // run returns only once they have settled, so nothing of it reaches Clerk afterwards.
  const runOver = new AbortController();
  // Every call in flight listens for the end of the run: a range's page, plus the first three and a retry or two.
  setMaxListeners(concurrency + 10, runOver.signal);
  const inFlight = new Set<Promise<unknown>>();
  const tracked = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    const settled = () => inFlight.delete(promise);
    promise.then(settled, settled);
    return promise;
  };
  const call: ClerkCallOptions = {
    policy: options.retry ?? DEFAULT_RETRY_POLICY,
    limiter,
    signal: runOver.signal,
    onRetry(event: RetryEvent) {
      if (event.kind === "rate_limited") summary.rateLimitWaits++;
      else summary.retries++;
      progress.retry(event);
    },
  };
  const pages = new ClerkUserListStream(options.clerk);
  const listed = options.prune ? new ListedClerkIds(db) : null;
  let total = 0;

  // Several pages in one transaction when they arrived together: a commit costs as much as writing a page.
  const write = (pages: readonly ClerkUserFields[][]) => {
    const results = upsertUsersFromClerk(pages.length === 1 ? pages[0] : pages.flat(), "backfill", db, { dryRun });
    for (const result of results) count(summary, result);
    for (const users of pages) {
      const ids = users.map((user) => user.clerkId);
      listed?.add(ids);
      options.onPage?.(ids);
      summary.listed += users.length;
      summary.pages++;
      progress.page(summary.listed, Math.max(total, summary.listed));
    }
  };

  try {
    const [oldest, newest, clerkCount] = await Promise.all([
      tracked(listClerkUsers(pages, { limit: 1, orderBy: "+created_at" }, call)),
      tracked(listClerkUsers(pages, { limit: 1, orderBy: "-created_at" }, call)),
      tracked(countClerkUsers(pages, call)),
    ]);
    total = clerkCount;
    if (oldest !== CURSOR_GONE && newest !== CURSOR_GONE && oldest.length > 0 && newest.length > 0) {
      const first = oldest[0].clerkCreatedAt;
      const last = newest[0].clerkCreatedAt;
      await walkRanges({
        // No more ranges than pages: a small instance would otherwise cost a request per empty range.
        ranges: initialRanges(first, last, Math.min(concurrency, Math.ceil(clerkCount / pageSize) || 1)),
        openEnd: last + 1,
        density: clerkCount / Math.max(1, last + 1 - first),
        concurrency,
        pageSize,
        fetch: (range) => {
          const page = tracked(listClerkUsers(pages, range.nextQuery(pageSize), call));
          // A page asked for ahead may be abandoned when another range fails; its rejection is reported once, there.
          page.catch(() => {});
          return page;
        },
        write,
        onRange: () => summary.ranges++,
      });
    } else {
      progress.page(0, 0);
    }

    if (listed) {
      const candidates = listed.liveUsersNotListed();
      if (candidates.length > 0) {
        progress.checkingMissing?.(candidates.length);
        // A user who signed up after the walk passed their place arrives by webhook and is not in
        // the listing: ask Clerk about each candidate, and tombstone only those it no longer has.
        const present = await tracked(clerkIdsStillPresent(pages, candidates, call));
        const gone = candidates.filter((id) => !present.has(id));
        const live = listed.liveUserCount();
        if (!options.force && gone.length > MASS_PRUNE_MIN && gone.length > live * MASS_PRUNE_SHARE) {
          throw new BackfillStopped(massPruneRefusal(gone.length, live, dryRun), summary.listed, undefined, dryRun);
        }
        const results = tombstoneUsersFromClerk(gone, "backfill", db, { dryRun });
        for (const result of results) {
          if (result.outcome === "deleted") {
            summary.pruned++;
            summary.prunedIds.push(result.clerkId);
          }
        }
      }
    }
  } catch (error) {
    if (error instanceof BackfillStopped) throw error;
    const reason =
      error instanceof ClerkCallFailed ? error.message : error instanceof Error ? error.message : String(error);
    throw new BackfillStopped(
      `Stopped after ${summary.listed} user${summary.listed === 1 ? "" : "s"} (page ${summary.pages + 1}): ${reason}`,
      summary.listed,
      error,
      dryRun,
    );
  } finally {
    runOver.abort();
    pages.close();
    await Promise.allSettled(inFlight);
    listed?.dispose();
    summary.requests = limiter.granted;
    summary.elapsedMs = now() - startedAt;
    progress.end();
  }
  return summary;
}

interface RangeWalkPlan {
  ranges: CreatedAtRange[];
  /** Where the open-ended last range is taken to end when it is split (ms). */
  openEnd: number;
  /** Users per ms over the whole instance, until a range has its own figure. */
  density: number;
  concurrency: number;
  pageSize: number;
  fetch(range: CreatedAtRange): Promise<ClerkUserFields[] | typeof CURSOR_GONE>;
  /** Pages that arrived while the previous write ran, written together. */
  write(pages: readonly ClerkUserFields[][]): void;
  onRange(): void;
}

/**
 * Pages are written together every this many ms (about five at the production
 * limit): a commit rewrites the index pages it touches, so fewer, larger
 * transactions cost SQLite less per user.
 */
const WRITE_EVERY_MS = 50;

/**
 * `concurrency` workers, each walking one range at a time. A worker that finds
 * no range waiting splits the range with the most left to read; it stops when
 * no range has two pages' worth left. The next page of a range is asked for
 * before the current one is written, so the write overlaps the wait. Pages are
 * written every WRITE_EVERY_MS, all that arrived meanwhile in one transaction.
 */
async function walkRanges(plan: RangeWalkPlan): Promise<void> {
  const waiting = [...plan.ranges];
  const active = new Set<CreatedAtRange>();
  let failure: { error: unknown } | null = null;
  plan.ranges.forEach(() => plan.onRange());

  const unwritten: ClerkUserFields[][] = [];
  let written: Promise<void> | null = null;
  const writeLater = (users: ClerkUserFields[]) => {
    unwritten.push(users);
    written ??= new Promise((resolve) =>
      setTimeout(() => {
        written = null;
        try {
          plan.write(unwritten.splice(0));
        } catch (error) {
          failure ??= { error };
        }
        resolve();
      }, WRITE_EVERY_MS),
    );
  };

  const nextRange = (): CreatedAtRange | null => {
    const queued = waiting.shift();
    if (queued) return queued;
    let largest: CreatedAtRange | null = null;
    let largestRemaining = 2 * plan.pageSize;
    for (const range of active) {
      const remaining = range.estimatedRemaining(plan.openEnd, plan.density);
      if (remaining >= largestRemaining) {
        largest = range;
        largestRemaining = remaining;
      }
    }
    const rest = largest?.split(plan.openEnd) ?? null;
    if (rest) plan.onRange();
    return rest;
  };

  const walk = async (range: CreatedAtRange) => {
    active.add(range);
    try {
      let pending = plan.fetch(range);
      while (!failure) {
        const page = await pending;
        if (failure) return;
        if (page === CURSOR_GONE) {
          range.loseCursor();
          pending = plan.fetch(range);
          continue;
        }
        const users = range.accept(page, plan.pageSize);
        if (!range.done) pending = plan.fetch(range);
        if (users.length > 0) writeLater(users);
        if (range.done) return;
      }
    } finally {
      active.delete(range);
    }
  };

  const worker = async () => {
    for (let range = nextRange(); range && !failure; range = nextRange()) {
      try {
        await walk(range);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, worker));
  await written;
  if (failure) throw (failure as { error: unknown }).error;
}

/** A tombstone is final: a dry run says what a real run would refuse, and how to see the list. */
function massPruneRefusal(gone: number, live: number, dryRun: boolean): string {
  const what = `tombstone ${gone} of the ${live} stored users: Clerk no longer lists them. If CLERK_SECRET_KEY belongs to another instance (development instead of production?), `;
  return dryRun
    ? `A real run would refuse to ${what}that would erase them for good. Check the key; add --force to this dry run to list them, and to a real run if it is right.`
    : `Refusing to ${what}this would erase them for good. Check the key; \`--prune --dry-run --force\` lists them and writes nothing; add --force to a real run if it is right.`;
}

function count(summary: BackfillSummary, { outcome, clerkId }: UserWriteResult): void {
  switch (outcome) {
    case "created":
      summary.created++;
      break;
    case "updated":
      summary.updated++;
      break;
    case "unchanged":
      summary.unchanged++;
      break;
    case "stale":
      summary.skipped++;
      summary.skippedStale++;
      break;
    case "tombstoned":
      summary.skipped++;
      summary.skippedDeleted++;
      break;
    case "future_dated":
      summary.skipped++;
      summary.skippedFuture++;
      if (summary.futureDatedIds.length < FUTURE_IDS_SHOWN) summary.futureDatedIds.push(clerkId);
      break;
    default:
      // deleted/already_deleted come only from tombstoning, never from an upsert.
      break;
  }
}
