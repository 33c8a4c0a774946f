/**
 * `npm run bench:backfill`: `npm run sync:all` (scripts/sync-all.ts, run exactly
 * as the CLI runs) against the offline Clerk stand-in seeded with 10,000 and
 * then 100,000 users, each into a fresh database. Reports wall time, users per
 * second and the CLI process's peak RSS, so memory can be seen to stay flat as
 * the count grows.
 *
 * Baseline, in the same run: the same users listed page by page (500 a page)
 * from the same stand-in with plain fetch and thrown away — the floor set by
 * the stand-in and HTTP. Ratio = backfill users/s ÷ listing users/s.
 *
 * Options (env): BENCH_BACKFILL_COUNTS=10000,100000; BENCH_PROFILE=1 runs the
 * CLI under `node --cpu-prof` and prints its top frames.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { summariseProfile } from "./cpu-profile-summary";
import { countRows, describeMachine, fmt, ROOT } from "./support";

const COUNTS = (process.env.BENCH_BACKFILL_COUNTS ?? "10000,100000").split(",").map(Number);
const MAX_SECONDS = 300;
const MiB = 1024 * 1024;

async function control(standIn: ClerkStandIn, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${standIn.url}/_control/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${standIn.controlToken}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`stand-in ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** The floor: every page of users fetched and discarded, as fast as one client can. */
async function listEverything(standIn: ClerkStandIn, expected: number): Promise<number> {
  const { CLERK_SECRET_KEY } = standIn.env();
  const started = performance.now();
  let seen = 0;
  // The same walk the backfill makes: oldest first, a `starting_after` cursor per page.
  for (let cursor = ""; ; ) {
    const after = cursor ? `&starting_after=${cursor}` : "";
    const response = await fetch(`${standIn.url}/v1/users?limit=500&order_by=%2Bcreated_at${after}`, {
      headers: { authorization: `Bearer ${CLERK_SECRET_KEY}` },
    });
    const page = (await response.json()) as { id: string }[];
    seen += page.length;
    if (page.length < 500) break;
    cursor = page.at(-1)!.id;
  }
  if (seen !== expected) throw new Error(`listed ${seen} users, expected ${expected}`);
  return (performance.now() - started) / 1000;
}

interface CliRun {
  seconds: number;
  peakRssBytes: number;
  code: number | null;
  output: string;
  databasePath: string;
}

function runSyncAll(standIn: ClerkStandIn, profileDir?: string): Promise<CliRun> {
  const dir = mkdtempSync(join(tmpdir(), "clerk-sync-bench-backfill-"));
  const databasePath = join(dir, "app.db");
  const memoryFile = join(dir, "peak.json");
  const child = spawn(
    process.execPath,
    [...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []), "--import", "tsx", "--import", join(ROOT, "scripts/bench/report-peak-memory.ts"), join(ROOT, "scripts/sync-all.ts")],
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
      try {
        peakRssBytes = (JSON.parse(readFileSync(memoryFile, "utf8")) as { peakRssBytes: number }).peakRssBytes;
      } catch {
        // killed before it could report
      }
      resolve({ seconds, peakRssBytes, code, output, databasePath });
    });
  });
}

async function main() {
  console.log(`machine: ${describeMachine()}`);
  const standIn = await startClerkStandIn({ port: 0 });
  const results: { count: number; run: CliRun; listingSeconds: number; stored: number }[] = [];
  try {
    for (const count of COUNTS) {
      await control(standIn, "reset");
      await control(standIn, "seed", { count });
      const listingSeconds = await listEverything(standIn, count);
      const profileDir = process.env.BENCH_PROFILE === "1" ? mkdtempSync(join(tmpdir(), "clerk-sync-cpuprof-backfill-")) : undefined;
      const run = await runSyncAll(standIn, profileDir);
      if (profileDir) {
        // The busiest profile is the CLI's main thread (tsx's loader thread is nearly idle).
        const files = readdirSync(profileDir).map((f) => join(profileDir, f));
        const main = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
        if (main) console.log(summariseProfile(main, 25));
      }
      if (run.code !== 0) {
        console.error(`sync:all exited with ${run.code}:\n${run.output}`);
        process.exitCode = 1;
      }
      const stored = countRows(run.databasePath).users;
      results.push({ count, run, listingSeconds, stored });
      console.log(
        `${fmt(count)} users: sync:all ${fmt(run.seconds, 2)} s (${fmt(count / run.seconds)} users/s), ` +
          `peak RSS ${fmt(run.peakRssBytes / MiB)} MiB, ${fmt(stored)} rows; ` +
          `baseline listing ${fmt(listingSeconds, 2)} s (${fmt(count / listingSeconds)} users/s); ` +
          `ratio ${fmt(listingSeconds / run.seconds, 2)}`,
      );
    }
  } finally {
    await standIn.close();
  }

  console.log("\nsummary (wall time includes node + tsx start-up, ~0.5 s):");
  console.log("users      sync:all s   users/s   peak RSS MiB   rows ok   listing-only users/s   ratio");
  for (const { count, run, listingSeconds, stored } of results) {
    console.log(
      [
        fmt(count).padEnd(9),
        fmt(run.seconds, 2).padStart(10),
        fmt(count / run.seconds).padStart(9),
        fmt(run.peakRssBytes / MiB).padStart(14),
        (stored === count ? "✓" : `✗ ${stored}`).padStart(9),
        fmt(count / listingSeconds).padStart(22),
        fmt(listingSeconds / run.seconds, 2).padStart(7),
      ].join("  "),
    );
  }
  const largest = results.at(-1);
  if (largest) {
    console.log("\ngoals:");
    console.log(`  ${fmt(largest.count)} users under 15 s: ${fmt(largest.run.seconds, 2)} s ${largest.run.seconds < 15 ? "✓" : "✗"}`);
    console.log(`  peak under 250 MB: ${fmt(largest.run.peakRssBytes / 1e6)} MB ${largest.run.peakRssBytes < 250e6 ? "✓" : "✗"}`);
    if (results.length > 1) {
      const growth = largest.run.peakRssBytes / results[0]!.run.peakRssBytes;
      console.log(`  memory flat: peak at ${fmt(largest.count)} is ${fmt(growth, 2)}× the peak at ${fmt(results[0]!.count)}`);
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
