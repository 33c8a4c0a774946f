import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ClerkError } from "~/clerk/clerk-errors.server";
import { callClerkWithRetry, sleep } from "~/backfill/retry.server";
import { RequestRateLimiter } from "~/backfill/rate-limiter.server";
import { rateLimited, recording, scripted, serverError } from "./scripted-calls";

/**
 * When the backfill's retry (app/backfill/retry.server.ts) stops asking Clerk: too many 429s in a row, a
 * Retry-After longer than a run waits, a request that hangs, and a run that is over while a call waits or is out.
 */

const never = () => new Promise<void>(() => {});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("the backfill's retry gives up", () => {
  it("after one 429 more than the policy tolerates in a row, saying how many", async () => {
    const { policy, waits } = recording({ maxRateLimitWaits: 2 });
    const clerk = scripted([rateLimited(1), rateLimited(2), rateLimited(3), rateLimited(4)]);
    const outcome = await callClerkWithRetry(clerk.call, { policy }).catch((error: unknown) => error);
    expect(clerk.calls).toBe(3);
    expect(waits).toEqual([1000, 2000]);
    expect(outcome).toBeInstanceOf(ClerkError);
    expect(outcome).toMatchObject({
      kind: "rate_limited",
      status: 429,
      retryAfter: 3,
      message: "Clerk kept answering 429 (rate limited) 2 times in a row.",
    });
  });

  it("tolerates exactly the policy's number of 429s in a row", async () => {
    const { policy, waits } = recording({ maxRateLimitWaits: 2 });
    const clerk = scripted([rateLimited(1), rateLimited(2)]);
    await expect(callClerkWithRetry(clerk.call, { policy })).resolves.toBe("page");
    expect(waits).toEqual([1000, 2000]);
  });

  it("when Clerk asks for a longer wait than a run takes, at once and for good", async () => {
    const { policy, waits } = recording();
    const clerk = scripted([rateLimited(1200)]);
    const outcome = await callClerkWithRetry(clerk.call, { policy }).catch((error: unknown) => error);
    expect(clerk.calls).toBe(1);
    expect(waits).toEqual([]);
    expect(outcome).toBeInstanceOf(ClerkError);
    expect(outcome).toMatchObject({
      kind: "rate_limited",
      retryable: false,
      retryAfter: 1200,
      message:
        "Clerk asked to wait 1,200 s before the next request (Retry-After), more than the 10 minutes a run waits.",
    });
  });

  it("but waits a Retry-After of exactly the longest a run waits", async () => {
    const { policy, waits } = recording();
    const clerk = scripted([rateLimited(600)]);
    await expect(callClerkWithRetry(clerk.call, { policy })).resolves.toBe("page");
    expect(waits).toEqual([600_000]);
  });

  it("aborts a request Clerk does not answer within the policy's timeout, and counts it as a failed attempt", async () => {
    vi.useFakeTimers();
    const { policy } = recording({ maxAttempts: 1, requestTimeoutMs: 50 });
    let reason: unknown;
    const hung = (signal: AbortSignal) =>
      new Promise<string>((_, reject) =>
        signal.addEventListener("abort", () => {
          reason = signal.reason;
          reject(signal.reason as Error);
        }),
      );
    const outcome = callClerkWithRetry(hung, { policy }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(49);
    expect(reason).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(reason).toMatchObject({ kind: "timeout" });
    expect(await outcome).toMatchObject({
      kind: "timeout",
      retryable: true,
      message: "Clerk did not answer within 0.05 s. (gave up after 1 attempts)",
    });
  });

  it("leaves no timer and no listener behind on the run's signal once its calls are done", async () => {
    vi.useFakeTimers();
    const run = new AbortController();
    const { policy } = recording({ backoffMs: () => 5 });
    const limiter = new RequestRateLimiter({ requestsPerSecond: 1000, burst: 10 });
    for (let i = 0; i < 3; i++) {
      const clerk = scripted([serverError()]);
      await expect(callClerkWithRetry(clerk.call, { policy, limiter, signal: run.signal })).resolves.toBe("page");
    }
    expect(getEventListeners(run.signal, "abort")).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("a run that is over", () => {
  it("ends a call that waits for its backoff at once, with an error saying the run was over", async () => {
    const run = new AbortController();
    const { policy } = recording({ sleep: never, backoffMs: () => 1000 });
    const clerk = scripted([serverError()]);
    const outcome = callClerkWithRetry(clerk.call, { policy, signal: run.signal }).catch((error: unknown) => error);
    await vi.waitFor(() => expect(clerk.calls).toBe(1));
    run.abort(new Error("stopped"));
    const error = await outcome;
    expect(error).toBeInstanceOf(ClerkError);
    expect(error).toMatchObject({
      kind: "unavailable",
      status: null,
      retryable: false,
      retryAfter: null,
      message: "The run was over before this call to Clerk.",
    });
    expect(clerk.calls).toBe(1);
  });

  it("sends nothing when it is over before the call, even if the limiter would make it wait", async () => {
    const run = new AbortController();
    run.abort(new Error("stopped"));
    const limiter = new RequestRateLimiter({ requestsPerSecond: 1, burst: 1 });
    limiter.pause(3_600_000);
    const clerk = scripted([]);
    const outcome = await callClerkWithRetry(clerk.call, { limiter, signal: run.signal }).catch((e: unknown) => e);
    expect(clerk.calls).toBe(0);
    expect(outcome).toMatchObject({ kind: "unavailable", retryable: false });
  });

  it("aborts the call in flight with the run's reason and does not ask again", async () => {
    const run = new AbortController();
    const reason = new Error("the run is over");
    let calls = 0;
    const inFlight = (signal: AbortSignal) => {
      calls++;
      return new Promise<string>((_, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true }),
      );
    };
    const { policy, waits } = recording();
    const outcome = callClerkWithRetry(inFlight, { policy, signal: run.signal }).catch((error: unknown) => error);
    await vi.waitFor(() => expect(calls).toBe(1));
    run.abort(reason);
    expect(await outcome).toBe(reason);
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });
});

describe("the default sleep", () => {
  it("resolves after the given milliseconds and not before", async () => {
    vi.useFakeTimers();
    let done = false;
    const slept = sleep(1000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await slept;
    expect(done).toBe(true);
  });
});
