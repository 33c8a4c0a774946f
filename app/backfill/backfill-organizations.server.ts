import { ClerkError } from "~/clerk/clerk-errors.server";
import type { ClerkOrganizationFields } from "~/clerk/clerk-organization";
import { getDb, type AppDatabase } from "~/db/db.server";
import { writeClerkMembership, writeClerkOrganization } from "~/db/organization-writer.server";
import { writeTransaction } from "~/db/write-transaction.server";
import {
  countRetry,
  countWrite,
  emptySummary,
  stoppedBy,
  type BackfillSummary,
  type CountedWrite,
} from "./backfill-outcome.server";
import { BackfillCalls } from "./backfill-calls.server";
import type { BackfillProgress } from "./backfill-users.server";
import { walkOffsetPages } from "./offset-walk.server";
import {
  CLERK_MAX_ORGANIZATION_PAGE_SIZE,
  listClerkMemberships,
  listClerkOrganizations,
  type ListedMembership,
  type OffsetPage,
} from "./organization-pages.server";
import { pruneMembershipsClerkNoLongerHas, pruneOrganizationsClerkNoLongerHas } from "./prune-organizations.server";
import { defaultConcurrency } from "./range-walk.server";
import {
  DEVELOPMENT_RATE_LIMIT,
  limiterSettingsFor,
  RequestRateLimiter,
  type LimiterSettings,
} from "./rate-limiter.server";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.server";
import type { ClerkApiAccess } from "./user-list-stream.server";

/**
 * `sync:all` after the users: every organization, then every membership of the
 * instance, each page through the one writer (decision 008) with sync_source
 * 'backfill' in one transaction, so the webhook's rules hold and a run stopped
 * halfway can simply be run again. Memberships come last: each carries its
 * organization, which the writer stores under the organization's own rule.
 * Both lists are offset-paged (offset-walk.server.ts says what that means for
 * a list that changes during the run).
 */

export type OrganizationKind = "organizations" | "memberships";

export interface OrganizationBackfillOptions {
  clerk: ClerkApiAccess;
  db?: AppDatabase;
  /** Tombstone stored organizations and memberships that Clerk no longer has. */
  prune?: boolean;
  dryRun?: boolean;
  /** Prune even when it would tombstone most of what is stored. */
  force?: boolean;
  pageSize?: number;
  /** The requests Clerk allows, or the limiter the users' walk of the same run used. */
  limiter?: LimiterSettings | RequestRateLimiter;
  /** Pages asked for at once. */
  concurrency?: number;
  retry?: RetryPolicy;
  progress?: Partial<Record<OrganizationKind, BackfillProgress>>;
  /** Each kind's summary, as soon as that kind is done (a later stop does not take it back). */
  finished?(kind: OrganizationKind, summary: BackfillSummary): void;
}

export interface OrganizationBackfillSummary {
  /** Why Clerk's organization lists were not read (organizations turned off for the instance), or null. */
  skipped: string | null;
  organizations: BackfillSummary;
  memberships: BackfillSummary;
}

const silentProgress: BackfillProgress = { page() {}, retry() {}, end() {} };
const NOUN: Record<OrganizationKind, string> = { organizations: "organization", memberships: "membership" };

export async function backfillOrganizationsFromClerk(
  options: OrganizationBackfillOptions,
): Promise<OrganizationBackfillSummary> {
  const db = options.db ?? getDb();
  const pageSize = options.pageSize ?? CLERK_MAX_ORGANIZATION_PAGE_SIZE;
  const limiter = options.limiter ?? limiterSettingsFor(DEVELOPMENT_RATE_LIMIT);
  const concurrency =
    options.concurrency ?? defaultConcurrency(limiter instanceof RequestRateLimiter ? limiter.settings : limiter);
  const dryRun = options.dryRun ?? false;
  const result: OrganizationBackfillSummary = {
    skipped: null,
    organizations: emptySummary(dryRun),
    memberships: emptySummary(dryRun),
  };
  let kind: OrganizationKind = "organizations";
  const progress = () => options.progress?.[kind] ?? silentProgress;
  const calls = new BackfillCalls(options.clerk, {
    limiter,
    retry: options.retry ?? DEFAULT_RETRY_POLICY,
    concurrency,
    onRetry(event) {
      countRetry(result[kind], event);
      progress().retry(event);
    },
  });
  const pruneRun = (summary: BackfillSummary) => ({
    clerk: options.clerk,
    calls,
    db,
    summary,
    force: options.force ?? false,
    concurrency,
    pageSize,
    checking: progress().checkingMissing?.bind(progress()),
  });
  let kindStartedAt = Date.now();
  const ended = new Set<OrganizationKind>();
  const end = () => {
    if (!ended.has(kind)) progress().end();
    ended.add(kind);
  };

  try {
    const walked = await walk(
      (page) => calls.call((signal) => listClerkOrganizations(options.clerk, page, signal)),
      (organization) => organization.clerkId,
      (organizations: ClerkOrganizationFields[]) =>
        writeTransaction(
          db,
          (tx) => {
            const now = Date.now();
            return organizations.map((organization) => writeClerkOrganization(tx, organization, "backfill", now));
          },
          { dryRun },
        ),
    );
    if (walked === null) return result;
    const pruned = options.prune
      ? await pruneOrganizationsClerkNoLongerHas(walked, pruneRun(result.organizations))
      : null;
    done();

    kind = "memberships";
    const listedMemberships = await walk(
      (page) => calls.call((signal) => listClerkMemberships(options.clerk, page, signal)),
      (listed) => listed.membership.clerkId,
      (memberships: ListedMembership[]) =>
        writeTransaction(
          db,
          (tx) => {
            const now = Date.now();
            return memberships.map(({ membership, organization }) =>
              writeClerkMembership(tx, membership, organization, "backfill", now),
            );
          },
          { dryRun },
        ),
    );
    if (listedMemberships === null) return result;
    if (pruned) await pruneMembershipsClerkNoLongerHas(listedMemberships, pruned, pruneRun(result.memberships));
    done();
  } catch (error) {
    throw stoppedBy(error, result[kind], NOUN[kind]);
  } finally {
    await calls.close();
    end();
  }
  return result;

  /** The ids listed, or null when Clerk turned the list down as a feature the instance lacks. */
  async function walk<T>(
    fetch: (page: { limit: number; offset: number }) => Promise<OffsetPage<T>>,
    idOf: (item: T) => string,
    write: (items: T[]) => CountedWrite[],
  ): Promise<Set<string> | null> {
    const summary = result[kind];
    progress().begin?.();
    const first = await fetch({ limit: pageSize, offset: 0 }).catch((error: unknown) => {
      if (!isTurnedOff(error)) throw error;
      result.skipped = `Clerk answered ${error.status} to ${kind === "organizations" ? "GET /v1/organizations" : "GET /v1/organization_memberships"}: organizations are not turned on for this instance (Clerk's dashboard → Organizations), so there were none to sync.`;
      return null;
    });
    if (first === null) return null;
    const listed = new Set<string>();
    await walkOffsetPages(first, {
      pageSize,
      concurrency,
      fetch,
      read(items, totalCount) {
        for (const written of items.length === 0 ? [] : write(items)) countWrite(summary, written);
        for (const item of items) listed.add(idOf(item));
        summary.listed += items.length;
        summary.pages++;
        progress().page(summary.listed, Math.max(totalCount, summary.listed));
      },
    });
    return listed;
  }

  function done() {
    const summary = result[kind];
    summary.elapsedMs = Date.now() - kindStartedAt;
    kindStartedAt = Date.now();
    end();
    options.finished?.(kind, summary);
  }
}

/**
 * A development instance without organizations answers 403 (`organization_not_enabled_in_instance`); a Clerk-like
 * API without them at all answers 404. The users were read with the same key just before, so neither is the key.
 */
function isTurnedOff(error: unknown): error is ClerkError & { status: number } {
  return error instanceof ClerkError && (error.status === 403 || error.status === 404);
}
