import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clerkEvent, clerkUser, signBody } from "../support/clerk-webhooks";
import { freshDatabasePath, keepAliveAgent, post, startApp, type ServedApp } from "./support";

/**
 * better-sqlite3 waits for a lock synchronously. While another process (the
 * backfill, an operator's sqlite3 shell, a migration) holds the write lock, a
 * webhook waiting inside SQLite used to stall every other request with it.
 * Here the lock is held by a second connection, as another process would.
 */

const databasePath = freshDatabasePath("lock");
let app: ServedApp;
const agent = keepAliveAgent(4);

beforeAll(async () => {
  app = await startApp(databasePath, {
    // Long enough that the webhook is certainly still waiting when the lock is released.
    SQLITE_BUSY_TIMEOUT_MS: "60000",
    // The server says when a request starts waiting for the lock.
    LOG_LEVEL: "debug",
  });
});
afterAll(async () => {
  agent.destroy();
  await app?.stop();
});

describe("a lock held by another connection", () => {
  it("does not stall other requests: /healthz and / answer while a webhook waits, which is stored once the lock is released", async () => {
    const events: string[] = [];
    const user = clerkUser();
    const body = JSON.stringify(clerkEvent("user.created", user));

    const holder = new Database(databasePath);
    holder.exec("BEGIN IMMEDIATE");
    const webhook = post(app.url, body, signBody(body), agent).then((reply) => {
      events.push(`webhook ${reply.status}`);
      return reply;
    });

    // Wait on a condition, not a clock: the server logs that the webhook is waiting
    // (or, without the fix, the webhook answers first because it gave up).
    await new Promise<void>((resolve) => {
      const check = () => (app.output().includes('"database_busy"') ? resolve() : setTimeout(check, 20));
      check();
      void webhook.then(() => resolve());
    });
    events.push("webhook waiting");

    const health = await fetch(`${app.url}/healthz`);
    events.push(`healthz ${health.status}`);
    const home = await fetch(`${app.url}/`, { redirect: "manual" });
    events.push(`home ${home.status < 500 ? "answered" : home.status}`);

    holder.exec("COMMIT");
    holder.close();
    events.push("lock released");
    await webhook;

    expect(events).toEqual(["webhook waiting", "healthz 200", "home answered", "lock released", "webhook 200"]);
    const db = new Database(databasePath, { readonly: true });
    const row = db.prepare("select clerk_id from users where clerk_id = ?").get(user.id);
    db.close();
    expect(row).toEqual({ clerk_id: user.id });
  });
});
