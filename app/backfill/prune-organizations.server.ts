import { isNull } from "drizzle-orm";
import { ClerkError } from "~/clerk/clerk-errors.server";
import type { AppDatabase } from "~/db/db.server";
import { tombstoneClerkOrganization, tombstoneMembershipById } from "~/db/organization-writer.server";
import { organizationMemberships, organizations } from "~/db/schema";
import { writeTransaction } from "~/db/write-transaction.server";
import { countWrite, type BackfillSummary } from "./backfill-outcome.server";
import type { BackfillCalls } from "./backfill-calls.server";
import { inPool } from "./offset-walk.server";
import {
  clerkOrganizationsStillPresent,
  listMembershipsOfClerkOrganization,
  ORGANIZATION_IDS_PER_REQUEST,
  type OffsetPage,
  type ListedMembership,
} from "./organization-pages.server";
import { refuseMassPrune } from "./prune-missing.server";
import type { ClerkApiAccess } from "./user-list-stream.server";

/**
 * `--prune` for organizations and memberships, after each walk, with the users'
 * caution (prune-missing.server.ts): what is stored live but was not listed is
 * asked about once more, because an offset walk can miss an item when another
 * is deleted meanwhile (offset-walk.server.ts), and what was created after the
 * walk passed its place arrived by webhook; only what Clerk confirms gone is
 * tombstoned, and never most of what is stored without --force.
 *
 * Organizations are asked about by id, 100 a request. Memberships have no
 * lookup by id, so each organization that has candidates is asked for its
 * members (`GET /v1/organizations/{id}/memberships`). Keeping only memberships
 * created before the run began would not do: a membership years old is the one
 * a deletion elsewhere can push past a page boundary. An organization Clerk no
 * longer has has no memberships. A member list that changes while it is read
 * (its total moves, or its ids do not add up to it) is read again, and if it
 * never holds still its candidates are kept: a tombstone is final, a missed
 * prune is caught by the next run.
 */

const MEMBER_LIST_READS = 3;

export interface PruneRun {
  clerk: ClerkApiAccess;
  calls: BackfillCalls;
  db: AppDatabase;
  summary: BackfillSummary;
  force: boolean;
  concurrency: number;
  pageSize: number;
  checking?(candidates: number): void;
}

/** Organizations stored live that the walk did not list and Clerk no longer has: tombstoned with their memberships. */
export async function pruneOrganizationsClerkNoLongerHas(
  listed: ReadonlySet<string>,
  run: PruneRun,
): Promise<Set<string>> {
  const live = run.db
    .select({ clerkId: organizations.clerkId })
    .from(organizations)
    .where(isNull(organizations.deletedAt))
    .all()
    .map((row) => row.clerkId);
  const candidates = live.filter((id) => !listed.has(id));
  if (candidates.length === 0) return new Set();
  run.checking?.(candidates.length);
  const present = new Set<string>();
  const batches: string[][] = [];
  for (let start = 0; start < candidates.length; start += ORGANIZATION_IDS_PER_REQUEST) {
    batches.push(candidates.slice(start, start + ORGANIZATION_IDS_PER_REQUEST));
  }
  await inPool(batches, run.concurrency, async (batch) => {
    const ids = await run.calls.call((signal) => clerkOrganizationsStillPresent(run.clerk, batch, signal));
    for (const id of ids) present.add(id);
  });
  const gone = candidates.filter((id) => !present.has(id));
  refuseMassPrune(gone.length, live.length, "organizations", run);
  const results = writeTransaction(
    run.db,
    (tx) => {
      const now = Date.now();
      return gone.map((id) => tombstoneClerkOrganization(tx, id, "backfill", now));
    },
    { dryRun: run.summary.dryRun },
  );
  for (const result of results) countWrite(run.summary, result);
  return new Set(gone);
}

/**
 * Memberships stored live that the walk did not list and Clerk no longer has. Those of `prunedOrganizations`
 * are left out: tombstoning their organization took them too (in a dry run, it would have).
 */
export async function pruneMembershipsClerkNoLongerHas(
  listed: ReadonlySet<string>,
  prunedOrganizations: ReadonlySet<string>,
  run: PruneRun,
): Promise<void> {
  const live = run.db
    .select({ clerkId: organizationMemberships.clerkId, organizationId: organizationMemberships.organizationClerkId })
    .from(organizationMemberships)
    .where(isNull(organizationMemberships.deletedAt))
    .all();
  const candidates = live.filter((row) => !listed.has(row.clerkId) && !prunedOrganizations.has(row.organizationId));
  if (candidates.length === 0) return;
  run.checking?.(candidates.length);
  const byOrganization = new Map<string, typeof candidates>();
  for (const row of candidates) {
    const rows = byOrganization.get(row.organizationId);
    if (rows) rows.push(row);
    else byOrganization.set(row.organizationId, [row]);
  }
  const gone: string[] = [];
  await inPool([...byOrganization.keys()], run.concurrency, async (organizationId) => {
    const members = await currentMemberIds(organizationId, run);
    if (members === "unsteady") return;
    for (const { clerkId } of byOrganization.get(organizationId)!) if (!members.has(clerkId)) gone.push(clerkId);
  });
  refuseMassPrune(gone.length, live.length, "memberships", run);
  const outcomes = writeTransaction(
    run.db,
    (tx) => {
      const now = Date.now();
      return gone.map((clerkId) => ({ clerkId, outcome: tombstoneMembershipById(tx, clerkId, "backfill", now) }));
    },
    { dryRun: run.summary.dryRun },
  );
  for (const { clerkId, outcome } of outcomes) if (outcome !== "unknown") countWrite(run.summary, { clerkId, outcome });
}

/** The membership ids Clerk lists for one organization now (none once it is deleted), or "unsteady". */
async function currentMemberIds(organizationId: string, run: PruneRun): Promise<Set<string> | "unsteady"> {
  for (let read = 0; read < MEMBER_LIST_READS; read++) {
    const ids = new Set<string>();
    let total: number | undefined;
    let steady = true;
    for (let offset = 0; total === undefined || offset < total; offset += run.pageSize) {
      const page = await membersPage(organizationId, offset, run);
      if (page === null) return new Set();
      if (total !== undefined && page.totalCount !== total) steady = false;
      total ??= page.totalCount;
      for (const { membership } of page.items) ids.add(membership.clerkId);
      if (page.items.length === 0) break;
    }
    if (steady && ids.size === total) return ids;
  }
  return "unsteady";
}

/** One page of an organization's members; null when Clerk no longer has the organization. */
async function membersPage(
  organizationId: string,
  offset: number,
  run: PruneRun,
): Promise<OffsetPage<ListedMembership> | null> {
  try {
    return await run.calls.call((signal) =>
      listMembershipsOfClerkOrganization(run.clerk, organizationId, { limit: run.pageSize, offset }, signal),
    );
  } catch (error) {
    if (error instanceof ClerkError && error.kind === "not_found") return null;
    throw error;
  }
}
