import type { ClerkClient } from "@clerk/backend";
import { getDb, type AppDatabase } from "~/db/db.server";
import { tombstoneUsersFromClerk, upsertUsersFromClerk, type UserWriteOutcome } from "~/db/user-writer.server";
import { ClerkCallFailed, DEFAULT_RETRY_POLICY, type RetryEvent, type RetryPolicy } from "./clerk-retry";
import { clerkIdsStillPresent, clerkUserPages, CLERK_MAX_PAGE_SIZE } from "./clerk-user-pages";
import { ListedClerkIds } from "./listed-clerk-ids";

/**
 * `npm run sync:all`: brings SQLite back in step with Clerk. Each page of users
 * goes through the one writer in one transaction with sync_source 'backfill',
 * so the webhook's rules hold (older data never overwrites newer, tombstones
 * stay deleted) and a run stopped halfway can simply be run again.
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
  client: ClerkClient;
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
}

export interface BackfillSummary {
  dryRun: boolean;
  /** Users read from Clerk. */
  listed: number;
  pages: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Older than what is stored, or deleted here: left alone. */
  skipped: number;
  skippedStale: number;
  skippedDeleted: number;
  /** Only with `prune`: stored users Clerk no longer has, tombstoned (or that would be, in a dry run). */
  pruned: number;
  prunedIds: string[];
  rateLimitWaits: number;
  retries: number;
  elapsedMs: number;
}

/** The run stopped: pages before `done` are committed; running again is safe. */
export class BackfillStopped extends Error {
  override name = "BackfillStopped";
  constructor(
    message: string,
    readonly done: number,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/** Pruning that would erase more than this share of the live users needs --force. */
export const MASS_PRUNE_SHARE = 0.5;
const MASS_PRUNE_MIN = 10;

const silentProgress: BackfillProgress = { page() {}, retry() {}, end() {} };

export async function backfillUsersFromClerk(options: BackfillOptions): Promise<BackfillSummary> {
  const db = options.db ?? getDb();
  const progress = options.progress ?? silentProgress;
  const now = options.now ?? Date.now;
  const dryRun = options.dryRun ?? false;
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
    pruned: 0,
    prunedIds: [],
    rateLimitWaits: 0,
    retries: 0,
    elapsedMs: 0,
  };
  const onRetry = (event: RetryEvent) => {
    if (event.kind === "rate_limited") summary.rateLimitWaits++;
    else summary.retries++;
    progress.retry(event);
  };
  const listed = options.prune ? new ListedClerkIds(db) : null;
  const retry = options.retry ?? DEFAULT_RETRY_POLICY;

  try {
    for await (const page of clerkUserPages(options.client, { pageSize: options.pageSize ?? CLERK_MAX_PAGE_SIZE, retry, onRetry })) {
      const results = upsertUsersFromClerk(page.users, "backfill", db, { dryRun });
      for (const { outcome } of results) count(summary, outcome);
      listed?.add(page.users.map((user) => user.clerkId));
      summary.listed += page.users.length;
      summary.pages++;
      progress.page(summary.listed, Math.max(page.totalCount, summary.listed));
    }

    if (listed) {
      const candidates = listed.liveUsersNotListed();
      if (candidates.length > 0) {
        progress.checkingMissing?.(candidates.length);
        // A user who signed up after the walk passed their place arrives by webhook and is not in
        // the listing: ask Clerk about each candidate, and tombstone only those it no longer has.
        const present = await clerkIdsStillPresent(options.client, candidates, { retry, onRetry });
        const gone = candidates.filter((id) => !present.has(id));
        const live = listed.liveUserCount();
        if (!options.force && gone.length > MASS_PRUNE_MIN && gone.length > live * MASS_PRUNE_SHARE) {
          throw new BackfillStopped(
            `Refusing to tombstone ${gone.length} of the ${live} stored users: Clerk no longer lists them. ` +
              "If CLERK_SECRET_KEY belongs to another instance (development instead of production?), " +
              "this would erase them for good. Check the key, see the list with --dry-run, and add --force if it is right.",
            summary.listed,
          );
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
    const reason = error instanceof ClerkCallFailed ? error.message : error instanceof Error ? error.message : String(error);
    throw new BackfillStopped(
      `Stopped after ${summary.listed} users (page ${summary.pages + 1}): ${reason}`,
      summary.listed,
      error,
    );
  } finally {
    listed?.dispose();
    summary.elapsedMs = now() - startedAt;
    progress.end();
  }
  return summary;
}

function count(summary: BackfillSummary, outcome: UserWriteOutcome): void {
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
    default:
      // deleted/already_deleted come only from tombstoning, never from an upsert.
      break;
  }
}
