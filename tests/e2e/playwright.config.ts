import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "@playwright/test";

const root = fileURLToPath(new URL("../..", import.meta.url));

// Debian's Chromium where it is installed (CI, this project's machines);
// Playwright's own browser on a laptop that ran `npx playwright install chromium`.
const debianChromium = "/usr/bin/chromium";
const launchOptions = {
  executablePath: existsSync(debianChromium) ? debianChromium : undefined,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

export default defineConfig({
  testDir: ".",
  outputDir: `${root}test-results/e2e`,
  globalSetup: "./global-setup.ts",
  // Shared, slow machines: no per-test clock. A hang still ends the run.
  timeout: 0,
  globalTimeout: 30 * 60_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [["list"], ["html", { outputFolder: `${root}test-results/playwright-report`, open: "never" }]],
  use: {
    launchOptions,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    actionTimeout: 30_000,
    navigationTimeout: 60_000,
  },
  projects: [
    {
      name: "offline",
      testMatch: /^(?!.*live\/).*\.test\.ts$/,
    },
    {
      name: "live",
      testMatch: /live\/.*\.test\.ts$/,
    },
  ],
});
