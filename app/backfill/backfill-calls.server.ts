import { setMaxListeners } from "node:events";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { RequestRateLimiter, type LimiterSettings } from "./rate-limiter.server";
import { callClerkWithRetry, type ClerkCallOptions, type RetryEvent, type RetryPolicy } from "./retry.server";
import { ClerkUserListStream, type ClerkApiAccess } from "./user-list-stream.server";
import {
  clerkIdsStillPresent,
  countClerkUsers,
  CURSOR_GONE,
  listClerkUsers,
  type UserPageQuery,
} from "./user-pages.server";

/**
 * Every request of one backfill run: each waits for its turn at the rate
 * limiter and is retried by the policy; when the run ends (finished or
 * failed), those still out are abandoned at once, and `close()` returns only
 * when they have settled, so nothing of the run reaches Clerk afterwards.
 * `sync:all` hands one limiter to the calls of every kind it walks (users,
 * organizations, memberships): Clerk counts them all against one limit.
 */
export class BackfillCalls {
  private readonly limiter: RequestRateLimiter;
  private readonly runOver = new AbortController();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly reader: ClerkUserListStream;
  private readonly options: ClerkCallOptions;

  constructor(
    clerk: ClerkApiAccess,
    settings: {
      limiter: LimiterSettings | RequestRateLimiter;
      retry: RetryPolicy;
      concurrency: number;
      onRetry(event: RetryEvent): void;
    },
  ) {
    this.limiter =
      settings.limiter instanceof RequestRateLimiter ? settings.limiter : new RequestRateLimiter(settings.limiter);
    this.reader = new ClerkUserListStream(clerk);
    // Every call in flight listens for the end of the run: a range's page, plus the first three and a retry or two.
    setMaxListeners(settings.concurrency + 10, this.runOver.signal);
    this.options = {
      policy: settings.retry,
      limiter: this.limiter,
      signal: this.runOver.signal,
      onRetry: settings.onRetry,
    };
  }

  page(query: UserPageQuery): Promise<ClerkUserFields[] | typeof CURSOR_GONE> {
    return this.track(listClerkUsers(this.reader, query, this.options));
  }

  count(): Promise<number> {
    return this.track(countClerkUsers(this.reader, this.options));
  }

  stillPresent(clerkIds: readonly string[]): Promise<Set<string>> {
    return this.track(clerkIdsStillPresent(this.reader, clerkIds, this.options));
  }

  /**
   * Any other request of the run (the organization and membership lists): `attempt` is one try, and must settle
   * when its signal aborts.
   */
  call<T>(attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.track(callClerkWithRetry(attempt, this.options));
  }

  /** The run is over: abandons what is still out, and resolves once all of it has settled. */
  async close(): Promise<void> {
    this.runOver.abort();
    this.reader.close();
    await Promise.allSettled(this.inFlight);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    const settled = () => this.inFlight.delete(promise);
    promise.then(settled, settled);
    return promise;
  }
}
