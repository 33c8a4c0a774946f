import { afterEach, describe, expect, it, vi } from "vitest";
import { clerkErrorFromAnswer } from "~/clerk/clerk-errors.server";
import { callClerkWithRetry, exponentialBackoffMs } from "~/backfill/retry.server";
import { rateLimited, recording, scripted, serverError } from "./scripted-calls";

/**
 * How the backfill asks Clerk again (app/backfill/retry.server.ts), on a call
 * whose answers the test scripts: the backoff after each failure, and which
 * answers use up an attempt.
 */

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the backfill's retries", () => {
  it("doubles the backoff after each failure, from 1 s up to 30 s, with ±25 % jitter", () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    expect([1, 2, 3, 4, 5, 6, 7].map(exponentialBackoffMs)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    vi.spyOn(Math, "random").mockReturnValue(0);
    expect(exponentialBackoffMs(3)).toBe(3000);
    vi.spyOn(Math, "random").mockReturnValue(0.999_999);
    expect(exponentialBackoffMs(3)).toBe(5000);
  });

  it("waits the doubling backoff between attempts of a failing call, then gives up after the last", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const { policy, waits, events, onRetry } = recording({ maxAttempts: 4 });
    const clerk = scripted([serverError(), serverError(), serverError(), serverError()]);
    const outcome = await callClerkWithRetry(clerk.call, { policy, onRetry }).catch((error: unknown) => error);
    expect(waits).toEqual([1000, 2000, 4000]);
    expect(events.map((event) => event.kind === "retrying" && event.attempt)).toEqual([1, 2, 3]);
    expect(clerk.calls).toBe(4);
    expect(outcome).toMatchObject({
      status: 500,
      retryable: true,
      message: "Clerk answered with an error (HTTP 500). (gave up after 4 attempts)",
    });
  });

  it("does not count a 429 as an attempt: it waits Retry-After and the failures around it keep their count", async () => {
    const { policy, waits, onRetry } = recording({ maxAttempts: 2, backoffMs: () => 7 });
    // Two failures would exhaust two attempts; the 429s between them must not.
    const clerk = scripted([rateLimited(3), rateLimited(1), serverError(), rateLimited(2)]);
    await expect(callClerkWithRetry(clerk.call, { policy, onRetry })).resolves.toBe("page");
    expect(waits).toEqual([3000, 1000, 7, 2000]);
    expect(clerk.calls).toBe(5);

    const exhausted = recording({ maxAttempts: 2, backoffMs: () => 7 });
    const twoFailures = scripted([serverError(), rateLimited(1), serverError()]);
    await expect(callClerkWithRetry(twoFailures.call, { policy: exhausted.policy })).rejects.toMatchObject({
      message: "Clerk answered with an error (HTTP 500). (gave up after 2 attempts)",
    });
  });

  it("stops at once on an answer that asking again would not change, with Clerk's words and a hint", async () => {
    const { policy, waits } = recording();
    const badKey = clerkErrorFromAnswer(
      401,
      [{ code: "authentication_invalid", message: "Invalid", longMessage: "The secret key is invalid." }],
      undefined,
    );
    const clerk = scripted([badKey]);
    await expect(callClerkWithRetry(clerk.call, { policy })).rejects.toMatchObject({
      kind: "unavailable",
      status: 401,
      retryable: false,
      message:
        "Clerk answered with an error (HTTP 401). The secret key is invalid. Check CLERK_SECRET_KEY (Clerk's dashboard → API keys).",
    });
    expect(waits).toEqual([]);
    expect(clerk.calls).toBe(1);
  });
});
