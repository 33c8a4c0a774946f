import type { AppDatabase } from "~/db/db.server";
import type { ListedClerkIds } from "~/db/listed-clerk-ids.server";
import { tombstoneUsersFromClerk } from "~/db/user-writer.server";
import { BackfillStopped, countWrite, type BackfillSummary } from "./backfill-outcome.server";
import type { BackfillCalls } from "./backfill-calls.server";

/** Pruning that would erase more than this share of what is stored of a kind, and more than MASS_PRUNE_MIN, needs --force. */
const MASS_PRUNE_SHARE = 0.5;
const MASS_PRUNE_MIN = 10;

/**
 * Reconcile (`--prune`), after the walk: users live here that the walk did not
 * list are asked about once more by id, because one who signed up after the walk
 * passed their place arrives by webhook and is not in the listing; only those
 * Clerk no longer has are tombstoned, as `user.deleted` would.
 */
export async function pruneUsersClerkNoLongerHas(
  listed: ListedClerkIds,
  calls: BackfillCalls,
  db: AppDatabase,
  run: { summary: BackfillSummary; force: boolean; checking?(candidates: number): void },
): Promise<void> {
  const candidates = listed.liveUsersNotListed();
  if (candidates.length === 0) return;
  run.checking?.(candidates.length);
  const present = await calls.stillPresent(candidates);
  const gone = candidates.filter((id) => !present.has(id));
  const live = listed.liveUserCount();
  const { dryRun } = run.summary;
  refuseMassPrune(gone.length, live, "users", run);
  for (const result of tombstoneUsersFromClerk(gone, "backfill", db, { dryRun })) countWrite(run.summary, result);
}

/**
 * Stops the run before a prune that would tombstone most of what is stored of a kind, unless --force: a key of
 * another instance (development instead of production) lists none of it. A tombstone is final, so a dry run says
 * what a real run would refuse, and how to see the list. The users' and the organizations' prunes share it.
 */
export function refuseMassPrune(
  gone: number,
  live: number,
  what: string,
  run: { summary: BackfillSummary; force: boolean },
): void {
  if (run.force || gone <= MASS_PRUNE_MIN || gone <= live * MASS_PRUNE_SHARE) return;
  const { dryRun } = run.summary;
  const tombstone = `tombstone ${gone} of the ${live} stored ${what}: Clerk no longer lists them. If CLERK_SECRET_KEY belongs to another instance (development instead of production?), `;
  const message = dryRun
    ? `A real run would refuse to ${tombstone}that would erase them for good. Check the key; add --force to this dry run to list them, and to a real run if it is right.`
    : `Refusing to ${tombstone}this would erase them for good. Check the key; \`--prune --dry-run --force\` lists them and writes nothing; add --force to a real run if it is right.`;
  throw new BackfillStopped(message, run.summary.listed, dryRun);
}
