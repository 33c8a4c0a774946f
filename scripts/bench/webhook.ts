/**
 * `npm run bench:webhook`: signed user.created/user.updated deliveries over
 * loopback against the production build (`remix-serve build/index.js`) and, in
 * the same run and interleaved scenario by scenario, against the bare
 * `node:http` baseline that calls the same `processClerkWebhook`. Each server
 * starts with a fresh database. Prints deliveries/s, p50/p99/max latency,
 * errors, rows written, and the ratio app/baseline; the open-loop runs at 100/s
 * and 500/s send on schedule and report p50/p99 from each delivery's due time.
 *
 * Options (env): BENCH_SCALE=0.25 shrinks every run (smoke test);
 * BENCH_PROFILE=1 runs both servers under `node --cpu-prof` and prints the top
 * frames; LOG_LEVEL (default info, as in production) for both servers.
 */
import { mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summariseProfile } from "./cpu-profile-summary";
import {
  countRows,
  describeMachine,
  fmt,
  makeDeliveries,
  runFixedRate,
  runCeiling,
  runLoad,
  startServer,
  type BenchServer,
  type LoadResult,
} from "./support";

const scale = Number(process.env.BENCH_SCALE ?? 1);
const profile = process.env.BENCH_PROFILE === "1";
const n = (count: number) => Math.max(200, Math.round(count * scale));

interface Scenario {
  name: string;
  connections: number;
  count: number;
  overallRate?: number;
}

const scenarios: Scenario[] = [
  { name: "c=1", connections: 1, count: n(3_000) },
  { name: "c=16", connections: 16, count: n(15_000) },
  { name: "c=64", connections: 64, count: n(25_000) },
  { name: "1,000/s fixed rate", connections: 64, count: n(10_000), overallRate: 1_000 },
  // Open loop: deliveries leave on schedule whether or not earlier ones are answered (a bulk
  // import in Clerk sends bursts like these), and latency counts from when each was due.
  { name: "100/s open loop", connections: 64, count: n(2_000), overallRate: 100 },
  { name: "500/s open loop", connections: 64, count: n(5_000), overallRate: 500 },
];

function row(name: string, server: string, r: LoadResult) {
  return [
    name.padEnd(20),
    server.padEnd(9),
    fmt(r.perSecond).padStart(7),
    `${fmt(r.p50, 1)}`.padStart(7),
    `${fmt(r.p99, 1)}`.padStart(7),
    `${fmt(r.max, 1)}`.padStart(8),
    `${r.ok}/${r.sent}`.padStart(13),
    String(r.non2xx + r.errors + r.timeouts).padStart(6),
  ].join("  ");
}

async function main() {
  console.log(`machine: ${describeMachine()}`);
  console.log(
    `LOG_LEVEL=${process.env.LOG_LEVEL ?? "info"}; SQLITE_SYNCHRONOUS=${process.env.SQLITE_SYNCHRONOUS ?? "NORMAL"} (WAL)`,
  );
  const profileDir = profile ? mkdtempSync(join(tmpdir(), "clerk-sync-cpuprof-")) : undefined;
  const servers: Record<"baseline" | "app", BenchServer> = {
    baseline: await startServer("baseline", { cpuProfDir: profileDir && join(profileDir, "baseline") }),
    app: await startServer("app", { cpuProfDir: profileDir && join(profileDir, "app") }),
  };
  const expectedUsers = { baseline: 0, app: 0 };
  const results: { scenario: Scenario; baseline: LoadResult; app: LoadResult }[] = [];
  let ceiling: LoadResult | undefined;
  try {
    // Warm both up (JIT, SQLite page cache) with deliveries that count towards the rows check.
    for (const kind of ["baseline", "app"] as const) {
      const warm = makeDeliveries(n(2_000), `warm${kind}`);
      await runLoad(servers[kind].url, warm, { connections: 16, maxSeconds: 60 });
      expectedUsers[kind] += new Set(warm.map((d) => d.clerkId)).size;
    }
    console.log("");
    console.log(
      [
        "scenario".padEnd(20),
        "server".padEnd(9),
        "deliv/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "2xx/sent".padStart(13),
        "errors",
      ].join("  "),
    );
    for (const scenario of scenarios) {
      const pair: Partial<Record<"baseline" | "app", LoadResult>> = {};
      // Baseline first, then the app, each with its own fresh deliveries, back to back.
      for (const kind of ["baseline", "app"] as const) {
        const deliveries = makeDeliveries(scenario.count, kind);
        expectedUsers[kind] += new Set(deliveries.map((d) => d.clerkId)).size;
        pair[kind] = scenario.overallRate
          ? await runFixedRate(servers[kind].url, deliveries, {
              rate: scenario.overallRate,
              maxSockets: scenario.connections,
            })
          : await runLoad(servers[kind].url, deliveries, { connections: scenario.connections, maxSeconds: 120 });
        console.log(row(scenario.name, kind, pair[kind]!));
      }
      results.push({ scenario, baseline: pair.baseline!, app: pair.app! });
    }
    // What remix-serve itself costs: a route that does (almost) nothing, on the
    // same server, at the same concurrency. No webhook can go faster than this.
    ceiling = await runCeiling(servers.app.url, n(25_000));
    console.log(row("remix-serve GET /healthz c=64", "app", ceiling));
  } finally {
    await Promise.all([servers.baseline.stop(), servers.app.stop()]);
  }

  console.log("\nratio app/baseline (throughput; p99 for the fixed-rate and open-loop runs):");
  for (const { scenario, baseline, app } of results) {
    const figure = scenario.overallRate
      ? `p99 ${fmt(app.p99, 1)} ms vs ${fmt(baseline.p99, 1)} ms`
      : `${fmt(app.perSecond)} / ${fmt(baseline.perSecond)} deliveries/s = ${fmt(app.perSecond / baseline.perSecond, 2)}`;
    console.log(`  ${scenario.name.padEnd(20)} ${figure}`);
  }

  console.log("\nrows written (every 2xx must be a committed row):");
  for (const kind of ["baseline", "app"] as const) {
    const rows = countRows(servers[kind].databasePath);
    const allOk = results.every((r) => r[kind].ok === r.scenario.count);
    console.log(
      `  ${kind.padEnd(9)} users ${rows.users} (expected ${expectedUsers[kind]}), ledger rows ${rows.events}` +
        `${rows.users === expectedUsers[kind] && allOk ? "  ✓" : "  ✗ MISMATCH"}`,
    );
  }

  const c64 = results.find((r) => r.scenario.name === "c=64")!;
  const fixed = results.find((r) => r.scenario.overallRate === 1_000)!;
  const at100 = results.find((r) => r.scenario.overallRate === 100)!;
  const at500 = results.find((r) => r.scenario.overallRate === 500)!;
  console.log("\ngoals:");
  console.log(
    `  ≥ 2,000 deliveries/s at c=64 through remix-serve: ${fmt(c64.app.perSecond)} ${c64.app.perSecond >= 2000 ? "✓" : "✗"}`,
  );
  console.log(`  p99 < 25 ms at 1,000/s: ${fmt(fixed.app.p99, 1)} ms ${fixed.app.p99 < 25 ? "✓" : "✗"}`);
  console.log(
    `  p99 < 15 ms at 100/s open loop: p50 ${fmt(at100.app.p50, 1)} ms, p99 ${fmt(at100.app.p99, 1)} ms ${at100.app.p99 < 15 ? "✓" : "✗"}`,
  );
  console.log(`  at 500/s open loop (no goal): p50 ${fmt(at500.app.p50, 1)} ms, p99 ${fmt(at500.app.p99, 1)} ms`);
  const ratio = c64.app.perSecond / c64.baseline.perSecond;
  console.log(`  ≥ 0.5 × baseline at c=64: ${fmt(ratio, 2)} ${ratio >= 0.5 ? "✓" : "✗"}`);
  if (ceiling) {
    console.log(
      `  for scale: remix-serve answers an empty GET /healthz at ${fmt(ceiling.perSecond)}/s at c=64 here; ` +
        `the webhook reaches ${fmt(c64.app.perSecond / ceiling.perSecond, 2)} of that ceiling`,
    );
  }

  if (profileDir) {
    for (const kind of ["baseline", "app"] as const) {
      const dir = join(profileDir, kind);
      // The largest profile is the main thread (tsx's loader thread, in the baseline, is nearly idle).
      const files = readdirSync(dir)
        .filter((f) => f.endsWith(".cpuprofile"))
        .map((f) => join(dir, f));
      const main = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
      if (main) console.log(`\n--- ${kind} ---\n${summariseProfile(main, 30)}`);
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
