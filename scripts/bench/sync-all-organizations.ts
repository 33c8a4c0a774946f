/**
 * `npm run bench:sync-all-organizations`: `npm run sync:all` (scripts/sync-all.ts,
 * in its own process, with package.json's node options) against the offline
 * Clerk stand-in made to behave like Clerk (every Backend API answer takes
 * 150 ms ± 50, the production rate limit enforced per secret key, an sk_live_
 * key), with 10,000 organizations of 10 members each: 100,000 memberships.
 *
 * Prints each kind's time from the CLI's summary lines, and for organizations
 * and memberships together their floor: the pages they need (500 a page) ÷ the
 * requests a second Clerk allows, and the ratio. Then the same again on the
 * database the first run filled (every row unchanged), which is what a nightly
 * run mostly meets.
 *
 * Options (env):
 *   BENCH_ORGANIZATIONS=10000    organizations
 *   BENCH_MEMBERS=10             members of each
 *   BENCH_USERS=1000             users they are drawn from (each organization takes 10 consecutive ones)
 *   BENCH_LATENCY=150ms±50
 *   BENCH_CLI_NODE_FLAGS="--cpu-prof"   extra node/V8 flags for the CLI
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { generateUsers, startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { describeMachine, fmt, ROOT } from "./support";

const ORGANIZATIONS = Number(process.env.BENCH_ORGANIZATIONS ?? 10_000);
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 10);
const USERS = Number(process.env.BENCH_USERS ?? 1_000);
const LATENCY = process.env.BENCH_LATENCY ?? "150ms±50";
const PAGE = 500;
const PRODUCTION_REQUESTS_PER_SECOND = 1000 / 10;
const MiB = 1024 * 1024;

interface Run {
  code: number | null;
  output: string;
  /** Seconds each kind took, from its summary line. */
  seconds: Record<"users" | "organizations" | "memberships", number>;
  peakRssBytes: number;
  cpuSeconds: number;
  /** Backend API requests the stand-in received, by path. */
  requests: Map<string, number>;
  rejected: number;
}

function syncAllNodeOptions(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const match = /^node (.*) scripts\/sync-all\.ts$/.exec(scripts["sync:all"] ?? "");
  if (!match) throw new Error(`package.json's sync:all is not "node … scripts/sync-all.ts": ${scripts["sync:all"]}`);
  return match[1].split(" ");
}

async function runSyncAll(standIn: ClerkStandIn, databasePath: string): Promise<Run> {
  const memoryFile = join(mkdtempSync(join(tmpdir(), "clerk-sync-bench-orgs-")), "peak.json");
  const requests = new Map<string, number>();
  const stopCounting = standIn.observeBackendApi((event) => {
    if (event.phase !== "received") return;
    const path = event.path.replace(/\/org_[^/]+/, "/{id}");
    requests.set(path, (requests.get(path) ?? 0) + 1);
  });
  const rejectedBefore = standIn.rateLimit?.rejected ?? 0;
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_CLI_NODE_FLAGS ? process.env.BENCH_CLI_NODE_FLAGS.split(" ") : []),
      ...syncAllNodeOptions(),
      "--import",
      join(ROOT, "scripts/bench/report-peak-memory.ts"),
      join(ROOT, "scripts/sync-all.ts"),
    ],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        ...standIn.env(),
        DATABASE_URL: databasePath,
        BENCH_PEAK_MEMORY_FILE: memoryFile,
        NODE_ENV: "production",
      } as unknown as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  stopCounting();
  const secondsOf = (noun: string) =>
    Number(new RegExp(`Synced [\\d,]+ ${noun} from Clerk in ([\\d.]+) s`).exec(output)?.[1] ?? Number.NaN);
  const { peakRssBytes, cpuSeconds } = JSON.parse(readFileSync(memoryFile, "utf8")) as {
    peakRssBytes: number;
    cpuSeconds: number;
  };
  return {
    code,
    output,
    seconds: {
      users: secondsOf("users"),
      organizations: secondsOf("organizations"),
      memberships: secondsOf("memberships"),
    },
    peakRssBytes,
    cpuSeconds,
    requests,
    rejected: (standIn.rateLimit?.rejected ?? 0) - rejectedBefore,
  };
}

function countRows(databasePath: string) {
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    const count = (table: string) =>
      (db.prepare(`select count(*) n from ${table} where deleted_at is null`).get() as { n: number }).n;
    return { organizations: count("organizations"), memberships: count("organization_memberships") };
  } finally {
    db.close();
  }
}

async function main() {
  console.log(`machine: ${describeMachine()}`);
  console.log(
    `stand-in: Backend API latency ${LATENCY}; production rate limit (1000/10 s); ${fmt(ORGANIZATIONS)} organizations × ${MEMBERS} members of ${fmt(USERS)} users`,
  );
  const standIn = await startClerkStandIn({
    port: 0,
    latency: LATENCY,
    rateLimit: "production",
    publishableKeyKind: "live",
  });
  try {
    const users = generateUsers({ count: USERS, emailPrefix: "benchorgs" });
    standIn.store.seed(users);
    const userIds = standIn.store
      .list({ limit: USERS, order_by: "+created_at" }, { maxLimit: Number.MAX_SAFE_INTEGER })
      .map((user) => user.id);
    const seeding = performance.now();
    for (let o = 0; o < ORGANIZATIONS; o++) {
      const organization = standIn.organizations.create({ name: `Bench organization ${o}` });
      for (let m = 0; m < MEMBERS; m++) {
        const userId = userIds[(o * MEMBERS + m) % USERS];
        standIn.organizations.addMember(organization.id, userId, { role: m === 0 ? "org:admin" : "org:member" });
      }
    }
    console.log(`seeded the stand-in in ${fmt((performance.now() - seeding) / 1000, 1)} s`);

    const databasePath = join(mkdtempSync(join(tmpdir(), "clerk-sync-bench-orgs-db-")), "app.db");
    const memberships = ORGANIZATIONS * MEMBERS;
    const pages = Math.ceil(ORGANIZATIONS / PAGE) + Math.ceil(memberships / PAGE);
    const floorSeconds = pages / PRODUCTION_REQUESTS_PER_SECOND;
    const rows: string[] = [];
    for (const label of ["into an empty database", "again, nothing changed"]) {
      // The bucket refills between runs, as it would between nightly runs.
      if (rows.length) await new Promise((resolve) => setTimeout(resolve, 10_000));
      const run = await runSyncAll(standIn, databasePath);
      if (run.code !== 0) {
        console.error(`sync:all exited with ${run.code}:\n${run.output.slice(-4000)}`);
        process.exitCode = 1;
        return;
      }
      const stored = countRows(databasePath);
      const organizationSeconds = run.seconds.organizations + run.seconds.memberships;
      const organizationRequests =
        (run.requests.get("/v1/organizations") ?? 0) + (run.requests.get("/v1/organization_memberships") ?? 0);
      const line = [
        label.padEnd(24),
        fmt(run.seconds.users, 1).padStart(7),
        fmt(run.seconds.organizations, 1).padStart(7),
        fmt(run.seconds.memberships, 1).padStart(7),
        fmt(floorSeconds, 1).padStart(7),
        fmt(organizationSeconds / floorSeconds, 2).padStart(6),
        `${fmt(organizationRequests)}/${fmt(pages)}`.padStart(10),
        fmt(run.peakRssBytes / MiB).padStart(5),
        fmt(run.cpuSeconds, 1).padStart(6),
        String(run.rejected).padStart(5),
        (stored.organizations === ORGANIZATIONS && stored.memberships === memberships
          ? "✓"
          : `✗ ${JSON.stringify(stored)}`
        ).padStart(5),
      ].join("  ");
      console.log(line);
      rows.push(line);
    }
    console.log(
      "\nrun                         users s  orgs s  mems s  floor s  ratio  requests/pages  peak MiB  CPU s  429s  rows",
    );
    for (const row of rows) console.log(row);
    console.log(
      `\nfloor = ${fmt(pages)} pages of organizations and memberships ÷ ${PRODUCTION_REQUESTS_PER_SECOND} requests/s; ratio = (orgs s + mems s) ÷ floor`,
    );
  } finally {
    await standIn.close();
  }
}

await main();
