import { describe, expect, it } from "vitest";
import {
  DEVELOPMENT_RATE_LIMIT,
  limiterSettingsFor,
  PRODUCTION_RATE_LIMIT,
  rateLimitForSecretKey,
  RequestRateLimiter,
} from "~/backfill/rate-limiter.server";
import { defaultConcurrency } from "~/backfill/range-walk.server";

describe("the backfill's client-side rate limiter", () => {
  it("takes Clerk's documented limits from the kind of secret key: sk_live_ production, sk_test_ development", () => {
    expect(rateLimitForSecretKey("sk_live_abcdefgh12345678")).toEqual({
      kind: "production",
      requests: 1000,
      windowSeconds: 10,
    });
    expect(rateLimitForSecretKey("sk_test_abcdefgh12345678")).toEqual({
      kind: "development",
      requests: 100,
      windowSeconds: 10,
    });
    expect(defaultConcurrency(limiterSettingsFor(PRODUCTION_RATE_LIMIT))).toBe(40);
    expect(defaultConcurrency(limiterSettingsFor(DEVELOPMENT_RATE_LIMIT))).toBe(4);
  });

  it("never lets more than Clerk's allowance into any window, however requests are counted", () => {
    for (const limit of [PRODUCTION_RATE_LIMIT, DEVELOPMENT_RATE_LIMIT]) {
      const { requestsPerSecond, burst } = limiterSettingsFor(limit);
      // The most a token bucket lets through in a window: its burst plus what it earns meanwhile.
      expect(burst + requestsPerSecond * limit.windowSeconds).toBeLessThanOrEqual(limit.requests);
      expect(requestsPerSecond * limit.windowSeconds).toBeGreaterThanOrEqual(limit.requests * 0.97);
    }
  });

  it("lets requests out in order, a burst at once and the rest as tokens are earned; a 429 pauses everyone", async () => {
    let now = 0;
    const limiter = new RequestRateLimiter({ requestsPerSecond: 1000, burst: 2 }, () => now);
    const order: number[] = [];
    const all = Array.from({ length: 5 }, (_, i) => limiter.acquire().then(() => order.push(i)));
    await Promise.resolve();
    expect(order).toEqual([0, 1]);
    // The clock is frozen: no token is earned, whatever the timers do.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual([0, 1]);
    now = 2; // two tokens earned at 1,000/s: the bucket holds no more than its burst
    await Promise.all(all.slice(0, 4));
    expect(order).toEqual([0, 1, 2, 3]);
    now = 3;
    await all[4];
    expect(order).toEqual([0, 1, 2, 3, 4]);

    limiter.pause(1000);
    now = 500;
    let released = false;
    const afterPause = limiter.acquire().then(() => (released = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(released).toBe(false);
    now = 1004; // past the pause, and a token earned since
    await afterPause;
    expect(limiter.granted).toBe(6);
  });

  it("keeps an earlier, longer pause when a later, shorter 429 arrives", async () => {
    let now = 0;
    const limiter = new RequestRateLimiter({ requestsPerSecond: 1000, burst: 5 }, () => now);
    limiter.pause(5000);
    now = 100;
    limiter.pause(1000); // would end at 1,100: the first pause, to 5,000, still holds
    now = 4990;
    let released = false;
    const waiting = limiter.acquire().then(() => (released = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(released).toBe(false);
    now = 5002; // past the first pause, and a token earned since
    await waiting;
    expect(released).toBe(true);
  });
});
