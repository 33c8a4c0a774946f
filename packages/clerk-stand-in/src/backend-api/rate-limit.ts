import type { MiddlewareHandler } from "hono";
import { clerkErrorBody } from "../errors.js";
import { sendJson, type StandInEnv } from "../http-util.js";

/**
 * Clerk's Backend API rate limit, per instance, i.e. per secret key: 1,000
 * requests per 10 s on production instances, 100 per 10 s on development ones
 * (Clerk docs, "Rate limits"; the JWKS endpoint is not limited). Over the limit
 * Clerk answers 429 with `Retry-After` in seconds. Modelled as a token bucket
 * that holds one window's allowance and refills at the window's average rate.
 */

export interface RateLimit {
  requests: number;
  windowSeconds: number;
}

export const CLERK_RATE_LIMITS = {
  production: { requests: 1000, windowSeconds: 10 },
  development: { requests: 100, windowSeconds: 10 },
} as const satisfies Record<string, RateLimit>;

export type RateLimitSetting = keyof typeof CLERK_RATE_LIMITS | RateLimit;

export function resolveRateLimit(setting: RateLimitSetting): RateLimit {
  return typeof setting === "string" ? CLERK_RATE_LIMITS[setting] : setting;
}

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class BackendApiRateLimit {
  readonly limit: RateLimit;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** Requests answered 429 so far. */
  rejected = 0;

  constructor(
    setting: RateLimitSetting,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.limit = resolveRateLimit(setting);
  }

  private get perMs(): number {
    return this.limit.requests / (this.limit.windowSeconds * 1000);
  }

  take(secretKey: string): RateLimitDecision {
    const now = this.clock();
    const bucket = this.buckets.get(secretKey) ?? { tokens: this.limit.requests, at: now };
    bucket.tokens = Math.min(this.limit.requests, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    this.buckets.set(secretKey, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    this.rejected++;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)) };
  }

  reset(): void {
    this.buckets.clear();
    this.rejected = 0;
  }
}

/** Clerk's 429: its error body and the whole seconds to wait in `Retry-After`. */
export function tooManyRequests(retryAfterSeconds: number) {
  return {
    status: 429 as const,
    headers: { "Retry-After": String(retryAfterSeconds) },
    body: clerkErrorBody("too_many_requests", "Too many requests", "Too many requests, please retry later"),
  };
}

/** Hono middleware, after authentication: counts the request against its secret key's bucket. */
export function rateLimitMiddleware(limit: BackendApiRateLimit): MiddlewareHandler<StandInEnv> {
  return async (c, next) => {
    const token = (c.req.header("authorization") ?? "").replace(/^Bearer\s+/, "").trim();
    const decision = limit.take(token);
    if (!decision.allowed) {
      const answer = tooManyRequests(decision.retryAfterSeconds);
      return sendJson(c, answer.status, answer.body, answer.headers);
    }
    await next();
  };
}
