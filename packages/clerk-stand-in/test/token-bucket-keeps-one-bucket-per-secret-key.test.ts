import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { BackendApiRateLimit, rateLimitMiddleware } from "../src/backend-api/rate-limit.js";
import type { StandInEnv } from "../src/http-util.js";

/**
 * The Backend API's rate limit as middleware, on a clock the test moves: each
 * secret key has its own bucket, the 429 is Clerk's, and reset() forgets all.
 */

function limited(requests: number) {
  let now = 0;
  const limit = new BackendApiRateLimit({ requests, windowSeconds: 10 }, () => now);
  const call = async (authorization: string) => {
    const app = new Hono<StandInEnv>();
    app.use(rateLimitMiddleware(limit));
    app.all("*", (c) => c.json({ passed: true }));
    const response = await app.request("http://localhost:4010/v1/users", { headers: { authorization } });
    return { status: response.status, retryAfter: response.headers.get("retry-after"), body: await response.json() };
  };
  return { limit, call, advance: (ms: number) => (now += ms) };
}

describe("the Backend API's rate limit, per secret key", () => {
  it("answers Clerk's 429 with Retry-After once a key's bucket is empty", async () => {
    const { call } = limited(2);
    expect((await call("Bearer sk_test_one")).status).toBe(200);
    expect((await call("Bearer sk_test_one")).status).toBe(200);
    expect(await call("Bearer sk_test_one")).toEqual({
      status: 429,
      retryAfter: "5",
      body: {
        errors: [
          {
            code: "too_many_requests",
            message: "Too many requests",
            long_message: "Too many requests, please retry later",
            meta: {},
          },
        ],
        clerk_trace_id: expect.any(String),
      },
    });
  });

  it("keeps one bucket per key: another key is not slowed by the first", async () => {
    const { call } = limited(1);
    expect((await call("Bearer sk_test_one")).status).toBe(200);
    expect((await call("Bearer sk_test_one")).status).toBe(429);
    expect((await call("Bearer sk_test_two")).status).toBe(200);
  });

  it("counts a key against its bucket however many spaces follow `Bearer`", async () => {
    const { call } = limited(1);
    expect((await call("Bearer sk_test_one")).status).toBe(200);
    expect((await call("Bearer    sk_test_one")).status).toBe(429);
  });

  it("forgets every bucket and the 429 count on reset", async () => {
    const { limit, call } = limited(1);
    await call("Bearer sk_test_one");
    await call("Bearer sk_test_one");
    expect(limit.rejected).toBe(1);
    limit.reset();
    expect(limit.rejected).toBe(0);
    expect((await call("Bearer sk_test_one")).status).toBe(200);
  });

  it("refills a bucket at the window's average rate, never past its size", async () => {
    const { call, advance } = limited(2);
    expect((await call("Bearer sk_test_one")).status).toBe(200);
    advance(60_000);
    for (const expected of [200, 200, 429]) expect((await call("Bearer sk_test_one")).status).toBe(expected);
    advance(5_000);
    for (const expected of [200, 429]) expect((await call("Bearer sk_test_one")).status).toBe(expected);
  });
});
