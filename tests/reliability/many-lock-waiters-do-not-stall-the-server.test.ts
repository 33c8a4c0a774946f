import { request as httpRequest, type Agent } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clerkEvent, clerkUser } from "../support/clerk-webhooks";
import {
  freshDatabasePath,
  holdWriteLockElsewhere,
  keepAliveAgent,
  openForChecks,
  post,
  resign,
  signedDelivery,
  startApp,
  type ServedApp,
} from "./support";

/**
 * Deliveries that find the write lock held by another process wait for it in
 * one queue, off the event loop, one probing for all (app/db/lock-retry.server.ts).
 * When each retried on its own, blocking the event loop a little per attempt,
 * the blocking added up with the number of waiters until `/healthz` took
 * seconds. How fast `/healthz` answers is the promise here, so it is asserted.
 */

const WAITERS = 50;
const HOLD_MS = 3_000;
const HEALTHZ_BOUND_MS = 100;

const databasePath = freshDatabasePath("lock-waiters");
let app: ServedApp;

const agent = keepAliveAgent(WAITERS);
const healthAgent = keepAliveAgent(1);

function getStatus(url: string, through: Agent): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: through }, (res) =>
      res.resume().on("end", () => resolve(res.statusCode ?? 0)),
    );
    req.on("error", () => resolve(0));
    req.end();
  });
}

beforeAll(async () => {
  // The server logs each delivery that finds the lock held: how the test knows all of them waited.
  app = await startApp(databasePath, { LOG_LEVEL: "debug" });
  // A server that has answered before, as in production: a route's first request pays for loading it, lock or not.
  const warmUp = signedDelivery(clerkEvent("user.created", clerkUser()));
  expect((await post(app.url, warmUp.body, warmUp.headers, agent)).status).toBe(200);
  expect(await getStatus(`${app.url}/healthz`, healthAgent)).toBe(200);
});
afterAll(async () => {
  agent.destroy();
  healthAgent.destroy();
  await app?.stop();
});

const waitingDeliveries = () => app.output().split('"database_busy"').length - 1;

describe(`${WAITERS} deliveries waiting on a write lock another process holds for ${HOLD_MS / 1000} s`, () => {
  it(`/healthz answers every time within ${HEALTHZ_BOUND_MS} ms throughout, and every delivery is stored once`, async () => {
    const deliveries = Array.from({ length: WAITERS }, () => {
      const user = clerkUser();
      return { user, delivery: signedDelivery(clerkEvent("user.created", user)) };
    });
    const lock = holdWriteLockElsewhere(databasePath, HOLD_MS);
    await lock.held;
    let lockHeld = true;
    void lock.released.then(() => (lockHeld = false));

    const firstAnswers: number[] = [];
    const answered = Promise.all(
      deliveries.map(async ({ delivery }) => {
        let reply = await post(app.url, delivery.body, delivery.headers, agent);
        firstAnswers.push(reply.status);
        // As Svix would: a 503 is delivered again later, same svix-id, fresh signature.
        while (reply.status === 503) {
          await lock.released;
          const retry = resign(delivery);
          reply = await post(app.url, retry.body, retry.headers, agent);
        }
        return reply.status;
      }),
    );
    let allAnswered = false;
    void answered.finally(() => (allAnswered = true));

    const latencies: number[] = [];
    const statuses = new Set<number>();
    let askedWhileAllWaited = 0;
    let allWaiting = false;
    while (!allAnswered) {
      const started = performance.now();
      statuses.add(await getStatus(`${app.url}/healthz`, healthAgent));
      latencies.push(performance.now() - started);
      allWaiting ||= waitingDeliveries() >= WAITERS;
      if (lockHeld && allWaiting) askedWhileAllWaited++;
    }
    const finalAnswers = await answered;

    const slowest = Math.max(...latencies);
    console.log(
      `/healthz asked ${latencies.length} times (${askedWhileAllWaited} while all ${WAITERS} deliveries waited): ` +
        `slowest ${slowest.toFixed(1)} ms; first answers to the deliveries: ` +
        `${firstAnswers.filter((s) => s === 200).length}×200, ${firstAnswers.filter((s) => s === 503).length}×503`,
    );
    expect(slowest).toBeLessThan(HEALTHZ_BOUND_MS);
    expect([...statuses]).toEqual([200]);
    expect(askedWhileAllWaited).toBeGreaterThan(0);

    expect(finalAnswers).toEqual(deliveries.map(() => 200));
    const db = openForChecks(databasePath);
    const email = db.prepare("select email from users where clerk_id = ?").pluck();
    const ledger = db.prepare("select status, attempts from webhook_events where svix_id = ?");
    const users = db.prepare("select count(*) from users").pluck().get();
    const events = db.prepare("select count(*) from webhook_events").pluck().get();
    const notStored = deliveries.filter(({ user }) => email.get(user.id) !== `${user.id}@example.com`);
    const notProcessedOnce = deliveries.filter(({ delivery }) => {
      const row = ledger.get(delivery.svixId) as { status: string; attempts: number } | undefined;
      return row?.status !== "processed" || row.attempts !== 1;
    });
    db.close();
    expect(notStored).toEqual([]);
    expect(notProcessedOnce).toEqual([]);
    // And the warm-up delivery.
    expect({ users, events }).toEqual({ users: WAITERS + 1, events: WAITERS + 1 });
  });
});
