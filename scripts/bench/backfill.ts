/**
 * `npm run bench:backfill`: `npm run sync:all` (scripts/sync-all.ts, run exactly
 * as the CLI runs, in its own process) against the offline Clerk stand-in made
 * to behave like Clerk: every Backend API answer takes 150 ms ± 50, and the
 * instance's rate limit is enforced per secret key (429 + Retry-After).
 *
 * For each user count, into a fresh database: wall time, the floor the rate
 * limit allows (pages ÷ allowed requests per second), their ratio, peak RSS of
 * the CLI process, users stored, 429s the stand-in answered; and, in the same
 * run, the old sequential walk (one `getUserList` page after another, as
 * sync:all did before) timed on a few pages and extrapolated to all of them,
 * because at 150 ms a page it takes minutes at a million users.
 *
 * `--distribution uniform,one-burst,bursts,gaps` (or `all`) seeds the users with
 * those sign-up timelines (the stand-in's SEED_DISTRIBUTIONS) and runs each at
 * every count, production limit; the table then has a row per distribution and
 * the goal is every one within 1.5 × the floor. Without it: uniform, as before.
 *
 * Options (env):
 *   BENCH_BACKFILL_COUNTS=100000,1000000   production-limit runs (sk_live_ key)
 *   BENCH_BACKFILL_DEV_COUNT=20000          development-limit run (sk_test_ key); 0 skips it
 *   BENCH_BACKFILL_LATENCY=150ms±50
 *   BENCH_BACKFILL_OLD_WALK_PAGES=20        pages the old walk is timed on; 0 skips it
 *   BENCH_SYNC_ALL_NODE_OPTIONS="--import tsx"  instead of package.json's (to measure its V8 flags)
 *   BENCH_PAGE_READER=fetch                 sync:all reads pages with fetch + JSON.parse (bench/fetch-page-reader.ts)
 *   BENCH_BACKFILL_MAX_SECONDS=900          a run that takes longer is killed and reported
 *   BENCH_BACKFILL_SETTLE_SECONDS=10        pause before the old walk, so the bucket refills
 *   BENCH_PROFILE=1                         run the CLI under --cpu-prof and print its top frames
 *   BENCH_PROFILE_STAND_IN=1                profile this process (the stand-in) while the CLI runs
 *   BENCH_MEMORY_DETAIL=1                   print what sync:all's memory was made of at its highest
 *   BENCH_CLI_NODE_FLAGS="--trace-gc"       extra node/V8 flags for the CLI
 *   BENCH_CLI_OUTPUT=/tmp/sync-all.log      where to keep the CLI's output (e.g. that GC trace)
 */
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClerkClient } from "@clerk/backend";
import { generateUsers, startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { summariseProfile } from "./cpu-profile-summary";
import { countRows, describeMachine, fmt, ROOT } from "./support";

const COUNTS = (process.env.BENCH_BACKFILL_COUNTS ?? "100000,1000000")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const DEV_COUNT = Number(process.env.BENCH_BACKFILL_DEV_COUNT ?? 20_000);
const LATENCY = process.env.BENCH_BACKFILL_LATENCY ?? "150ms±50";
const OLD_WALK_PAGES = Number(process.env.BENCH_BACKFILL_OLD_WALK_PAGES ?? 20);
const MAX_SECONDS = Number(process.env.BENCH_BACKFILL_MAX_SECONDS ?? 900);
const SETTLE_SECONDS = Number(process.env.BENCH_BACKFILL_SETTLE_SECONDS ?? 10);
const PAGE = 500;
type Distribution = NonNullable<Parameters<typeof generateUsers>[0]["distribution"]>;
const DISTRIBUTIONS: Distribution[] = ["uniform", "one-burst", "bursts", "gaps"];
const { values: args } = parseArgs({ options: { distribution: { type: "string" } } });
const CHOSEN: Distribution[] | null =
  args.distribution === undefined
    ? null
    : args.distribution === "all"
      ? DISTRIBUTIONS
      : args.distribution.split(",").map((name) => {
          if (!DISTRIBUTIONS.includes(name as Distribution)) {
            throw new Error(`--distribution: ${name} is not one of ${DISTRIBUTIONS.join(", ")}, all`);
          }
          return name as Distribution;
        });
const MiB = 1024 * 1024;
const LIMITS = { production: { requests: 1000, windowSeconds: 10 }, development: { requests: 100, windowSeconds: 10 } };

interface CliRun {
  seconds: number;
  /** The backfill's own time, from its summary line (without node + tsx start-up). */
  backfillSeconds: number;
  peakRssBytes: number;
  /** CPU the CLI used (user + system): above the wall time's share, it waited for the CPU, not for Clerk. */
  cpuSeconds: number;
  code: number | null;
  output: string;
  databasePath: string;
}

/** `node <these> scripts/sync-all.ts`, as package.json's sync:all script has them. */
function syncAllNodeOptions(): string[] {
  if (process.env.BENCH_SYNC_ALL_NODE_OPTIONS) return process.env.BENCH_SYNC_ALL_NODE_OPTIONS.split(" ");
  const { scripts } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const match = /^node (.*) scripts\/sync-all\.ts$/.exec(scripts["sync:all"] ?? "");
  if (!match) throw new Error(`package.json's sync:all is not "node … scripts/sync-all.ts": ${scripts["sync:all"]}`);
  return match[1].split(" ");
}

function runSyncAll(standIn: ClerkStandIn, profileDir?: string): Promise<CliRun> {
  const dir = mkdtempSync(join(tmpdir(), "clerk-sync-bench-backfill-"));
  const databasePath = join(dir, "app.db");
  const memoryFile = join(dir, "peak.json");
  const child = spawn(
    process.execPath,
    [
      ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
      ...(process.env.BENCH_CLI_NODE_FLAGS ? process.env.BENCH_CLI_NODE_FLAGS.split(" ") : []),
      // The node options `npm run sync:all` gives it (package.json), so what is measured is what people run.
      ...syncAllNodeOptions(),
      "--import",
      join(ROOT, "scripts/bench/report-peak-memory.ts"),
      ...(process.env.BENCH_PAGE_READER === "fetch"
        ? ["--import", join(ROOT, "scripts/bench/fetch-page-reader.ts")]
        : []),
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
  const started = performance.now();
  const guard = setTimeout(() => child.kill("SIGKILL"), MAX_SECONDS * 1000);
  return new Promise((resolve) => {
    child.once("exit", (code) => {
      clearTimeout(guard);
      const seconds = (performance.now() - started) / 1000;
      let peakRssBytes = Number.NaN;
      let cpuSeconds = Number.NaN;
      try {
        let atPeak: Record<string, number> | undefined;
        ({ peakRssBytes, cpuSeconds, atPeak } = JSON.parse(readFileSync(memoryFile, "utf8")) as {
          peakRssBytes: number;
          cpuSeconds: number;
          atPeak?: Record<string, number>;
        });
        if (atPeak && process.env.BENCH_MEMORY_DETAIL === "1") {
          const parts = Object.entries(atPeak).map(([key, bytes]) => `${key} ${fmt(bytes / MiB)}`);
          console.log(`sync:all memory at its highest sample (MiB): ${parts.join(", ")}`);
        }
      } catch {
        // killed before it could report
      }
      if (process.env.BENCH_CLI_OUTPUT) writeFileSync(process.env.BENCH_CLI_OUTPUT, output);
      const summary = /Synced [\d,]+ users from Clerk in ([\d.]+) s/.exec(output);
      resolve({
        seconds,
        backfillSeconds: summary ? Number(summary[1]) : Number.NaN,
        peakRssBytes,
        cpuSeconds,
        code,
        output,
        databasePath,
      });
    });
  });
}

/** The walk sync:all made before: `getUserList` (a list and a count) one page after another, timed on `pages` pages. */
async function timeOldWalk(standIn: ClerkStandIn, pages: number): Promise<number> {
  const env = standIn.env();
  const client = createClerkClient({ secretKey: env.CLERK_SECRET_KEY, apiUrl: env.CLERK_API_URL });
  const started = performance.now();
  let cursor: string | undefined;
  for (let page = 0; page < pages; page++) {
    const params = { orderBy: "+created_at", limit: PAGE, startingAfter: cursor } as Parameters<
      typeof client.users.getUserList
    >[0];
    const { data } = await client.users.getUserList(params);
    if (data.length < PAGE) break;
    cursor = data.at(-1)!.id;
  }
  return (performance.now() - started) / 1000 / pages;
}

interface Result {
  label: string;
  distribution: Distribution;
  count: number;
  run: CliRun;
  floorSeconds: number;
  stored: number;
  rejected: number;
  /** Backend API requests the stand-in received during the run (the floor counts one per page of 500). */
  requests: number;
  oldWalkSeconds: number | null;
}

async function measure(
  kind: "production" | "development",
  count: number,
  distribution: Distribution = "uniform",
): Promise<Result> {
  const limit = LIMITS[kind];
  const standIn = await startClerkStandIn({
    port: 0,
    latency: LATENCY,
    rateLimit: kind,
    // sk_live_ for production, sk_test_ for development: sync:all picks its limiter from it.
    publishableKeyKind: kind === "production" ? "live" : "test",
  });
  try {
    // In slices: seed() hands back a copy of what it stored, and a million copies at once would double the heap.
    const users = generateUsers({ count, emailPrefix: `bench${count}`, distribution });
    for (let start = 0; start < users.length; start += 50_000) standIn.store.seed(users.slice(start, start + 50_000));
    users.length = 0;
    let requests = 0;
    const stopCounting = standIn.observeBackendApi((event) => {
      if (event.phase === "received") requests++;
    });
    const profileDir =
      process.env.BENCH_PROFILE === "1" ? mkdtempSync(join(tmpdir(), "clerk-sync-cpuprof-backfill-")) : undefined;
    // The stand-in shares this machine's cores with sync:all: its CPU says how much of them it took.
    const standInProfile = process.env.BENCH_PROFILE_STAND_IN === "1" ? new Session() : null;
    if (standInProfile) {
      standInProfile.connect();
      await standInProfile.post("Profiler.enable");
      await standInProfile.post("Profiler.start");
    }
    const standInCpuBefore = process.cpuUsage();
    const run = await runSyncAll(standIn, profileDir);
    const standInCpu = process.cpuUsage(standInCpuBefore);
    stopCounting();
    if (standInProfile) {
      const { profile } = await standInProfile.post("Profiler.stop");
      const file = join(mkdtempSync(join(tmpdir(), "clerk-sync-cpuprof-stand-in-")), "stand-in.cpuprofile");
      writeFileSync(file, JSON.stringify(profile));
      console.log(`the stand-in while sync:all ran:\n${summariseProfile(file, 25)}`);
      standInProfile.disconnect();
    }
    const standInCpuSeconds = (standInCpu.user + standInCpu.system) / 1e6;
    if (profileDir) {
      const files = readdirSync(profileDir).map((f) => join(profileDir, f));
      const main = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
      if (main) console.log(summariseProfile(main, 25));
    }
    if (run.code !== 0) {
      console.error(`sync:all exited with ${run.code}:\n${run.output.slice(-4000)}`);
      process.exitCode = 1;
    }
    // What the run said about users it could not cut apart (created in one millisecond).
    for (const line of run.output.split("\n").filter((text) => /millisecond/.test(text)))
      console.log(`  ${line.trim()}`);
    const rejected = standIn.rateLimit?.rejected ?? 0;
    const pages = Math.ceil(count / PAGE);
    const oldWalkPages = Math.min(OLD_WALK_PAGES, pages);
    let perPage: number | null = null;
    if (oldWalkPages > 0) {
      // The old walk, after the new run and on a refilled bucket, so neither slows the other.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_SECONDS * 1000));
      perPage = await timeOldWalk(standIn, oldWalkPages);
    }
    const result: Result = {
      label: kind,
      distribution,
      count,
      run,
      floorSeconds: pages / (limit.requests / limit.windowSeconds),
      stored: countRows(run.databasePath).users,
      rejected,
      requests,
      oldWalkSeconds: perPage === null ? null : perPage * (pages + 1),
    };
    const oldWalk =
      perPage === null
        ? ""
        : `; old walk ~${fmt(result.oldWalkSeconds!)} s (${fmt(perPage * 1000)} ms/page on ${oldWalkPages} pages, extrapolated)`;
    console.log(
      `${kind} ${distribution} ${fmt(count)} users: backfill ${fmt(run.backfillSeconds, 1)} s (wall ${fmt(run.seconds, 1)} s), floor ${fmt(result.floorSeconds, 1)} s, ` +
        `ratio ${fmt(run.backfillSeconds / result.floorSeconds, 2)}, ${fmt(requests)} requests for ${fmt(pages)} pages, peak RSS ${fmt(run.peakRssBytes / MiB)} MiB, ` +
        `CPU ${fmt(run.cpuSeconds, 1)} s (stand-in ${fmt(standInCpuSeconds, 1)} s), ${fmt(result.stored)} rows, ${rejected} × 429${oldWalk}`,
    );
    return result;
  } finally {
    await standIn.close();
  }
}

async function main() {
  console.log(`machine: ${describeMachine()}`);
  console.log(
    `stand-in: Backend API latency ${LATENCY}; rate limit per secret key (production 1000/10 s, development 100/10 s)`,
  );
  // What node, tsx and the modules cost before the first user: part of every peak below.
  const empty = await startClerkStandIn({ port: 0, publishableKeyKind: "live" });
  try {
    const baseline = await runSyncAll(empty);
    console.log(
      `baseline: sync:all with no users peaks at ${fmt(baseline.peakRssBytes / MiB)} MiB RSS (node + tsx + modules)`,
    );
  } finally {
    await empty.close();
  }
  const results: Result[] = [];
  for (const distribution of CHOSEN ?? ["uniform" as const]) {
    for (const count of COUNTS) results.push(await measure("production", count, distribution));
  }
  if (DEV_COUNT > 0 && !CHOSEN) results.push(await measure("development", DEV_COUNT));

  console.log("\nsummary (backfill s = sync:all's own time; wall adds node + tsx start-up):");
  console.log(
    "limit        users      backfill s   floor s   ratio   peak RSS MiB   rows ok   429s   old walk s (extrapolated)   speed-up   distribution   requests",
  );
  for (const r of results) {
    console.log(
      [
        r.label.padEnd(11),
        fmt(r.count).padStart(9),
        fmt(r.run.backfillSeconds, 1).padStart(11),
        fmt(r.floorSeconds, 1).padStart(8),
        fmt(r.run.backfillSeconds / r.floorSeconds, 2).padStart(6),
        fmt(r.run.peakRssBytes / MiB).padStart(13),
        (r.stored === r.count ? "✓" : `✗ ${r.stored}`).padStart(8),
        String(r.rejected).padStart(5),
        (r.oldWalkSeconds === null ? "—" : fmt(r.oldWalkSeconds)).padStart(26),
        (r.oldWalkSeconds === null ? "—" : `${fmt(r.oldWalkSeconds / r.run.backfillSeconds, 1)}×`).padStart(9),
        r.distribution.padStart(13),
        fmt(r.requests).padStart(9),
      ].join("  "),
    );
  }
  const production = results.filter((r) => r.label === "production");
  if (production.length === 0) return;
  console.log("\ngoals:");
  const missed = results.filter((r) => r.stored !== r.count).length;
  const provoked = results.reduce((sum, r) => sum + r.rejected, 0);
  if (CHOSEN) {
    for (const r of production) {
      const ratio = r.run.backfillSeconds / r.floorSeconds;
      console.log(
        `  ≤ 1.5 × floor, ${r.distribution} at ${fmt(r.count)} users: ${fmt(ratio, 2)} ${ratio <= 1.5 ? "✓" : "✗"}`,
      );
    }
  } else {
    const largest = production.at(-1)!;
    const ratio = largest.run.backfillSeconds / largest.floorSeconds;
    console.log(`  ≤ 1.15 × floor at ${fmt(largest.count)} users: ${fmt(ratio, 2)} ${ratio <= 1.15 ? "✓" : "✗"}`);
    console.log(
      `  peak RSS < 250 MB: ${fmt(largest.run.peakRssBytes / 1e6)} MB ${largest.run.peakRssBytes < 250e6 ? "✓" : "✗"}`,
    );
    if (production.length > 1) {
      const growth = largest.run.peakRssBytes / production[0]!.run.peakRssBytes;
      console.log(
        `  flat (≤ 1.2× from ${fmt(production[0]!.count)} to ${fmt(largest.count)}): ${fmt(growth, 2)}× ${growth <= 1.2 ? "✓" : "✗"}`,
      );
    }
  }
  console.log(
    `  no user missed or doubled: ${missed === 0 ? "✓" : "✗"}; 429s provoked: ${provoked} ${provoked === 0 ? "✓" : "✗"}`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
