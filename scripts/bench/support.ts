/**
 * Shared pieces of the bench scripts: signed Clerk deliveries made up front
 * (so the load generator spends its CPU on sending, not on HMACs), server
 * start-up on a free loopback port with logs to a file, a bounded autocannon
 * run, and a description of the machine the figures came from.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import { buildClerkUser, clerkEmailAddress, clerkEvent, signDelivery } from "@clerk-sync/clerk-stand-in/testing";
import { freePort } from "../lib/free-port";

export { freePort };

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BENCH_WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
export const WEBHOOK_PATH = "/api/webhooks/clerk";

export interface Delivery {
  headers: Record<string, string>;
  body: string;
  clerkId: string;
}

let sequence = 0;

/**
 * `count` signed deliveries: three of every four create a new user, the fourth
 * updates the user created three deliveries earlier (a newer `updated_at`).
 */
export function makeDeliveries(count: number, label = "bench"): Delivery[] {
  const run = `${label}${randomBytes(4).toString("hex")}`;
  const now = Date.now();
  const timestamp = new Date(Math.floor(now / 1000) * 1000);
  const deliveries: Delivery[] = [];
  for (let i = 0; i < count; i++) {
    const isUpdate = i % 4 === 3;
    const n = isUpdate ? i - 3 : i;
    const id = `user_${run}${String(n).padStart(8, "0")}`;
    const emailId = `idn_${run}${n}`;
    const data = buildClerkUser({
      id,
      primary_email_address_id: emailId,
      email_addresses: [clerkEmailAddress({ id: emailId, email_address: `${id}@example.com`, created_at: now })],
      first_name: isUpdate ? "Grace" : "Ada",
      created_at: now,
      updated_at: now + (isUpdate ? 1000 : 0),
    });
    const body = JSON.stringify(
      clerkEvent(isUpdate ? "user.updated" : "user.created", data, { timestamp: now, instanceId: "ins_bench" }),
    );
    const svixId = `msg_${run}_${++sequence}`;
    deliveries.push({
      clerkId: id,
      body,
      headers: {
        "content-type": "application/json",
        ...signDelivery(BENCH_WEBHOOK_SECRET, body, { svixId, timestamp }),
      },
    });
  }
  return deliveries;
}

export interface BenchServer {
  name: string;
  url: string;
  databasePath: string;
  logPath: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function benchEnv(databasePath: string): Record<string, string> {
  return {
    NODE_ENV: "production",
    DATABASE_URL: databasePath,
    CLERK_WEBHOOK_SIGNING_SECRET: BENCH_WEBHOOK_SECRET,
    CLERK_PUBLISHABLE_KEY: `pk_test_${Buffer.from("clerk.example.test$").toString("base64")}`,
    CLERK_SECRET_KEY: "sk_test_benchsecretkey000000000",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
  };
}

/**
 * Starts `remix-serve build/index.js` ("app") or the bare baseline ("baseline")
 * with a fresh database; stdout/stderr go to a file, as they would to a log shipper.
 */
export async function startServer(
  kind: "app" | "baseline",
  options: { cpuProfDir?: string; env?: Record<string, string> } = {},
): Promise<BenchServer> {
  if (kind === "app" && !existsSync(join(ROOT, "build/index.js"))) {
    throw new Error("No production build: run `npm run build` first.");
  }
  const dir = mkdtempSync(join(tmpdir(), `clerk-sync-bench-${kind}-`));
  const databasePath = join(dir, "app.db");
  const logPath = join(dir, "server.log");
  const port = options.env?.PORT ? Number(options.env.PORT) : await freePort();
  const nodeArgs = options.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const args =
    kind === "app"
      ? [...nodeArgs, join(ROOT, "node_modules/@remix-run/serve/dist/cli.js"), "build/index.js"]
      : [...nodeArgs, "--import", "tsx", join(ROOT, "scripts/bench/baseline-server.ts")];
  const log = openSync(logPath, "a");
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      ...benchEnv(databasePath),
      HOST: "127.0.0.1",
      PORT: String(port),
      ...options.env,
    } as unknown as NodeJS.ProcessEnv,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  const marker = kind === "app" ? "[remix-serve]" : "[baseline]";
  const deadline = Date.now() + 60_000;
  while (!readFileSync(logPath, "utf8").includes(marker)) {
    if (child.exitCode !== null)
      throw new Error(`${kind} exited with ${child.exitCode}:\n${readFileSync(logPath, "utf8")}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${kind} did not start within 60 s:\n${readFileSync(logPath, "utf8")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name: kind,
    url: `http://127.0.0.1:${port}`,
    databasePath,
    logPath,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill("SIGKILL"), 15_000);
        child.once("exit", () => (clearTimeout(force), resolve()));
        child.kill("SIGTERM");
      }),
  };
}

export interface LoadResult {
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  /** Answered 2xx per second of wall time. */
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Sends every delivery once (never more, never longer than `maxSeconds`), over
 * `connections` keep-alive connections, optionally at a fixed overall rate.
 */
export async function runLoad(
  url: string,
  deliveries: readonly Delivery[],
  options: { connections: number; overallRate?: number; maxSeconds?: number },
): Promise<LoadResult> {
  let next = 0;
  const started = performance.now();
  // Without a callback autocannon returns its tracker, which is also a promise of the result.
  const instance = autocannon({
    url: url + WEBHOOK_PATH,
    connections: options.connections,
    amount: deliveries.length,
    overallRate: options.overallRate,
    timeout: 30,
    requests: [
      {
        method: "POST",
        setupRequest: (request: autocannon.Request) => {
          const delivery = deliveries[next++ % deliveries.length];
          return { ...request, method: "POST", path: WEBHOOK_PATH, headers: delivery.headers, body: delivery.body };
        },
      },
    ],
  }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  const guard = setTimeout(() => instance.stop(), (options.maxSeconds ?? 120) * 1000);
  const result = await instance;
  clearTimeout(guard);
  return toLoadResult(result, (performance.now() - started) / 1000);
}

function toLoadResult(result: autocannon.Result, seconds: number): LoadResult {
  return {
    sent: result.requests.sent,
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds,
    perSecond: result["2xx"] / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
  };
}

/** GET /healthz as fast as `connections` allow: the server's own per-request cost. */
export async function runCeiling(url: string, amount: number, connections = 64): Promise<LoadResult> {
  const started = performance.now();
  const instance = autocannon({
    url: `${url}/healthz`,
    connections,
    amount,
    timeout: 30,
  }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  const guard = setTimeout(() => instance.stop(), 120_000);
  const result = await instance;
  clearTimeout(guard);
  return toLoadResult(result, (performance.now() - started) / 1000);
}

/**
 * An open-loop load at a fixed rate: delivery i is due at start + i/rate
 * whether or not earlier ones were answered (as Svix sends), over at most
 * `maxSockets` keep-alive connections. Latency is measured from the due time,
 * so time spent queued behind a slow answer counts (no coordinated omission).
 */
export async function runFixedRate(
  url: string,
  deliveries: readonly Delivery[],
  options: { rate: number; maxSockets: number; maxSeconds?: number },
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets });
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  const started = performance.now();
  const deadline = started + (options.maxSeconds ?? 120) * 1000;
  const target = new URL(WEBHOOK_PATH, url);
  const inFlight: Promise<void>[] = [];
  const send = (delivery: Delivery, due: number) =>
    new Promise<void>((resolve) => {
      const req = httpRequest(target, { method: "POST", agent, headers: delivery.headers }, (res) => {
        res.resume();
        res.on("end", () => {
          latencies.push(performance.now() - due);
          if (res.statusCode! >= 200 && res.statusCode! < 300) ok++;
          else non2xx++;
          resolve();
        });
      });
      req.on("error", () => (errors++, resolve()));
      req.end(delivery.body);
    });
  while (sent < deliveries.length && performance.now() < deadline) {
    const now = performance.now();
    while (sent < deliveries.length && started + (sent * 1000) / options.rate <= now) {
      inFlight.push(send(deliveries[sent]!, started + (sent * 1000) / options.rate));
      sent++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return {
    sent,
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

export function countRows(databasePath: string): { users: number; events: number } {
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    const users = (db.prepare("select count(*) n from users").get() as { n: number }).n;
    const events = (db.prepare("select count(*) n from webhook_events").get() as { n: number }).n;
    return { users, events };
  } finally {
    db.close();
  }
}

export function describeMachine(): string {
  const cpu = cpus();
  return [
    `${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown CPU"}`,
    `${Math.round(totalmem() / 2 ** 30)} GiB RAM`,
    `Node ${process.version}`,
    `load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  ].join(", ");
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
