/**
 * What a Clerk Backend API call can fail with, whichever way it was made (the SDK, or the backfill's page
 * reader): the shapes every door classifies in `toClerkApiFailure` (clerk-api.server.ts).
 */

/** One error of Clerk's `{ errors: [...] }` body, with the SDK's casing. */
export interface ClerkErrorEntry {
  code: string;
  message: string;
  longMessage?: string;
  meta?: { paramName?: string };
}

/** A non-2xx answer, shaped as the SDK's ClerkAPIResponseError (`status`, `errors`, `retryAfter` in seconds). */
export class ClerkResponseError extends Error {
  override name = "ClerkResponseError";
  constructor(
    readonly status: number,
    readonly errors: ClerkErrorEntry[],
    readonly retryAfter: number | undefined,
  ) {
    super(errors[0]?.message ?? `HTTP ${status}`);
  }
}

/** Clerk answered 200 with something that is not what was asked for. Asking again may help; the run stops after that. */
export class ClerkAnswerMalformed extends Error {
  override name = "ClerkAnswerMalformed";
}
