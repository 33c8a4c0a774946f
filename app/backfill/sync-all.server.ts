import type { AppDatabase } from "~/db/db.server";
import type { BackfillSummary } from "./backfill-outcome.server";
import {
  backfillOrganizationsFromClerk,
  type OrganizationBackfillSummary,
  type OrganizationKind,
} from "./backfill-organizations.server";
import { backfillUsersFromClerk, type BackfillProgress } from "./backfill-users.server";
import {
  DEVELOPMENT_RATE_LIMIT,
  limiterSettingsFor,
  RequestRateLimiter,
  type LimiterSettings,
} from "./rate-limiter.server";
import type { RetryPolicy } from "./retry.server";
import type { ClerkApiAccess } from "./user-list-stream.server";

/**
 * `npm run sync:all`: users, then organizations, then memberships, through one
 * rate limiter, because Clerk counts every request of the instance's key against
 * one limit; walking the kinds one after another keeps each kind's pages at the
 * full rate. Each kind's summary is handed out as soon as it is done, so a stop
 * in a later kind still reports what the earlier ones did.
 */

export type SyncedKind = "users" | OrganizationKind;

export interface SyncAllOptions {
  clerk: ClerkApiAccess;
  db?: AppDatabase;
  prune?: boolean;
  dryRun?: boolean;
  force?: boolean;
  /** Users per page; organizations and memberships per page too, up to Clerk's 500. */
  pageSize?: number;
  limiter?: LimiterSettings;
  concurrency?: number;
  retry?: RetryPolicy;
  progress?: Partial<Record<SyncedKind, BackfillProgress>>;
  finished?(kind: SyncedKind, summary: BackfillSummary): void;
}

export interface SyncAllSummary extends OrganizationBackfillSummary {
  users: BackfillSummary;
  /** Requests let out to Clerk, retries included, across all three kinds. */
  requests: number;
}

export async function syncAllFromClerk(options: SyncAllOptions): Promise<SyncAllSummary> {
  const limiter = new RequestRateLimiter(options.limiter ?? limiterSettingsFor(DEVELOPMENT_RATE_LIMIT));
  const shared = { ...options, limiter };
  const users = await backfillUsersFromClerk({ ...shared, progress: options.progress?.users });
  options.finished?.("users", users);
  const organizations = await backfillOrganizationsFromClerk(shared);
  return { users, ...organizations, requests: limiter.granted };
}
