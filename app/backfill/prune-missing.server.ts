import type { AppDatabase } from "~/db/db.server";
import type { ListedClerkIds } from "~/db/listed-clerk-ids.server";
import { tombstoneUsersFromClerk } from "~/db/user-writer.server";
import { BackfillStopped, countWrite, type BackfillSummary } from "./backfill-outcome.server";
import type { BackfillCalls } from "./backfill-calls.server";

/** Pruning that would erase more than this share of the live users needs --force. */
export const MASS_PRUNE_SHARE = 0.5;
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
  if (!run.force && gone.length > MASS_PRUNE_MIN && gone.length > live * MASS_PRUNE_SHARE) {
    throw new BackfillStopped(massPruneRefusal(gone.length, live, dryRun), run.summary.listed, dryRun);
  }
  for (const result of tombstoneUsersFromClerk(gone, "backfill", db, { dryRun })) countWrite(run.summary, result);
}

/** A tombstone is final: a dry run says what a real run would refuse, and how to see the list. */
function massPruneRefusal(gone: number, live: number, dryRun: boolean): string {
  const what = `tombstone ${gone} of the ${live} stored users: Clerk no longer lists them. If CLERK_SECRET_KEY belongs to another instance (development instead of production?), `;
  return dryRun
    ? `A real run would refuse to ${what}that would erase them for good. Check the key; add --force to this dry run to list them, and to a real run if it is right.`
    : `Refusing to ${what}this would erase them for good. Check the key; \`--prune --dry-run --force\` lists them and writes nothing; add --force to a real run if it is right.`;
}
