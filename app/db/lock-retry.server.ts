import { setTimeout as sleep } from "node:timers/promises";
import { log } from "~/logger.server";

/**
 * better-sqlite3 waits out `busy_timeout` synchronously, on the event loop: while
 * another process holds the write lock, one waiting webhook would stall every
 * other request. So the server's connection waits only a few milliseconds inside
 * SQLite (REQUEST_PATH_BUSY_TIMEOUT_MS) and the rest of the configured budget is
 * waited here, between attempts, where other requests can run.
 */

/** What SQLite may spend waiting for a lock on the event loop, per attempt. */
export const REQUEST_PATH_BUSY_TIMEOUT_MS = 10;

const FIRST_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 100;

export class DatabaseBusyError extends Error {
  override name = "DatabaseBusyError";
  constructor(readonly waitedMs: number) {
    super(`The database stayed locked by another connection for ${waitedMs} ms.`);
  }
}

/** SQLITE_BUSY (and its extended codes), also when Drizzle wraps it in its own error. */
export function isDatabaseBusy(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_BUSY")) return true;
  }
  return false;
}

export interface LockRetryOptions {
  /** The whole wait, SQLITE_BUSY_TIMEOUT_MS. */
  totalMs: number;
  /** For the log line only. */
  label: string;
}

/**
 * Runs `attempt` (a synchronous transaction) until it gets the lock, yielding to
 * the event loop between attempts with a growing backoff. Throws
 * DatabaseBusyError once `totalMs` is spent; the caller answers 503 + Retry-After.
 * Only safe for work that SQLite rolled back when it said busy, which is every
 * transaction: BEGIN IMMEDIATE fails before anything is written.
 */
export async function withLockRetry<T>(attempt: () => T, options: LockRetryOptions): Promise<T> {
  const started = performance.now();
  let backoff = FIRST_BACKOFF_MS;
  for (let tries = 1; ; tries++) {
    try {
      return attempt();
    } catch (error) {
      if (!isDatabaseBusy(error)) throw error;
      const waited = performance.now() - started;
      const remaining = options.totalMs - waited;
      if (remaining <= 0) throw new DatabaseBusyError(Math.round(waited));
      if (tries === 1) log.debug("database_busy", { label: options.label });
      await sleep(Math.min(backoff * (0.5 + Math.random()), remaining));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }
}
