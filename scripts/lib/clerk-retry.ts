import { isClerkAPIResponseError } from "@clerk/remix/errors";
import { toClerkApiFailure, withTimeout } from "~/clerk/clerk-api.server";

/**
 * How the day-two tools call Clerk's Backend API: a 429 waits as long as
 * Retry-After says and goes on (Clerk's limits are per 10 s window, so waiting
 * is always enough); a 5xx, a timeout or a dropped connection is retried with
 * backoff a bounded number of times; anything else (a bad key, a bad request)
 * stops at once, because asking again would get the same answer.
 */

export interface RetryPolicy {
  /** Attempts per call for 5xx/timeouts/network errors (429s are not counted). */
  maxAttempts: number;
  /** Consecutive 429s tolerated on one call before giving up. */
  maxRateLimitWaits: number;
  /** Milliseconds before attempt `attempt + 1` after a retryable failure. */
  backoffMs(attempt: number): number;
  /** Used when a 429 comes without Retry-After. */
  defaultRetryAfterSeconds: number;
  /** Per-request limit: a hung request counts as a retryable failure. */
  requestTimeoutMs: number;
  sleep(ms: number): Promise<void>;
}

/** 1 s, 2 s, 4 s, 8 s … capped at 30 s, with ±25 % jitter so parallel runs spread out. */
export function exponentialBackoffMs(attempt: number): number {
  const base = Math.min(30_000, 1000 * 2 ** (attempt - 1));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  maxRateLimitWaits: 100,
  backoffMs: exponentialBackoffMs,
  defaultRetryAfterSeconds: 10,
  requestTimeoutMs: 30_000,
  sleep,
};

/** What happened while a call was retried, for the progress display. */
export type RetryEvent =
  | { kind: "rate_limited"; waitMs: number; retryAfterSeconds: number | null }
  | { kind: "retrying"; waitMs: number; attempt: number; maxAttempts: number; reason: string };

/** A call that will not succeed by asking again; `message` says what to do. */
export class ClerkCallFailed extends Error {
  override name = "ClerkCallFailed";
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

type Classified =
  | { kind: "rate_limited"; retryAfterSeconds: number | null }
  | { kind: "retryable"; reason: string; status: number | null }
  | { kind: "fatal"; reason: string; status: number | null };

function detailOf(error: unknown): string {
  if (!isClerkAPIResponseError(error)) return "";
  const first = error.errors[0];
  const detail = first?.longMessage ?? first?.message;
  return detail ? ` ${detail}` : "";
}

export function classifyClerkError(error: unknown): Classified {
  const failure = toClerkApiFailure(error);
  switch (failure.kind) {
    case "rate_limited":
      return { kind: "rate_limited", retryAfterSeconds: failure.retryAfterSeconds };
    case "timeout":
      return { kind: "retryable", reason: failure.message, status: null };
    case "not_found":
      return { kind: "fatal", reason: `Clerk answered 404: is CLERK_API_URL right?${detailOf(error)}`, status: 404 };
    case "unavailable": {
      if (failure.status === null || failure.status >= 500) {
        return { kind: "retryable", reason: failure.message, status: failure.status };
      }
      const hint = failure.status === 401 || failure.status === 403 ? " Check CLERK_SECRET_KEY (Clerk's dashboard → API keys)." : "";
      return { kind: "fatal", reason: `${failure.message}${detailOf(error)}${hint}`, status: failure.status };
    }
  }
}

export async function callClerkWithRetry<T>(
  call: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  onRetry: (event: RetryEvent) => void = () => {},
): Promise<T> {
  let attempt = 0;
  let rateLimitWaits = 0;
  for (;;) {
    attempt++;
    try {
      return await withTimeout(call(), policy.requestTimeoutMs);
    } catch (error) {
      const classified = classifyClerkError(error);
      if (classified.kind === "rate_limited") {
        // Waiting out a 429 is not a failure: it does not use up an attempt.
        attempt--;
        if (++rateLimitWaits > policy.maxRateLimitWaits) {
          throw new ClerkCallFailed(`Clerk kept answering 429 (rate limited) ${policy.maxRateLimitWaits} times in a row.`, 429, true);
        }
        const seconds = classified.retryAfterSeconds ?? policy.defaultRetryAfterSeconds;
        const waitMs = Math.max(0, seconds) * 1000;
        onRetry({ kind: "rate_limited", waitMs, retryAfterSeconds: classified.retryAfterSeconds });
        await policy.sleep(waitMs);
        continue;
      }
      rateLimitWaits = 0;
      if (classified.kind === "fatal") throw new ClerkCallFailed(classified.reason, classified.status, false);
      if (attempt >= policy.maxAttempts) {
        throw new ClerkCallFailed(`${classified.reason} (gave up after ${attempt} attempts)`, classified.status, true);
      }
      const waitMs = policy.backoffMs(attempt);
      onRetry({ kind: "retrying", waitMs, attempt, maxAttempts: policy.maxAttempts, reason: classified.reason });
      await policy.sleep(waitMs);
    }
  }
}
