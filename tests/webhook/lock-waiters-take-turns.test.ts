import { describe, expect, it } from "vitest";
import { DatabaseBusyError, withLockRetry } from "~/db/lock-retry.server";

/**
 * The queue behind "many deliveries waiting on a lock do not stall the server"
 * (tests/reliability/many-lock-waiters-do-not-stall-the-server.test.ts shows the
 * effect on the production build; this pins the mechanism). The lock here
 * answers as SQLite does on the server's connection, which has busy_timeout 0:
 * SQLITE_BUSY at once while another process holds it.
 */

class LockHeldElsewhere {
  held = true;
  /** Which writer tried while the lock was held, one entry per attempt. */
  readonly busyAttempts: number[] = [];

  attempt<T>(writer: number, work: () => T): () => T {
    return () => {
      if (!this.held) return work();
      this.busyAttempts.push(writer);
      throw Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
    };
  }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}

const writers = (count: number) => Array.from({ length: count }, (_, i) => i);

describe("writers waiting for a lock held elsewhere", () => {
  it("take turns: only the first probes the lock while it is held; once it is free each writes once, in arrival order", async () => {
    const lock = new LockHeldElsewhere();
    const written: number[] = [];
    const writes = writers(50).map((i) =>
      withLockRetry(
        lock.attempt(i, () => (written.push(i), i)),
        { totalMs: 60_000, label: "test" },
      ),
    );
    await until(() => lock.busyAttempts.length >= 5);
    lock.held = false;

    expect(await Promise.all(writes)).toEqual(writers(50));
    expect(written).toEqual(writers(50));
    expect(new Set(lock.busyAttempts)).toEqual(new Set([0]));
  });

  it("give up with DatabaseBusyError once their own total wait is spent, and leave no queue behind", async () => {
    const lock = new LockHeldElsewhere();
    const totalMs = 100;
    const outcomes = await Promise.allSettled(
      writers(10).map((i) =>
        withLockRetry(
          lock.attempt(i, () => i),
          { totalMs, label: "test" },
        ),
      ),
    );
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      const error = (outcome as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(DatabaseBusyError);
      // Never before its own wait is spent, though Node's timers may fire a little early by performance.now().
      expect((error as DatabaseBusyError).waitedMs).toBeGreaterThanOrEqual(totalMs);
    }
    // Writer 0 probed throughout, and nobody else meanwhile: a later writer tries only once its turn comes
    // (as the one before gives up, just as its own deadline passes, before its timer fired), so the
    // attempts go strictly in turn.
    expect(lock.busyAttempts.filter((writer) => writer === 0).length).toBeGreaterThan(1);
    expect(lock.busyAttempts).toEqual([...lock.busyAttempts].sort((a, b) => a - b));

    lock.held = false;
    lock.busyAttempts.length = 0;
    expect(
      await withLockRetry(
        lock.attempt(10, () => "at once"),
        { totalMs, label: "test" },
      ),
    ).toBe("at once");
  });

  it("pass the turn on when the writer whose turn it is fails for another reason", async () => {
    const lock = new LockHeldElsewhere();
    const failing = withLockRetry(
      lock.attempt(0, () => {
        throw new Error("disk I/O error");
      }),
      { totalMs: 60_000, label: "test" },
    );
    const next = withLockRetry(
      lock.attempt(1, () => "written"),
      { totalMs: 60_000, label: "test" },
    );
    await until(() => lock.busyAttempts.length >= 2);
    lock.held = false;

    await expect(failing).rejects.toThrow("disk I/O error");
    expect(await next).toBe("written");
  });
});
