/**
 * `npx tsx scripts/bench/lock-waiters.ts [waiters@seconds …]` (after `npm run build`):
 * how slow `/healthz` gets while webhook deliveries wait for a write lock that
 * another process holds. Each case: the production build on a fresh database, a
 * child process holding `BEGIN IMMEDIATE` on the same file for the given seconds,
 * that many deliveries sent at once, and `/healthz` asked back to back until every
 * delivery is answered. A delivery answered 503 is sent again once the lock is
 * gone, as Svix would. Prints the slowest and the median `/healthz` per case.
 */
import { spawn } from "node:child_process";
import { Agent, request as httpRequest } from "node:http";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describeMachine, fmt, makeDeliveries, ROOT, startServer, WEBHOOK_PATH, type Delivery } from "./support";

// 0@3: the same polling with nothing waiting, the machine's own noise.
const DEFAULT_CASES = ["0@3", "1@3", "10@3", "20@3", "50@3", "200@3", "50@7"];

const holder = `
  const Database = require(${JSON.stringify(join(ROOT, "node_modules/better-sqlite3"))});
  const db = new Database(process.argv[1]);
  db.exec("BEGIN IMMEDIATE");
  process.stdout.write("held\\n");
  setTimeout(() => { db.exec("COMMIT"); db.close(); }, Number(process.argv[2]));
`;

function holdWriteLock(databasePath: string, ms: number): { held: Promise<void>; released: Promise<void> } {
  const child = spawn(process.execPath, ["-e", holder, databasePath, String(ms)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const held = new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  const released = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { held, released };
}

function send(url: string, path: string, agent: Agent, delivery?: Delivery): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest(
      new URL(path, url),
      { method: delivery ? "POST" : "GET", agent, headers: delivery?.headers },
      (res) => res.resume().on("end", () => resolve(res.statusCode ?? 0)),
    );
    req.on("error", () => resolve(0));
    req.end(delivery?.body);
  });
}

async function runCase(waiters: number, holdSeconds: number) {
  const server = await startServer("app");
  const agent = new Agent({ keepAlive: true });
  const healthAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  // A route's first request pays for loading it, lock or not: one of each before the case.
  const [warmUp, ...deliveries] = makeDeliveries(waiters + 1, "lock");
  await send(server.url, WEBHOOK_PATH, agent, warmUp);
  await send(server.url, "/healthz", healthAgent);
  const lock = holdWriteLock(server.databasePath, holdSeconds * 1000);
  await lock.held;
  const heldAt = performance.now();
  let releasedAt = Infinity;
  void lock.released.then(() => (releasedAt = performance.now()));

  const statuses = new Map<number, number>();
  const answered = Promise.all(
    deliveries.map(async (delivery) => {
      let status = await send(server.url, WEBHOOK_PATH, agent, delivery);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      while (status === 503) {
        await lock.released;
        status = await send(server.url, WEBHOOK_PATH, agent, delivery);
      }
      return status;
    }),
  );
  let done = false;
  void Promise.all([answered, lock.released]).then(() => (done = true));

  const latencies: number[] = [];
  const slowest = { arriving: 0, waiting: 0, released: 0 };
  while (!done) {
    const started = performance.now();
    await send(server.url, "/healthz", healthAgent);
    const ms = performance.now() - started;
    latencies.push(ms);
    const phase = started > releasedAt ? "released" : started - heldAt < 200 ? "arriving" : "waiting";
    slowest[phase] = Math.max(slowest[phase], ms);
  }
  const finalStatuses = await answered;
  await lock.released;
  agent.destroy();
  healthAgent.destroy();

  const db = new Database(server.databasePath, { readonly: true });
  const users = db.prepare("select count(*) from users").pluck().get() as number;
  const events = db.prepare("select count(*) from webhook_events where status = 'processed'").pluck().get() as number;
  db.close();
  await server.stop();

  latencies.sort((a, b) => a - b);
  return {
    waiters,
    holdSeconds,
    slowest: latencies.at(-1)!,
    slowestBy: slowest,
    median: latencies[Math.floor(latencies.length / 2)]!,
    asked: latencies.length,
    firstAnswers: Object.fromEntries(statuses),
    allStored:
      finalStatuses.every((status) => status === 200) &&
      events === waiters + 1 &&
      users === new Set([warmUp, ...deliveries].map((d) => d.clerkId)).size,
  };
}

const cases = (process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_CASES).map((spec) => {
  const [waiters, seconds] = spec.split("@").map(Number);
  if (!(waiters! >= 0) || !(seconds! > 0)) throw new Error(`A case is waiters@seconds, e.g. 50@3; got "${spec}".`);
  return { waiters: waiters!, seconds: seconds! };
});

console.log(describeMachine());
console.log(
  "waiters  hold   slowest /healthz  (first 200 ms / rest of the hold / after)  median  asked  first answers   stored once",
);
for (const { waiters, seconds } of cases) {
  const r = await runCase(waiters, seconds);
  const answers = Object.entries(r.firstAnswers)
    .map(([status, n]) => `${n}×${status}`)
    .join(" ");
  console.log(
    [
      String(r.waiters).padStart(7),
      `${r.holdSeconds} s`.padStart(5),
      `${fmt(r.slowest, 1)} ms`.padStart(16),
      `(${[r.slowestBy.arriving, r.slowestBy.waiting, r.slowestBy.released].map((ms) => fmt(ms, 1)).join(" / ")})`.padEnd(
        41,
      ),
      `${fmt(r.median, 1)} ms`.padStart(6),
      String(r.asked).padStart(5),
      answers.padEnd(14),
      r.allStored ? "yes" : "NO",
    ].join("  "),
  );
}
