import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DatabaseBusyError, isDatabaseBusy, withLockRetry } from "~/db/lock-retry.server";
import { log } from "~/logger.server";

/**
 * The prober's waits, read from a clock this test moves: `performance.now()` is
 * the test's, and each of the retry's sleeps is recorded and moves that clock
 * by its length (a Node timer waits at least 1 ms). tests/webhook/lock-waiters-take-turns
 * runs the same queue on real timers.
 */
const clock = vi.hoisted(() => ({
  now: 0,
  sleeps: [] as number[],
  // A sleep the test ends by hand, to hold the prober's turn.
  hold: null as null | { release: () => void },
}));
vi.mock("node:timers/promises", () => ({
  setTimeout: (ms: number) => {
    clock.sleeps.push(ms);
    if (clock.hold) {
      return new Promise<void>((resolve) => {
        clock.hold!.release = () => {
          clock.now += ms;
          resolve();
        };
      });
    }
    clock.now += Math.max(1, ms);
    return Promise.resolve();
  },
}));

const busy = () => Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
const STARTED = 10_000;

beforeEach(() => {
  clock.now = STARTED;
  clock.sleeps = [];
  clock.hold = null;
  vi.spyOn(performance, "now").mockImplementation(() => clock.now);
});
afterEach(() => vi.restoreAllMocks());

/** An attempt that finds the lock held `times` times, then writes. */
function lockHeldFor(times: number, written = "written") {
  let calls = 0;
  const attempt = vi.fn(() => {
    calls++;
    if (calls <= times) throw busy();
    return written;
  });
  return attempt;
}

describe("isDatabaseBusy", () => {
  it("is SQLITE_BUSY and its extended codes, not other SQLite errors nor codes that only end like it", () => {
    expect(isDatabaseBusy(busy())).toBe(true);
    expect(isDatabaseBusy({ code: "SQLITE_BUSY_SNAPSHOT" })).toBe(true);
    expect(isDatabaseBusy({ code: "SQLITE_LOCKED" })).toBe(false);
    expect(isDatabaseBusy({ code: "NOT_SQLITE_BUSY" })).toBe(false);
    expect(isDatabaseBusy({ code: 5 })).toBe(false);
    expect(isDatabaseBusy(new Error("SQLITE_BUSY"))).toBe(false);
    expect(isDatabaseBusy(undefined)).toBe(false);
  });

  it("looks through up to four wrappers (Drizzle's and the caller's), and no deeper", () => {
    const wrapped = (depth: number): unknown => (depth === 0 ? busy() : { cause: wrapped(depth - 1) });
    expect(isDatabaseBusy(wrapped(4))).toBe(true);
    expect(isDatabaseBusy(wrapped(5))).toBe(false);
    // A cause that points back at itself ends the search too.
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    expect(isDatabaseBusy(loop)).toBe(false);
  });
});

describe("withLockRetry", () => {
  it("runs a write that finds the lock free at once, in the caller's turn, and logs nothing", async () => {
    const debug = vi.spyOn(log, "debug");
    const attempt = lockHeldFor(0);
    const result = withLockRetry(attempt, { totalMs: 1_000, label: "free" });
    expect(attempt).toHaveBeenCalledTimes(1);
    expect(await result).toBe("written");
    expect(clock.sleeps).toEqual([]);
    expect(debug).not.toHaveBeenCalled();
  });

  it("passes on an error other than busy at once, without a retry", async () => {
    const attempt = vi.fn(() => {
      throw new Error("disk I/O error");
    });
    await expect(withLockRetry(attempt, { totalMs: 1_000, label: "failing" })).rejects.toThrow("disk I/O error");
    expect(attempt).toHaveBeenCalledTimes(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("waits before each retry, doubling a jittered backoff up to 50 ms, and says it waits", async () => {
    const debug = vi.spyOn(log, "debug");
    // 0.75 of each backoff: the jitter is 0.5 to 1.5 times it.
    vi.spyOn(Math, "random").mockReturnValue(0.25);
    const attempt = lockHeldFor(8);
    expect(await withLockRetry(attempt, { totalMs: 10_000, label: "doubling" })).toBe("written");
    expect(clock.sleeps).toEqual([1.5, 3, 6, 12, 24, 37.5, 37.5, 37.5]);
    expect(attempt).toHaveBeenCalledTimes(9);
    expect(debug).toHaveBeenCalledWith("database_busy", { label: "doubling" });
  });

  it("gives up with DatabaseBusyError when its total wait is spent, the last wait cut to the deadline", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.25);
    const attempt = lockHeldFor(Infinity);
    const error = await withLockRetry(attempt, { totalMs: 100, label: "deadline" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatabaseBusyError);
    expect((error as DatabaseBusyError).name).toBe("DatabaseBusyError");
    expect((error as DatabaseBusyError).waitedMs).toBe(100);
    expect((error as DatabaseBusyError).message).toBe("The database stayed locked by another connection for 100 ms.");
    // 1.5 + 3 + 6 + 12 + 24 + 37.5 = 84 ms, then the 16 left: an attempt at the deadline, and none after it.
    expect(clock.sleeps).toEqual([1.5, 3, 6, 12, 24, 37.5, 16]);
    expect(attempt).toHaveBeenCalledTimes(8);
    expect(clock.now).toBe(STARTED + 100);
  });

  it("a writer that arrives while another probes queues without trying, then tries at once on its turn", async () => {
    let held = true;
    const prober = vi.fn(() => {
      if (held) throw busy();
      return "first";
    });
    const queued = vi.fn(() => {
      if (held) throw busy();
      return "second";
    });
    clock.hold = { release: () => undefined };
    const first = withLockRetry(prober, { totalMs: 10_000, label: "first" });
    const second = withLockRetry(queued, { totalMs: 10_000, label: "second" });
    expect(queued).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(clock.sleeps).toHaveLength(1));
    held = false;
    clock.hold.release();
    clock.hold = null;
    expect(await first).toBe("first");
    expect(await second).toBe("second");
    expect(queued).toHaveBeenCalledTimes(1);
    expect(clock.sleeps).toHaveLength(1);
  });

  it("a queued writer whose turn comes just after its deadline, before its timer fired, tries once: a free lock still takes its write", async () => {
    const prober = lockHeldFor(1, "first");
    clock.hold = { release: () => undefined };
    const first = withLockRetry(prober, { totalMs: 10_000, label: "first" });
    const late = lockHeldFor(0, "second");
    const second = withLockRetry(late, { totalMs: 5_000, label: "second" });
    await vi.waitFor(() => expect(clock.sleeps).toHaveLength(1));
    // The prober's sleep ends past the second writer's deadline; its real timer (5 s) has not fired yet.
    clock.now = STARTED + 5_010;
    clock.hold.release();
    clock.hold = null;
    expect(await first).toBe("first");
    expect(await second).toBe("second");
    expect(late).toHaveBeenCalledTimes(1);
  });

  it("a queued writer whose turn comes after its deadline gives up after one busy try, without waiting again", async () => {
    let held = true;
    const prober = vi.fn(() => {
      if (held) throw busy();
      return "first";
    });
    clock.hold = { release: () => undefined };
    const first = withLockRetry(prober, { totalMs: 10_000, label: "first" });
    const late = lockHeldFor(Infinity);
    const second = withLockRetry(late, { totalMs: 5_000, label: "second" }).catch((caught: unknown) => caught);
    await vi.waitFor(() => expect(clock.sleeps).toHaveLength(1));
    clock.now = STARTED + 5_010;
    held = false;
    clock.hold.release();
    clock.hold = null;
    expect(await first).toBe("first");
    const error = await second;
    expect(error).toBeInstanceOf(DatabaseBusyError);
    expect((error as DatabaseBusyError).waitedMs).toBeGreaterThanOrEqual(5_010);
    expect(late).toHaveBeenCalledTimes(1);
    expect(clock.sleeps).toHaveLength(1);
  });

  it("a queued writer whose deadline comes first gives up, says how long it waited, and leaves the queue", async () => {
    const prober = lockHeldFor(1, "first");
    clock.hold = { release: () => undefined };
    const first = withLockRetry(prober, { totalMs: 10_000, label: "first" });
    const second = withLockRetry(lockHeldFor(0, "second"), { totalMs: 1, label: "second" }).catch(
      (caught: unknown) => caught,
    );
    // Before its timer can fire: the time that passes meanwhile.
    clock.now = STARTED + 7;
    const error = await second;
    expect(error).toBeInstanceOf(DatabaseBusyError);
    expect((error as DatabaseBusyError).waitedMs).toBe(7);
    clock.hold.release();
    clock.hold = null;
    expect(await first).toBe("first");
    // Nobody waits any more: the next writer runs in its caller's turn.
    const next = lockHeldFor(0, "next");
    const result = withLockRetry(next, { totalMs: 1_000, label: "next" });
    expect(next).toHaveBeenCalledTimes(1);
    expect(await result).toBe("next");
  });

  it("a queued writer whose timer fires before its deadline (by performance.now) sets it again rather than give up early", async () => {
    const realSetTimeout = globalThis.setTimeout;
    const timers: number[] = [];
    vi.spyOn(globalThis, "setTimeout").mockImplementation(((fn: () => void, ms: number) => {
      timers.push(ms);
      return realSetTimeout(fn, ms);
    }) as typeof setTimeout);
    const prober = lockHeldFor(1, "first");
    clock.hold = { release: () => undefined };
    const first = withLockRetry(prober, { totalMs: 10_000, label: "first" });
    let settled = false;
    const second = withLockRetry(lockHeldFor(0, "second"), { totalMs: 5, label: "second" })
      .catch((caught: unknown) => caught)
      .finally(() => (settled = true));
    // The real timer fires, but only 3 ms have passed on the clock performance.now() reads.
    clock.now = STARTED + 3;
    await vi.waitFor(() => expect(timers.length).toBeGreaterThanOrEqual(2));
    expect(timers.slice(0, 2)).toEqual([5, 2]);
    expect(settled).toBe(false);
    clock.now = STARTED + 6;
    const error = await second;
    expect(error).toBeInstanceOf(DatabaseBusyError);
    expect((error as DatabaseBusyError).waitedMs).toBe(6);
    clock.hold.release();
    clock.hold = null;
    expect(await first).toBe("first");
  });
});
