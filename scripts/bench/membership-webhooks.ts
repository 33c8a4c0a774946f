/**
 * `npm run bench:membership-webhooks`: membership webhooks against user webhooks,
 * in the same run, through the same servers as `bench:webhook` (the production
 * build under `remix-serve`, and the bare `node:http` baseline that calls the same
 * `processClerkWebhook`), each with a fresh database, signed Svix deliveries
 * over loopback. For each concurrency, N `organizationMembership.*` deliveries
 * and N `user.updated` deliveries are sent, the kind that goes first
 * alternating from round to round. Prints
 * deliveries/s for each kind, the ratio membership/user, and checks that every
 * 2xx left its rows.
 *
 * The two kinds have the same shape of history: three of every four are a new
 * object, the fourth a newer version of the one three before (a membership's new
 * role; a user's new name). A membership payload carries its whole organization,
 * which is written too (40 organizations in all, so most deliveries find theirs
 * stored and older or equal: the organization rule runs on each).
 *
 * Options (env): BENCH_SCALE=0.25 shrinks every run; BENCH_ROUNDS (default 2);
 * LOG_LEVEL (default info) for both servers.
 */
import { randomBytes } from "node:crypto";
import { Agent, request as httpRequest } from "node:http";
import Database from "better-sqlite3";
import {
  buildClerkOrganization,
  buildClerkOrganizationMembership,
  buildClerkUser,
  clerkEvent,
  signDelivery,
} from "@clerk-sync/clerk-stand-in/testing";
import {
  BENCH_WEBHOOK_SECRET,
  describeMachine,
  fmt,
  startServer,
  WEBHOOK_PATH,
  type BenchServer,
  type Delivery,
  type LoadResult,
} from "./support";

const scale = Number(process.env.BENCH_SCALE ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const n = (count: number) => Math.max(200, Math.round(count * scale));
const ORGANIZATIONS = 40;

const scenarios = [
  { name: "c=1", connections: 1, count: n(2_000) },
  { name: "c=16", connections: 16, count: n(6_000) },
  { name: "c=64", connections: 64, count: n(8_000) },
];

type Kind = "membership" | "user";
let sequence = 0;

function signed(type: string, data: unknown, now: number, clerkId: string): Delivery {
  const body = JSON.stringify(clerkEvent(type, data, { timestamp: now, instanceId: "ins_bench" }));
  const timestamp = new Date(Math.floor(now / 1000) * 1000);
  const svixId = `msg_${randomBytes(6).toString("hex")}_${++sequence}`;
  return {
    clerkId,
    body,
    headers: { "content-type": "application/json", ...signDelivery(BENCH_WEBHOOK_SECRET, body, { svixId, timestamp }) },
  };
}

const organizations = Array.from({ length: ORGANIZATIONS }, () => buildClerkOrganization({ created_at: Date.now() }));

/** `count` membership deliveries: three of four `organizationMembership.created`, the fourth an `.updated` role change. */
function membershipDeliveries(count: number): Delivery[] {
  const now = Date.now();
  const deliveries: Delivery[] = [];
  const created: ReturnType<typeof buildClerkOrganizationMembership>[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 4 === 3) {
      const earlier = created[created.length - 3]!;
      const admin = { ...earlier, role: "org:admin", role_name: "Admin", updated_at: now + 1000 };
      deliveries.push(signed("organizationMembership.updated", admin, now, earlier.id));
      continue;
    }
    const membership = buildClerkOrganizationMembership({
      organization: organizations[created.length % ORGANIZATIONS],
      created_at: now,
      updated_at: now,
    });
    created.push(membership);
    deliveries.push(signed("organizationMembership.created", membership, now, membership.id));
  }
  return deliveries;
}

/** `count` `user.updated` deliveries: three of four a user not seen before, the fourth a newer name of one of those. */
function userDeliveries(count: number): Delivery[] {
  const now = Date.now();
  const deliveries: Delivery[] = [];
  const seen: ({ id: string } & Record<string, unknown>)[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 4 === 3) {
      const earlier = seen[seen.length - 3]!;
      const renamed = { ...earlier, first_name: "Grace", updated_at: now + 1000 };
      deliveries.push(signed("user.updated", renamed, now, earlier.id));
      continue;
    }
    const user = buildClerkUser({ created_at: now, updated_at: now });
    seen.push(user);
    deliveries.push(signed("user.updated", user, now, user.id));
  }
  return deliveries;
}

/**
 * Closed loop: `connections` keep-alive connections, each sending the next delivery as soon as its last was
 * answered. Not autocannon (as bench:webhook uses): it ends a run on its one-second tick, which rounds a
 * run of a few seconds to whole seconds and the rate with it.
 */
async function runClosedLoop(url: string, deliveries: readonly Delivery[], connections: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(WEBHOOK_PATH, url);
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const send = (delivery: Delivery) =>
    new Promise<void>((resolve) => {
      const sentAt = performance.now();
      const req = httpRequest(target, { method: "POST", agent, headers: delivery.headers }, (res) => {
        res.resume();
        res.on("end", () => {
          latencies.push(performance.now() - sentAt);
          if (res.statusCode! >= 200 && res.statusCode! < 300) ok++;
          else non2xx++;
          resolve();
        });
      });
      req.on("error", () => (errors++, resolve()));
      req.end(delivery.body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < deliveries.length) await send(deliveries[next++]!);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return {
    sent: deliveries.length,
    ok,
    non2xx,
    errors,
    timeouts: 0,
    seconds,
    perSecond: ok / seconds,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies.at(-1) ?? Number.NaN,
  };
}

const make = (kind: Kind, count: number) => (kind === "user" ? userDeliveries(count) : membershipDeliveries(count));
const distinct = (deliveries: Delivery[]) => new Set(deliveries.map((d) => d.clerkId)).size;

function countRows(databasePath: string) {
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    const count = (table: string) => (db.prepare(`select count(*) n from ${table}`).get() as { n: number }).n;
    return {
      users: count("users"),
      memberships: count("organization_memberships"),
      organizations: count("organizations"),
      events: count("webhook_events"),
    };
  } finally {
    db.close();
  }
}

async function main() {
  console.log(`machine: ${describeMachine()}`);
  console.log(
    `LOG_LEVEL=${process.env.LOG_LEVEL ?? "info"}; ${rounds} rounds per scenario; ${ORGANIZATIONS} organizations`,
  );
  const servers: Record<"baseline" | "app", BenchServer> = {
    baseline: await startServer("baseline"),
    app: await startServer("app"),
  };
  const expected = { baseline: { user: 0, membership: 0 }, app: { user: 0, membership: 0 } };
  const sum = new Map<string, { ok: number; seconds: number; p99: number[]; sent: number }>();
  try {
    for (const server of ["baseline", "app"] as const) {
      for (const kind of ["user", "membership"] as const) {
        const warm = make(kind, n(1_000));
        await runClosedLoop(servers[server].url, warm, 16);
        expected[server][kind] += distinct(warm);
      }
    }
    console.log(
      `\n${"scenario".padEnd(8)}  ${"server".padEnd(8)}  ${"kind".padEnd(10)}  round  deliv/s   p50 ms   p99 ms  2xx/sent`,
    );
    for (const scenario of scenarios) {
      for (let round = 0; round < rounds; round++) {
        const order: Kind[] = round % 2 === 0 ? ["user", "membership"] : ["membership", "user"];
        for (const server of ["baseline", "app"] as const) {
          for (const kind of order) {
            const deliveries = make(kind, scenario.count);
            expected[server][kind] += distinct(deliveries);
            const r = await runClosedLoop(servers[server].url, deliveries, scenario.connections);
            const key = `${scenario.name}|${server}|${kind}`;
            const total = sum.get(key) ?? { ok: 0, seconds: 0, p99: [], sent: 0 };
            sum.set(key, {
              ok: total.ok + r.ok,
              seconds: total.seconds + r.seconds,
              p99: [...total.p99, r.p99],
              sent: total.sent + scenario.count,
            });
            console.log(
              [
                scenario.name.padEnd(8),
                server.padEnd(8),
                kind.padEnd(10),
                String(round + 1).padStart(5),
                fmt(r.perSecond).padStart(7),
                fmt(r.p50, 1).padStart(7),
                fmt(r.p99, 1).padStart(7),
                `${r.ok}/${r.sent}`.padStart(9),
              ].join("  "),
            );
          }
        }
      }
    }
  } finally {
    await Promise.all([servers.baseline.stop(), servers.app.stop()]);
  }

  console.log("\nmembership webhooks against user webhooks (2xx per second of sending, all rounds):");
  let allOk = true;
  for (const scenario of scenarios) {
    for (const server of ["baseline", "app"] as const) {
      const rate = (kind: Kind) => {
        const total = sum.get(`${scenario.name}|${server}|${kind}`)!;
        if (total.ok !== total.sent) allOk = false;
        return total.ok / total.seconds;
      };
      const [users, memberships] = [rate("user"), rate("membership")];
      console.log(
        `  ${scenario.name.padEnd(5)} ${server.padEnd(8)} user.updated ${fmt(users).padStart(6)}/s, ` +
          `organizationMembership.* ${fmt(memberships).padStart(6)}/s: ratio ${fmt(memberships / users, 2)}`,
      );
    }
  }

  console.log("\nrows written (every 2xx must be a committed row):");
  for (const server of ["baseline", "app"] as const) {
    const rows = countRows(servers[server].databasePath);
    const ok =
      allOk &&
      rows.users === expected[server].user &&
      rows.memberships === expected[server].membership &&
      rows.organizations === ORGANIZATIONS;
    console.log(
      `  ${server.padEnd(8)} users ${rows.users} (expected ${expected[server].user}), memberships ${rows.memberships} ` +
        `(expected ${expected[server].membership}), organizations ${rows.organizations} (expected ${ORGANIZATIONS}), ` +
        `ledger rows ${rows.events}${ok ? "  ✓" : "  ✗ MISMATCH"}`,
    );
    if (!ok) process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
