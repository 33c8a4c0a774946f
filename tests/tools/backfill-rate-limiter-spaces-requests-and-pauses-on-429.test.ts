import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { limiterSettingsForRate, RequestRateLimiter } from "~/backfill/rate-limiter.server";

/**
 * How the backfill's limiter (app/backfill/rate-limiter.server.ts) spaces requests: it sleeps exactly until the
 * next token or the end of a 429's pause, with one timer at a time, instead of polling.
 */

let now = 0;
const clock = () => now;
let delays: number[] = [];

beforeEach(() => {
  now = 0;
  delays = [];
  vi.useFakeTimers();
  const fakeSetTimeout = globalThis.setTimeout;
  vi.spyOn(globalThis, "setTimeout").mockImplementation(((handler: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return fakeSetTimeout(handler, ms);
  }) as typeof setTimeout);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

/** Moves the limiter's clock and the timers together. */
async function advance(ms: number) {
  now += ms;
  await vi.advanceTimersByTimeAsync(ms);
}

function track(limiter: RequestRateLimiter, count: number) {
  const released: number[] = [];
  for (let i = 0; i < count; i++) void limiter.acquire().then(() => released.push(i));
  return released;
}

describe("the limiter for --rate N", () => {
  it("allows N requests a second with a fifth of a second's worth, and at least one, as burst", () => {
    expect(limiterSettingsForRate(50)).toEqual({ requestsPerSecond: 50, burst: 10 });
    expect(limiterSettingsForRate(3)).toEqual({ requestsPerSecond: 3, burst: 1 });
  });
});

describe("the limiter's spacing", () => {
  it("sleeps exactly until the next token is earned, one timer for all the waiting requests", async () => {
    const limiter = new RequestRateLimiter({ requestsPerSecond: 10, burst: 1 }, clock);
    const released = track(limiter, 3);
    await vi.advanceTimersByTimeAsync(0);
    expect(released).toEqual([0]);
    expect(delays).toEqual([100]);
    expect(vi.getTimerCount()).toBe(1);

    await advance(99);
    expect(released).toEqual([0]);
    await advance(1);
    expect(released).toEqual([0, 1]);
    expect(delays).toEqual([100, 100]);
    await advance(100);
    expect(released).toEqual([0, 1, 2]);
    expect(delays).toEqual([100, 100]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("counts a part-earned token: it sleeps only for the rest of it", async () => {
    const limiter = new RequestRateLimiter({ requestsPerSecond: 4, burst: 1 }, clock);
    const first = track(limiter, 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(first).toEqual([0]);
    now = 100; // 0.4 of a token earned at 4/s: the rest takes 150 ms
    const second = track(limiter, 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(second).toEqual([]);
    expect(delays).toEqual([150]);
  });
});

describe("the limiter after a 429", () => {
  it("sleeps until the pause is over, then until the first token after it", async () => {
    const limiter = new RequestRateLimiter({ requestsPerSecond: 10, burst: 1 }, clock);
    limiter.pause(2000);
    now = 500;
    const released = track(limiter, 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(delays).toEqual([1500]);
    await advance(1500);
    // The bucket starts empty when the pause ends: one token's time more.
    expect(released).toEqual([]);
    expect(delays).toEqual([1500, 100]);
    await advance(99);
    expect(released).toEqual([]);
    await advance(1);
    expect(released).toEqual([0]);
    expect(limiter.granted).toBe(1);
  });

  it("keeps the longer pause when a shorter 429 comes later", async () => {
    const limiter = new RequestRateLimiter({ requestsPerSecond: 10, burst: 1 }, clock);
    limiter.pause(5000);
    now = 1000;
    limiter.pause(1000);
    const released = track(limiter, 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(delays).toEqual([4000]);
    await advance(4099);
    expect(released).toEqual([]);
    await advance(1);
    expect(released).toEqual([0]);
  });

  it("asked at the very end of a pause, sleeps for one token", async () => {
    const limiter = new RequestRateLimiter({ requestsPerSecond: 10, burst: 1 }, clock);
    limiter.pause(1000);
    now = 1000;
    const released = track(limiter, 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(released).toEqual([]);
    expect(delays).toEqual([100]);
  });
});
