import { afterAll, describe, expect, it } from "vitest";
import { clerkEvent, clerkUser } from "../support/clerk-webhooks";
import {
  freshDatabasePath,
  keepAliveAgent,
  openForChecks,
  post,
  resign,
  signedDelivery,
  startApp,
  type ServedApp,
  type SignedDelivery,
} from "./support";

const databasePath = freshDatabasePath("crash");
const running: ServedApp[] = [];

afterAll(async () => {
  // A killed server has no exit left to wait for.
  const alive = running.filter((app) => app.process.exitCode === null && app.process.signalCode === null);
  await Promise.all(alive.map((app) => app.stop()));
});

const TOTAL = 3_000;
const KILL_AFTER_ACKS = 1_000;
const MAX_ROUNDS = 20;

/** Svix's side: send each delivery until it is answered 2xx, re-signing every retry. */
class SvixLikeSender {
  readonly acked = new Set<string>();
  readonly replies = new Map<number, number>();
  private agent = keepAliveAgent(32);
  constructor(private deliveries: Map<string, SignedDelivery>) {}

  unacked(): SignedDelivery[] {
    return [...this.deliveries.values()].filter((d) => !this.acked.has(d.svixId));
  }

  /** One round over every un-acked delivery, `lanes` at a time; `onAck` may stop the server mid-round. */
  async round(url: string, lanes: number, onAck: () => void = () => {}): Promise<void> {
    const queue = this.unacked();
    let next = 0;
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        while (next < queue.length) {
          const delivery = queue[next++]!;
          const retry = resign(delivery);
          this.deliveries.set(delivery.svixId, retry);
          const reply = await post(url, retry.body, retry.headers, this.agent);
          this.replies.set(reply.status, (this.replies.get(reply.status) ?? 0) + 1);
          if (reply.status >= 200 && reply.status < 300) {
            this.acked.add(delivery.svixId);
            onAck();
          }
        }
      }),
    );
  }

  close() {
    this.agent.destroy();
  }
}

function storedSvixIds(): Set<string> {
  const db = openForChecks(databasePath);
  try {
    return new Set(
      db.prepare("select svix_id from webhook_events where status = 'processed'").pluck().all() as string[],
    );
  } finally {
    db.close();
  }
}

describe("the server is killed with SIGKILL in the middle of a load", () => {
  it("keeps every delivery it had answered 2xx, and after restart and retries keeps them all in a sound file", async () => {
    const users = new Map<string, string>(); // svix-id → clerk id
    const deliveries = new Map<string, SignedDelivery>();
    for (let i = 0; i < TOTAL; i++) {
      const user = clerkUser();
      const delivery = signedDelivery(clerkEvent("user.created", user));
      deliveries.set(delivery.svixId, delivery);
      users.set(delivery.svixId, user.id);
    }
    const sender = new SvixLikeSender(deliveries);

    const first = await startApp(databasePath);
    running.push(first);
    let killed = false;
    const exited = new Promise((resolve) => first.process.once("exit", resolve));
    await sender.round(first.url, 32, () => {
      if (!killed && sender.acked.size >= KILL_AFTER_ACKS) {
        killed = true;
        first.process.kill("SIGKILL");
      }
    });
    await exited;
    expect(first.process.signalCode).toBe("SIGKILL");
    const ackedBeforeCrash = new Set(sender.acked);
    expect(ackedBeforeCrash.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(ackedBeforeCrash.size).toBeLessThan(TOTAL); // the kill did land mid-load

    // Durability: everything answered 2xx before the kill is in the file.
    const afterCrash = storedSvixIds();
    expect([...ackedBeforeCrash].filter((id) => !afterCrash.has(id))).toEqual([]);

    // Restart on the same file; the sender keeps retrying what was never acknowledged.
    const second = await startApp(databasePath);
    running.push(second);
    for (let round = 0; round < MAX_ROUNDS && sender.unacked().length > 0; round++) {
      await sender.round(second.url, 32);
    }
    sender.close();
    expect(sender.unacked()).toEqual([]);
    expect(sender.replies.get(500) ?? 0).toBe(0);
    await second.stop();

    const db = openForChecks(databasePath);
    const integrity = db.pragma("integrity_check", { simple: true });
    const ledger = db.prepare("select count(*) from webhook_events where status = 'processed'").pluck().get();
    const stored = new Set(db.prepare("select clerk_id from users").pluck().all() as string[]);
    db.close();
    expect(integrity).toBe("ok");
    expect(ledger).toBe(TOTAL);
    expect([...users.values()].filter((id) => !stored.has(id))).toEqual([]);
    expect(stored.size).toBe(TOTAL);
  });
});
