/**
 * Preloaded into a process under measurement (`node --import …/report-peak-memory.ts`):
 * on exit it writes the process's peak resident memory to $BENCH_PEAK_MEMORY_FILE.
 * The measured program itself is left untouched.
 */
import { writeFileSync } from "node:fs";

const out = process.env.BENCH_PEAK_MEMORY_FILE;
if (out) {
  process.on("exit", () => {
    // resourceUsage().maxRSS is in KiB.
    writeFileSync(out, JSON.stringify({ peakRssBytes: process.resourceUsage().maxRSS * 1024 }));
  });
}
