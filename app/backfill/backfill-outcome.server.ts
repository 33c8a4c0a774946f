import type { MembershipWriteOutcome } from "~/db/organization-writer.server";
import type { UserWriteResult } from "~/db/user-writer.server";
import type { RetryEvent } from "./retry.server";

/**
 * What a backfill run tells the person who started it: the summary when it
 * finishes (scripts/lib/backfill-report.ts prints it), or `BackfillStopped`
 * when it cannot, and the counting that fills the summary in as pages are written.
 */

/** One summary per kind `sync:all` walks: users, organizations, memberships. */
export interface BackfillSummary {
  dryRun: boolean;
  /** Users (organizations, memberships) read from Clerk. */
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
  /**
   * Users read in whole pages that all shared one created_at millisecond: no created_at cut can part them,
   * so a single cursor read them one page after another.
   */
  inOneMillisecond: number;
  elapsedMs: number;
}

/** The run stopped: pages before `done` are committed (none in a dry run); running again is safe. */
export class BackfillStopped extends Error {
  override name = "BackfillStopped";
  constructor(
    message: string,
    readonly done: number,
    readonly dryRun: boolean,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

const FUTURE_IDS_SHOWN = 20;

export function emptySummary(dryRun: boolean): BackfillSummary {
  return {
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
    inOneMillisecond: 0,
    elapsedMs: 0,
  };
}

/** The stop for any failure of the run, saying how far it got (`noun`: what the walk reads, "user" by default). */
export function stoppedBy(error: unknown, summary: BackfillSummary, noun = "user"): BackfillStopped {
  if (error instanceof BackfillStopped) return error;
  const reason = error instanceof Error ? error.message : String(error);
  const read = `${summary.listed} ${noun}${summary.listed === 1 ? "" : "s"}`;
  return new BackfillStopped(
    `Stopped after ${read} (page ${summary.pages + 1}): ${reason}`,
    summary.listed,
    summary.dryRun,
    error,
  );
}

export function countRetry(summary: BackfillSummary, event: RetryEvent): void {
  if (event.kind === "rate_limited") summary.rateLimitWaits++;
  else summary.retries++;
}

/** What one write did; organizations and memberships have a few outcomes users do not. */
export interface CountedWrite {
  outcome: UserWriteResult["outcome"] | MembershipWriteOutcome;
  clerkId: string;
}

export function countWrite(summary: BackfillSummary, { outcome, clerkId }: CountedWrite): void {
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
    // superseded: the same person has a membership created later, so this one has ended in Clerk.
    case "stale":
    case "superseded":
      summary.skipped++;
      summary.skippedStale++;
      break;
    // organization_deleted, user_deleted: a membership of an organization or a user deleted here.
    case "tombstoned":
    case "organization_deleted":
    case "user_deleted":
      summary.skipped++;
      summary.skippedDeleted++;
      break;
    case "future_dated":
      summary.skipped++;
      summary.skippedFuture++;
      if (summary.futureDatedIds.length < FUTURE_IDS_SHOWN) summary.futureDatedIds.push(clerkId);
      break;
    case "deleted":
      // Only a prune tombstones.
      summary.pruned++;
      summary.prunedIds.push(clerkId);
      break;
    default:
      // already_deleted: a prune found the user tombstoned meanwhile; nothing changed.
      break;
  }
}
