import { DatabaseBusyError, withLockRetry } from "~/db/lock-retry.server";
import { users } from "~/db/schema";
import {
  MAX_CLOCK_SKEW_MS,
  upsertUserFromClerk,
  type ProfileField,
  type UserWriteResult,
} from "~/db/user-writer.server";
import { readDatabaseConfig } from "~/env.server";
import { log } from "~/logger.server";
import { fetchClerkUser } from "~/clerk/clerk-api.server";
import { ClerkError } from "~/clerk/clerk-errors.server";

/**
 * "Sync User Data": pull the signed-in user from Clerk and write it through the
 * same writer as the webhook, for when a delivery was missed.
 */

export type SyncUserResult =
  | { ok: true; outcome: UserWriteResult["outcome"]; changedFields: ProfileField[]; message: string }
  | { ok: false; failure: ClerkError | DatabaseBusyError; message: string };

// Where the page's word is not the column's own name ("first_name" reads "First name"): a new column needs no label.
const FIELD_LABELS: Partial<Record<ProfileField, string>> = { imageUrl: "Avatar" };

function fieldLabel(field: ProfileField): string {
  const name = users[field].name.replaceAll("_", " ");
  return FIELD_LABELS[field] ?? name[0].toUpperCase() + name.slice(1);
}

export function describeSync(result: UserWriteResult): string {
  switch (result.outcome) {
    case "created":
      return "Profile imported from Clerk.";
    case "updated": {
      const labels = result.changedFields.map(fieldLabel);
      return labels.length ? `${joinLabels(labels)} updated.` : "Profile refreshed from Clerk.";
    }
    case "unchanged":
      return "Already up to date.";
    case "stale":
      // Something newer than Clerk's own copy was stored here (a made-up test event, a clock ahead): say so.
      return "The stored copy is newer than what Clerk returned, so nothing changed.";
    case "future_dated":
      return `Clerk's copy is dated more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes ahead of this server's clock, so nothing changed. The server's clock may be wrong.`;
    case "tombstoned":
    case "deleted":
    case "already_deleted":
      return "This account has been deleted.";
  }
}

function joinLabels(labels: string[]): string {
  if (labels.length === 1) return labels[0];
  return `${labels.slice(0, -1).join(", ")} and ${labels.at(-1)!.toLowerCase()}`;
}

export function describeFailure(failure: ClerkError | DatabaseBusyError): string {
  switch (failure.kind) {
    case "not_found":
      return "Clerk no longer has this account, so there is nothing to sync. It may have been deleted.";
    case "rate_limited":
      return failure.retryAfter
        ? `Clerk is busy (rate limited). Try again in ${failure.retryAfter} second${failure.retryAfter === 1 ? "" : "s"}.`
        : "Clerk is busy (rate limited). Try again in a moment.";
    case "timeout":
      return `Clerk did not answer in time. Your data is unchanged; try again in a moment.`;
    case "unavailable":
      return "Clerk is unavailable right now. Your data is unchanged; try again in a moment.";
    case "database_busy":
      return "This app's database is busy right now. Your data is unchanged; try again in a moment.";
  }
}

export async function syncUserFromClerk(userId: string): Promise<SyncUserResult> {
  const started = performance.now();
  try {
    const fields = await fetchClerkUser(userId);
    const result = await withLockRetry(() => upsertUserFromClerk(fields, "manual"), {
      totalMs: readDatabaseConfig().busyTimeoutMs,
      label: "manual_sync",
    });
    log.info("manual_sync", {
      clerk_user_id: userId,
      outcome: result.outcome,
      ms: Math.round(performance.now() - started),
    });
    return { ok: true, outcome: result.outcome, changedFields: result.changedFields, message: describeSync(result) };
  } catch (error) {
    if (!(error instanceof ClerkError) && !(error instanceof DatabaseBusyError)) throw error;
    log.warn("manual_sync_failed", {
      clerk_user_id: userId,
      kind: error.kind,
      ms: Math.round(performance.now() - started),
    });
    return { ok: false, failure: error, message: describeFailure(error) };
  }
}
