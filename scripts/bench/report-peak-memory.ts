/**
 * Preloaded into a process under measurement (`node --import …/report-peak-memory.ts`):
 * on exit it writes the process's peak resident memory and the CPU time it used to
 * $BENCH_PEAK_MEMORY_FILE.
 * The measured program itself is left untouched.
 */
import { writeFileSync } from "node:fs";

const out = process.env.BENCH_PEAK_MEMORY_FILE;
if (out) {
  // What the memory was made of when RSS was highest (sampled), to know what to cut.
  let atPeak = process.memoryUsage();
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    if (now.rss > atPeak.rss) atPeak = now;
  }, 100);
  sampler.unref();
  process.on("exit", () => {
    const usage = process.resourceUsage();
    // maxRSS is in KiB; the CPU times in µs.
    writeFileSync(
      out,
      JSON.stringify({
        peakRssBytes: usage.maxRSS * 1024,
        cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
        atPeak,
      }),
    );
  });
}
