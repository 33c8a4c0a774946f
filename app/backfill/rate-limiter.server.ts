/**
 * The client side of Clerk's Backend API rate limit. Clerk counts requests per
 * instance (per secret key): 1,000 per 10 s on production instances, 100 per
 * 10 s on development ones (https://clerk.com/docs/guides/how-clerk-works/system-limits).
 * A token bucket here keeps a backfill just under that, so it never provokes a
 * 429; the retry policy still waits out any 429 that comes (another process on
 * the same key, a smaller limit than documented).
 */

export interface ClerkRateLimit {
  kind: "production" | "development" | "custom";
  requests: number;
  windowSeconds: number;
}

export const PRODUCTION_RATE_LIMIT: ClerkRateLimit = { kind: "production", requests: 1000, windowSeconds: 10 };
export const DEVELOPMENT_RATE_LIMIT: ClerkRateLimit = { kind: "development", requests: 100, windowSeconds: 10 };

/** `sk_live_` keys belong to production instances, `sk_test_` keys to development ones. */
export function rateLimitForSecretKey(secretKey: string): ClerkRateLimit {
  return secretKey.startsWith("sk_live_") ? PRODUCTION_RATE_LIMIT : DEVELOPMENT_RATE_LIMIT;
}

export interface LimiterSettings {
  requestsPerSecond: number;
  burst: number;
}

/**
 * 98 % of the limit as a steady rate, and the other 2 % as a burst: then no
 * window of `windowSeconds` ever holds more than `requests`, whether Clerk
 * counts in fixed windows, sliding windows or a bucket.
 */
export function limiterSettingsFor(limit: ClerkRateLimit): LimiterSettings {
  const perSecond = limit.requests / limit.windowSeconds;
  return { requestsPerSecond: perSecond * 0.98, burst: Math.max(1, Math.floor(limit.requests * 0.02)) };
}

/** `--rate N`: N requests a second, with a fifth of a second's worth as burst. */
export function limiterSettingsForRate(requestsPerSecond: number): LimiterSettings {
  return { requestsPerSecond, burst: Math.max(1, Math.floor(requestsPerSecond / 5)) };
}

/** The longest delay setTimeout takes as given (2^31 - 1 ms, 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A FIFO token bucket: `acquire()` resolves when a request may go out. */
export class RequestRateLimiter {
  private tokens: number;
  private refilledAt: number;
  private pausedUntil = 0;
  private readonly waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Requests let through so far. */
  granted = 0;

  constructor(
    readonly settings: LimiterSettings,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.tokens = settings.burst;
    this.refilledAt = clock();
  }

  acquire(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.release();
    });
  }

  /** After a 429: nobody goes out until Retry-After has passed, and the bucket starts empty. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock() + ms);
    this.tokens = 0;
    this.refilledAt = this.pausedUntil;
  }

  private release(): void {
    if (this.timer) return;
    const now = this.clock();
    if (now > this.refilledAt) {
      const earned = ((now - this.refilledAt) / 1000) * this.settings.requestsPerSecond;
      this.tokens = Math.min(this.settings.burst, this.tokens + earned);
      this.refilledAt = now;
    }
    while (this.waiting.length > 0 && this.tokens >= 1 && now >= this.pausedUntil) {
      this.tokens -= 1;
      this.granted++;
      this.waiting.shift()!();
    }
    if (this.waiting.length === 0) return;
    const waitMs =
      now < this.pausedUntil ? this.pausedUntil - now : ((1 - this.tokens) / this.settings.requestsPerSecond) * 1000;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.release();
      },
      // A very low --rate would overflow the timer (Node then fires it at once): wake up and recompute instead.
      Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(waitMs))),
    );
  }
}
