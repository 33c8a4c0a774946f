import { describe, expect, test } from "vitest";
import { latencyDelayMs, parseLatency } from "../src/backend-api/latency.js";
import { BackendApiRateLimit, CLERK_RATE_LIMITS, tooManyRequests } from "../src/backend-api/rate-limit.js";
import { bapiSpec } from "./support/openapi-schemas.js";

describe("Backend API latency", () => {
  test("parses `150ms±50` and its spellings; the jitter spreads answers evenly around the fixed part", () => {
    expect(parseLatency("150ms±50")).toEqual({ fixedMs: 150, jitterMs: 50 });
    expect(parseLatency("150±50ms")).toEqual({ fixedMs: 150, jitterMs: 50 });
    expect(parseLatency("150ms+-50")).toEqual({ fixedMs: 150, jitterMs: 50 });
    expect(parseLatency("80")).toEqual({ fixedMs: 80, jitterMs: 0 });
    expect(() => parseLatency("fast")).toThrow(/150ms±50/);
    expect(() => parseLatency("10±20")).toThrow(/cannot exceed/);
    const latency = { fixedMs: 150, jitterMs: 50 };
    expect([0, 0.5, 1].map((r) => latencyDelayMs(latency, () => r))).toEqual([100, 150, 200]);
  });
});

describe("Backend API rate limit (a token bucket per secret key, Clerk's figures)", () => {
  test("production allows 1,000 requests per 10 s, development 100", () => {
    expect(CLERK_RATE_LIMITS.production).toEqual({ requests: 1000, windowSeconds: 10 });
    expect(CLERK_RATE_LIMITS.development).toEqual({ requests: 100, windowSeconds: 10 });
  });

  test("answers 429 past the allowance, with Retry-After in whole seconds until a request is allowed again", () => {
    let now = 0;
    const limit = new BackendApiRateLimit("development", () => now);
    for (let i = 0; i < 100; i++) expect(limit.take("sk_test_a")).toEqual({ allowed: true });
    expect(limit.take("sk_test_a")).toEqual({ allowed: false, retryAfterSeconds: 1 });
    // Another instance's key has its own bucket.
    expect(limit.take("sk_test_b")).toEqual({ allowed: true });
    now = 100; // 10 requests/s: one token per 100 ms
    expect(limit.take("sk_test_a")).toEqual({ allowed: true });
    expect(limit.take("sk_test_a")).toMatchObject({ allowed: false });
    now = 10_100;
    for (let i = 0; i < 100; i++) expect(limit.take("sk_test_a").allowed).toBe(true);
    expect(limit.rejected).toBe(2);

    const slow = new BackendApiRateLimit({ requests: 1, windowSeconds: 30 }, () => 0);
    slow.take("k");
    expect(slow.take("k")).toEqual({ allowed: false, retryAfterSeconds: 30 });
  });

  test("the 429 has Clerk's error body, as the OpenAPI document describes it", () => {
    const answer = tooManyRequests(3);
    expect(answer.headers).toEqual({ "Retry-After": "3" });
    expect(answer.body.errors[0]).toMatchObject({ code: "too_many_requests" });
    bapiSpec().assertSchema("ClerkErrors", answer.body);
  });
});
