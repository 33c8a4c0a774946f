import type { ClerkUserFields } from "~/clerk/clerk-user";
import { getDb, type AppDatabase } from "~/db/db.server";
import { ListedClerkIds } from "~/db/listed-clerk-ids.server";
import { upsertUsersFromClerk } from "~/db/user-writer.server";
import { countRetry, countWrite, emptySummary, stoppedBy, type BackfillSummary } from "./backfill-outcome.server";
import { BackfillCalls } from "./backfill-calls.server";
import { BatchedWrites } from "./batched-writes.server";
import { planRanges } from "./created-at-ranges.server";
import { pruneUsersClerkNoLongerHas } from "./prune-missing.server";
import { defaultConcurrency, walkRanges } from "./range-walk.server";
import {
  DEVELOPMENT_RATE_LIMIT,
  limiterSettingsFor,
  RequestRateLimiter,
  type LimiterSettings,
} from "./rate-limiter.server";
import { DEFAULT_RETRY_POLICY, type RetryEvent, type RetryPolicy } from "./retry.server";
import type { ClerkApiAccess } from "./user-list-stream.server";
import { CLERK_MAX_PAGE_SIZE, CURSOR_GONE } from "./user-pages.server";

/**
 * `npm run sync:all`: brings SQLite back in step with Clerk. Each page of users
 * goes through the one writer with sync_source 'backfill', so the webhook's
 * rules hold (older data never overwrites newer, tombstones stay deleted) and a
 * run stopped halfway can simply be run again.
 *
 * Clerk answers a page in 100–300 ms and a cursor allows one page in flight at
 * a time, so a single walk is bound by latency. The users are walked instead as
 * several created_at ranges at once (range-walk.server.ts), as fast as Clerk's
 * rate limit allows and no faster: every request waits for a token from a
 * client-side limiter set from the instance kind (backfill-calls.server.ts).
 */

export { BackfillStopped, type BackfillSummary } from "./backfill-outcome.server";

export interface BackfillProgress {
  /** The walk of this kind starts (a later kind of the same run starts when the one before it ends). */
  begin?(): void;
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
  /**
   * Requests let out to Clerk (default: a development instance's limit, the safe side; see rateLimitForSecretKey),
   * or a limiter shared with the other walks of the same run.
   */
  limiter?: LimiterSettings | RequestRateLimiter;
  /** Ranges walked at once (default: enough to cover 400 ms of latency at the limiter's rate). */
  concurrency?: number;
  retry?: RetryPolicy;
  progress?: BackfillProgress;
  /** Each page's users as they are written: an audit hook for tests. */
  onPage?: (clerkIds: readonly string[]) => void;
}

const silentProgress: BackfillProgress = { page() {}, retry() {}, end() {} };

export async function backfillUsersFromClerk(options: BackfillOptions): Promise<BackfillSummary> {
  const db = options.db ?? getDb();
  const progress = options.progress ?? silentProgress;
  const pageSize = options.pageSize ?? CLERK_MAX_PAGE_SIZE;
  const limiter = options.limiter ?? limiterSettingsFor(DEVELOPMENT_RATE_LIMIT);
  const concurrency =
    options.concurrency ?? defaultConcurrency(limiter instanceof RequestRateLimiter ? limiter.settings : limiter);
  const startedAt = Date.now();
  const summary = emptySummary(options.dryRun ?? false);
  const calls = new BackfillCalls(options.clerk, {
    limiter,
    retry: options.retry ?? DEFAULT_RETRY_POLICY,
    concurrency,
    onRetry(event) {
      countRetry(summary, event);
      progress.retry(event);
    },
  });
  const listed = options.prune ? new ListedClerkIds(db) : null;
  let total = 0;
  const writes = new BatchedWrites((pages: readonly ClerkUserFields[][]) => {
    // Several pages in one transaction when they arrived together: a commit costs as much as writing a page.
    const users = pages.length === 1 ? pages[0] : pages.flat();
    for (const result of upsertUsersFromClerk(users, "backfill", db, { dryRun: summary.dryRun })) {
      countWrite(summary, result);
    }
    for (const page of pages) {
      const ids = page.map((user) => user.clerkId);
      listed?.add(ids);
      options.onPage?.(ids);
      summary.listed += page.length;
      summary.pages++;
      progress.page(summary.listed, Math.max(total, summary.listed));
    }
  });

  try {
    const [oldest, newest, clerkCount] = await Promise.all([
      calls.page({ limit: 1, orderBy: "+created_at" }),
      calls.page({ limit: 1, orderBy: "-created_at" }),
      calls.count(),
    ]);
    total = clerkCount;
    if (oldest !== CURSOR_GONE && newest !== CURSOR_GONE && oldest.length > 0 && newest.length > 0) {
      const first = oldest[0].clerkCreatedAt;
      const last = newest[0].clerkCreatedAt;
      const walked = await walkRanges({
        ranges: planRanges(first, last, total, concurrency, pageSize),
        openEnd: last + 1,
        total,
        concurrency,
        pageSize,
        fetch: (range) => calls.page(range.nextQuery(pageSize)),
        read: (users) => writes.add(users),
      });
      summary.inOneMillisecond = walked.inOneMillisecond;
    } else {
      progress.page(0, 0);
    }
    await writes.flushed();
    if (listed) {
      await pruneUsersClerkNoLongerHas(listed, calls, db, {
        summary,
        force: options.force ?? false,
        checking: progress.checkingMissing?.bind(progress),
      });
    }
  } catch (error) {
    // Nothing may be written once the run has stopped: the caller closes the database next.
    await writes.flushed().catch(() => {});
    throw stoppedBy(error, summary);
  } finally {
    await calls.close();
    listed?.dispose();
    summary.elapsedMs = Date.now() - startedAt;
    progress.end();
  }
  return summary;
}
