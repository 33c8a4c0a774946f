import { setTimeout as sleep } from "node:timers/promises";
import { log } from "~/logger.server";

/**
 * better-sqlite3 waits out `busy_timeout` synchronously, on the event loop, so
 * the server's connection has none (db.server.ts): a transaction that finds the
 * write lock held elsewhere fails at once, and the waiting happens here, where
 * other requests run meanwhile.
 *
 * Writers that found the lock held wait in one queue per process. Only the first
 * probes the lock (tries its transaction again, with a growing backoff); once it
 * gets through, the next is woken, and so on in arrival order. A hundred waiters
 * therefore cost the event loop what one does. Each gives up when its own
 * SQLITE_BUSY_TIMEOUT_MS is spent, and the caller answers 503 + Retry-After.
 */

const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 50;

/**
 * What every door tells a caller whose write gave up (the webhook's 503, the Sync button's): the lock was
 * held for all of SQLITE_BUSY_TIMEOUT_MS, so asking again at once would most likely wait in vain.
 */
export const BUSY_RETRY_AFTER_SECONDS = 5;

export class DatabaseBusyError extends Error {
  override name = "DatabaseBusyError";
  /** Read by the doors beside a ClerkError's kind and retryAfter, to answer the same way. */
  readonly kind = "database_busy";
  readonly retryAfter = BUSY_RETRY_AFTER_SECONDS;
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

interface QueuedWriter {
  wake(): void;
  timer: NodeJS.Timeout;
}

/** Whose turn it is to probe the lock; the rest wait in arrival order. */
class LockWaitQueue {
  private probing = false;
  private readonly waiting: QueuedWriter[] = [];

  get isEmpty(): boolean {
    return !this.probing && this.waiting.length === 0;
  }

  /** Resolves on this writer's turn; rejects with DatabaseBusyError if `deadline` comes first. */
  waitForTurn(started: number, deadline: number): Promise<void> {
    if (this.isEmpty) {
      this.probing = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      // Node's timers count whole milliseconds on the loop's own clock and can fire a little before
      // `deadline` by performance.now(); such a writer sets its timer again rather than give up early.
      const giveUpAtDeadline = () => {
        const remaining = deadline - performance.now();
        if (remaining > 0) {
          writer.timer = setTimeout(giveUpAtDeadline, Math.ceil(remaining));
          return;
        }
        this.waiting.splice(this.waiting.indexOf(writer), 1);
        reject(new DatabaseBusyError(Math.round(performance.now() - started)));
      };
      const writer: QueuedWriter = {
        wake: resolve,
        timer: setTimeout(giveUpAtDeadline, Math.max(0, Math.ceil(deadline - performance.now()))),
      };
      this.waiting.push(writer);
    });
  }

  passTurn(): void {
    const next = this.waiting.shift();
    if (!next) {
      this.probing = false;
      return;
    }
    clearTimeout(next.timer);
    // A macrotask, not a microtask: pending requests get the event loop between two writers.
    setImmediate(next.wake);
  }
}

const queue = new LockWaitQueue();

/**
 * Runs `attempt` (a synchronous transaction) once it gets the lock; throws
 * DatabaseBusyError once `totalMs` is spent. Only safe for work that SQLite
 * rolled back when it said busy, which is every transaction: BEGIN IMMEDIATE
 * fails before anything is written, and better-sqlite3 rolls back a deferred
 * one that could not take the lock to write.
 */
export async function withLockRetry<T>(attempt: () => T, options: LockRetryOptions): Promise<T> {
  const started = performance.now();
  const deadline = started + options.totalMs;
  // With writers already waiting, a newcomer queues behind them rather than probing too.
  let foundItBusy = false;
  if (queue.isEmpty) {
    try {
      return attempt();
    } catch (error) {
      if (!isDatabaseBusy(error)) throw error;
      foundItBusy = true;
    }
  }
  log.debug("database_busy", { label: options.label });
  await queue.waitForTurn(started, deadline);
  try {
    let backoff = FIRST_BACKOFF_MS;
    // Woken because the writer before got through (or gave up): the lock may well be free, so try at once.
    for (let wait = foundItBusy; ; wait = true) {
      if (wait) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) throw new DatabaseBusyError(Math.round(performance.now() - started));
        await sleep(Math.min(backoff * (0.5 + Math.random()), remaining));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
      try {
        return attempt();
      } catch (error) {
        if (!isDatabaseBusy(error)) throw error;
      }
    }
  } finally {
    queue.passTurn();
  }
}
