import { ClerkError, clerkTimeout, toClerkError } from "~/clerk/clerk-errors.server";
import type { RequestRateLimiter } from "./rate-limiter.server";

/**
 * How the backfill calls Clerk's Backend API: a 429 waits as long as
 * Retry-After says and goes on (Clerk's limits are per 10 s window, so waiting
 * is always enough; a Retry-After of more than 10 minutes stops the run); a
 * 5xx, a timeout, a dropped connection or a malformed answer is retried with
 * backoff a bounded number of times; anything else (a bad key, a bad request)
 * stops at once, because asking again would get the same answer. Which is
 * which is decided in one place, `toClerkError` (app/clerk/clerk-errors.server.ts).
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
  /**
   * A longer Retry-After stops the run instead: Clerk's limits are per 10 s window, so a wait of hours is not a
   * rate limit, and a timer past 24.8 days would fire at once (Node clamps it to 1 ms) and spin.
   */
  maxRetryAfterSeconds: number;
  /** Per-request limit: a hung request is aborted (its socket destroyed) and counts as a retryable failure. */
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
  maxRetryAfterSeconds: 600,
  requestTimeoutMs: 30_000,
  sleep,
};

/** What happened while a call was retried, for the progress display. */
export type RetryEvent =
  | { kind: "rate_limited"; waitMs: number; retryAfterSeconds: number | null }
  | { kind: "retrying"; waitMs: number; attempt: number; maxAttempts: number; reason: string };

export interface ClerkCallOptions {
  policy?: RetryPolicy;
  onRetry?: (event: RetryEvent) => void;
  /** Every attempt waits for its turn here; a 429 pauses it for everyone. */
  limiter?: RequestRateLimiter;
  /** Aborted when the run is over: a call still in flight then fails as it is, without asking again. */
  signal?: AbortSignal;
}

/**
 * `call` is one attempt; it gets a signal that aborts when the attempt times out or the run is over, and must
 * then give its request up and settle (ClerkUserListStream does).
 */
export async function callClerkWithRetry<T>(
  call: (signal: AbortSignal) => Promise<T>,
  options: ClerkCallOptions = {},
): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const onRetry = options.onRetry ?? (() => {});
  let attempt = 0;
  let rateLimitWaits = 0;
  // Waits (a token, a Retry-After, a backoff) end early when the run is over.
  const wait = async (waiting: Promise<void> | undefined) => {
    if (options.signal && waiting) await untilAbortedOr(options.signal, waiting);
    else await waiting;
    if (options.signal?.aborted) throw runOver();
  };
  for (;;) {
    attempt++;
    await wait(options.limiter?.acquire());
    try {
      return await withDeadline(call, policy.requestTimeoutMs, options.signal);
    } catch (caught) {
      if (options.signal?.aborted) throw caught;
      const error = toClerkError(caught);
      if (error.kind === "rate_limited") {
        // Waiting out a 429 is not a failure: it does not use up an attempt.
        attempt--;
        if (++rateLimitWaits > policy.maxRateLimitWaits) {
          throw error.withMessage(
            `Clerk kept answering 429 (rate limited) ${policy.maxRateLimitWaits} times in a row.`,
          );
        }
        const seconds = error.retryAfter ?? policy.defaultRetryAfterSeconds;
        if (seconds > policy.maxRetryAfterSeconds) {
          throw error.withMessage(
            `Clerk asked to wait ${seconds.toLocaleString("en-US")} s before the next request (Retry-After), ` +
              `more than the ${policy.maxRetryAfterSeconds / 60} minutes a run waits.`,
            { retryable: false },
          );
        }
        const waitMs = Math.max(0, seconds) * 1000;
        options.limiter?.pause(waitMs);
        onRetry({ kind: "rate_limited", waitMs, retryAfterSeconds: error.retryAfter });
        await wait(policy.sleep(waitMs));
        continue;
      }
      rateLimitWaits = 0;
      if (!error.retryable) throw error;
      if (attempt >= policy.maxAttempts)
        throw error.withMessage(`${error.message} (gave up after ${attempt} attempts)`);
      const waitMs = policy.backoffMs(attempt);
      onRetry({ kind: "retrying", waitMs, attempt, maxAttempts: policy.maxAttempts, reason: error.message });
      await wait(policy.sleep(waitMs));
    }
  }
}

function runOver(): ClerkError {
  return new ClerkError({
    kind: "unavailable",
    status: null,
    retryable: false,
    retryAfter: null,
    message: "The run was over before this call to Clerk.",
  });
}

/**
 * One attempt, aborted at `ms` or when the run is over, whichever is first. The
 * call settles itself on the abort (the backfill's reader does, once its socket
 * is closed): a run then ends only when nothing of it is still out.
 */
function withDeadline<T>(call: (signal: AbortSignal) => Promise<T>, ms: number, run?: AbortSignal): Promise<T> {
  const attempt = new AbortController();
  const timer = setTimeout(() => attempt.abort(clerkTimeout(ms)), ms);
  const onRunOver = () => attempt.abort(run?.reason);
  if (run?.aborted) onRunOver();
  else run?.addEventListener("abort", onRunOver, { once: true });
  return call(attempt.signal).finally(() => {
    clearTimeout(timer);
    run?.removeEventListener("abort", onRunOver);
  });
}

/** Resolves when `waiting` does or `signal` aborts, whichever is first; never rejects on the abort. */
function untilAbortedOr(signal: AbortSignal, waiting: Promise<void>): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  let onAbort: () => void = () => {};
  const aborted = new Promise<void>((resolve) => (onAbort = resolve));
  signal.addEventListener("abort", onAbort, { once: true });
  // A backfill makes thousands of calls on one signal: each takes its listener away when it is done.
  return Promise.race([waiting, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
}
