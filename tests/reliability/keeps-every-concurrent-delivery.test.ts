import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/app-server";
import { clerkEvent, clerkUser } from "../support/clerk-webhooks";
import { appForThisFile, counts, inParallel, keepAliveAgent, openForChecks, post, signedDelivery } from "./support";

const served = appForThisFile("concurrent");
const { databasePath } = served;

// Another process writing the same file at the same time (as the backfill CLI
// does): it takes the write lock, holds it a few milliseconds, and lets go —
// a bounded number of times, then exits by itself.
const COMPETING_WRITES = 300;
const competingWriter = `
  const Database = require(${JSON.stringify(`${ROOT}node_modules/better-sqlite3`)});
  const db = new Database(process.argv[1]);
  db.pragma("busy_timeout = 10000");
  const insert = db.prepare("insert into users (clerk_id, synced_at, sync_source) values (?, ?, 'backfill')");
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < ${COMPETING_WRITES}; i++) {
    db.exec("begin immediate");
    insert.run("user_competing_" + i, Date.now());
    Atomics.wait(pause, 0, 0, 3);
    db.exec("commit");
    Atomics.wait(pause, 0, 0, 1);
  }
  db.close();
`;

describe("2,000 concurrent deliveries of distinct users", () => {
  it("answers every one 2xx and keeps every one, while another process writes the same database", async () => {
    const deliveries = Array.from({ length: 2_000 }, () => {
      const user = clerkUser();
      return { user, delivery: signedDelivery(clerkEvent("user.created", user)) };
    });
    const writer = spawn(process.execPath, ["-e", competingWriter, databasePath], { stdio: "inherit" });
    const writerDone = new Promise<number | null>((resolve) => writer.once("exit", resolve));

    const agent = keepAliveAgent(256);
    const replies = await inParallel(deliveries, 2_000, ({ delivery }) =>
      post(served.app.url, delivery.body, delivery.headers, agent),
    );
    agent.destroy();
    expect(await writerDone).toBe(0);

    const statuses = new Map<number, number>();
    for (const reply of replies) statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
    expect(Object.fromEntries(statuses)).toEqual({ 200: 2_000 });
    expect(served.app.output()).not.toMatch(/SQLITE_BUSY|clerk_webhook_error/);

    const db = openForChecks(databasePath);
    const email = db.prepare("select email from users where clerk_id = ?").pluck();
    const missing = deliveries.filter(({ user }) => email.get(user.id) !== `${user.id}@example.com`);
    const processed = db.prepare("select count(*) from webhook_events where status = 'processed'").pluck().get();
    db.close();
    expect(missing).toEqual([]);
    expect(processed).toBe(2_000);
    expect(counts(databasePath).users).toBe(2_000 + COMPETING_WRITES);
  });
});
