import { createClerkClient } from "@clerk/backend";
import { describe, expect, test } from "vitest";
import { latencyDelayMs, parseLatency } from "../src/backend-api/latency.js";
import { BackendApiRateLimit, CLERK_RATE_LIMITS, tooManyRequests } from "../src/backend-api/rate-limit.js";
import { startClerkStandIn } from "../src/index.js";
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

describe("a stand-in started with latency and a rate limit", () => {
  test("the real @clerk/backend client gets Clerk's 429 with retryAfter past the limit; the JWKS is not limited", async () => {
    const standIn = await startClerkStandIn({ port: 0, rateLimit: { requests: 5, windowSeconds: 10 } });
    try {
      const clerk = createClerkClient({ secretKey: standIn.keys.secretKey, apiUrl: standIn.url });
      for (let i = 0; i < 5; i++) await clerk.users.getCount();
      const error = (await clerk.users.getUserList().then(
        () => expect.unreachable("the sixth request should be limited"),
        (e: unknown) => e,
      )) as { status: number; retryAfter?: number; errors: { code: string }[] };
      expect(error.constructor.name).toBe("ClerkAPIResponseError");
      expect(error).toMatchObject({ status: 429, errors: [{ code: "too_many_requests" }] });
      // The wait for the next token, which comes every 2 s: 2 s, or 1 s once a second has passed since the five.
      expect([1, 2]).toContain(error.retryAfter);

      const raw = await fetch(`${standIn.url}/v1/users`, {
        headers: { authorization: `Bearer ${standIn.keys.secretKey}` },
      });
      expect(raw.status).toBe(429);
      expect(["1", "2"]).toContain(raw.headers.get("retry-after"));
      bapiSpec().assertResponse("GET", "/users", 400, await raw.json());
      expect(
        (await fetch(`${standIn.url}/v1/jwks`, { headers: { authorization: `Bearer ${standIn.keys.secretKey}` } }))
          .status,
      ).toBe(200);
      // getUserList sends two requests (the list and its count), both refused; then the raw one.
      expect(standIn.rateLimit?.rejected).toBe(3);
    } finally {
      await standIn.close();
    }
  });

  test("Backend API answers wait out the latency; the control API does not", async () => {
    // Long enough that the control API's answer comes first however loaded the machine.
    const standIn = await startClerkStandIn({ port: 0, latency: "3000ms±0" });
    try {
      const order: string[] = [];
      const listed = fetch(`${standIn.url}/v1/users`, {
        headers: { authorization: `Bearer ${standIn.keys.secretKey}` },
      }).then((r) => {
        order.push(`backend api ${r.status}`);
      });
      const control = fetch(`${standIn.url}/_control/config`, {
        headers: { authorization: `Bearer ${standIn.controlToken}` },
      }).then((r) => {
        order.push(`control ${r.status}`);
      });
      await Promise.all([listed, control]);
      expect(order).toEqual(["control 200", "backend api 200"]);
    } finally {
      await standIn.close();
    }
  });
});
