import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { ClerkApiAccess } from "~/backfill/user-list-stream.server";
import { clerkUserSchema, clerkUserToRow } from "~/clerk/clerk-user";
import { isNull } from "drizzle-orm";
import type { AppDatabase } from "~/db/db.server";
import { users } from "~/db/schema";
import { CLERK_COLUMNS } from "~/db/user-writer.server";
import type { ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import type { LimiterSettings } from "~/backfill/rate-limiter.server";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "~/backfill/retry.server";

/** A stand-in's URL and key, as `sync:all` reads them from CLERK_API_URL and CLERK_SECRET_KEY. */
export function clerkFor(standIn: ClerkStandIn): ClerkApiAccess {
  const env = standIn.env();
  return { secretKey: env.CLERK_SECRET_KEY, apiUrl: env.CLERK_API_URL };
}

/**
 * The stand-in's Backend API behind a proxy that may answer a request itself: `answer` returns the body to
 * send in place of the stand-in's (as 200 JSON), or undefined to pass the stand-in's answer on. `clerk` is what
 * a run is given to reach the stand-in through it.
 */
export async function answeringInFrontOf(standIn: ClerkStandIn, answer: (url: URL) => string | undefined) {
  const upstream = clerkFor(standIn);
  const proxy = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", upstream.apiUrl);
      const own = answer(url);
      if (own !== undefined) {
        res.writeHead(200, { "content-type": "application/json" }).end(own);
        return;
      }
      const passed = await fetch(url, { headers: { authorization: req.headers.authorization ?? "" } });
      res.writeHead(passed.status, { "content-type": "application/json" }).end(await passed.text());
    })();
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    clerk: { ...upstream, apiUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` } as ClerkApiAccess,
    async close() {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

/** Real waits for Retry-After (the tests use 1 s), near-instant backoff; every wait is recorded. */
export function recordingRetryPolicy(overrides: Partial<RetryPolicy> = {}) {
  const waits: number[] = [];
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY_POLICY,
    backoffMs: () => 5,
    sleep: (ms) => {
      waits.push(ms);
      return new Promise((resolve) => setTimeout(resolve, ms));
    },
    ...overrides,
  };
  return { policy, waits };
}

/** Every user in the stand-in, as the columns the app stores, by Clerk id. */
export function clerkUsersAsRows(standIn: ClerkStandIn) {
  const all = standIn.store.list(
    { limit: Math.max(standIn.store.size, 1), order_by: "+created_at" },
    { maxLimit: Number.MAX_SAFE_INTEGER },
  );
  return new Map(all.map((json) => [json.id, clerkUserToRow(clerkUserSchema.parse(json))]));
}

/** Every live user in SQLite, as the columns clerkUserToRow fills (all of Clerk's, so a new one is compared too). */
export function liveRows(db: AppDatabase) {
  const rows = db.select().from(users).where(isNull(users.deletedAt)).all();
  return new Map(
    rows.map((row) => [row.clerkId, Object.fromEntries(CLERK_COLUMNS.map((column) => [column, row[column]]))]),
  );
}

export function tableSnapshot(db: AppDatabase): string {
  return JSON.stringify(db.$client.prepare("select * from users order by id").all());
}

/** Backend API requests the stand-in receives, from now until `stop()`. */
export function countBackendRequests(standIn: ClerkStandIn) {
  let received = 0;
  const stop = standIn.observeBackendApi((event) => {
    if (event.phase === "received") received++;
  });
  return {
    get received() {
      return received;
    },
    stop,
  };
}

/** Far above the stand-in's speed: the tests that are not about the rate limit do not wait for it. */
export const UNLIMITED: LimiterSettings = { requestsPerSecond: 10_000, burst: 1_000 };
