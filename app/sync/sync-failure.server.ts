import { json } from "@remix-run/node";
import type { DatabaseBusyError } from "~/db/lock-retry.server";
import type { ClerkError } from "~/clerk/clerk-errors.server";

/**
 * How both Sync buttons (the profile's and an organization page's) fail, and
 * what they answer: the same sentence and the same status for the same failure,
 * whichever the button.
 */

export type SyncFailure = ClerkError | DatabaseBusyError;

export function describeFailure(failure: SyncFailure): string {
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

// A busy database gets the webhook's answer: 503, and when to try again.
const FAILURE_STATUS = { not_found: 404, rate_limited: 429, timeout: 504, unavailable: 502, database_busy: 503 };

/** The action's answer to a failed Sync: its status, Retry-After when Clerk or the lock says when, and the sentence. */
export function syncFailureResponse(failure: SyncFailure, message: string) {
  const retryAfterSeconds = failure.retryAfter;
  const headers = retryAfterSeconds === null ? undefined : { "Retry-After": String(retryAfterSeconds) };
  return json({ ok: false as const, message, retryAfterSeconds }, { status: FAILURE_STATUS[failure.kind], headers });
}
