import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig, devices } from "@playwright/test";

// The machine has no Playwright browser downloads: Debian's Chromium is used
// when present, and nothing is ever fetched (`npx playwright install` is off-limits).
const DEBIAN_CHROMIUM = "/usr/bin/chromium";
const root = fileURLToPath(new URL("../../..", import.meta.url));

export default defineConfig({
  testDir: ".",
  testMatch: "*.pw.ts",
  outputDir: `${root}test-results/stand-in-browser`,
  // A slow, shared machine: generous limits instead of flaky ones. Tests wait
  // on conditions, never on sleeps.
  timeout: 120_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    ...devices["Desktop Chrome"],
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: existsSync(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : undefined,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
