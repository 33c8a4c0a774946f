import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/app-server";

// CI runs bench:backfill small and fast (the 1,000,000-user run is for docs/benchmarks.md, by hand).
function runBench() {
  const child = spawn(process.execPath, [`${ROOT}/node_modules/tsx/dist/cli.mjs`, "scripts/bench/backfill.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      BENCH_BACKFILL_COUNTS: "3000",
      BENCH_BACKFILL_DEV_COUNT: "1000",
      BENCH_BACKFILL_LATENCY: "20ms±10",
      BENCH_BACKFILL_OLD_WALK_PAGES: "2",
      BENCH_BACKFILL_SETTLE_SECONDS: "0",
    } as unknown as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once("close", (code) => resolve({ code, output })),
  );
}

describe("npm run bench:backfill (small)", () => {
  it("backfills under the stand-in's production and development limits and reports floor, ratio, memory and the old walk", async () => {
    const { code, output } = await runBench();
    expect(code, output).toBe(0);
    expect(output).toMatch(/^production\s+3,000\s+[\d.]+\s+0\.1\s+[\d.]+\s+\d+\s+✓\s+0\s+\d+/m);
    expect(output).toMatch(/^development\s+1,000\s+[\d.]+\s+0\.2\s+[\d.]+\s+\d+\s+✓\s+0\s+\d+/m);
    expect(output).toMatch(/old walk ~[\d,]+ s \([\d,]+ ms\/page on 2 pages, extrapolated\)/);
    expect(output).toContain("no user missed or doubled: ✓; 429s provoked: 0 ✓");
  });
});
