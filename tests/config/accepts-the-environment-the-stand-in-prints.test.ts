import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { loadAppEnv } from "~/env.server";

const BIN = fileURLToPath(new URL("../../packages/clerk-stand-in/bin/clerk-stand-in.js", import.meta.url));

/** Starts `clerk-stand-in start` and collects what it prints up to its control token, then stops it. */
async function printedEnvironment(): Promise<Record<string, string>> {
  const workDir = mkdtempSync(join(tmpdir(), "stand-in-printed-env-"));
  const child = spawn(process.execPath, [BIN, "start", "--port", "0", "--ephemeral"], { cwd: workDir });
  let stdout = "";
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        if (stdout.includes("CLERK_STAND_IN_CONTROL_TOKEN=")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`the stand-in exited (${code}) before printing its environment`)));
    });
  } finally {
    child.kill("SIGTERM");
  }
  return Object.fromEntries([...stdout.matchAll(/^export (\w+)='([^']*)'$/gm)].map((match) => [match[1], match[2]]));
}

it("starts the app on the environment `clerk-stand-in start` tells a developer to paste", async () => {
  const printed = await printedEnvironment();
  expect(printed.OFFLINE_MODE).toBe("1");
  const env = loadAppEnv({ ...printed, DATABASE_URL: join(tmpdir(), "unused.db") });
  expect(env.offlineMode).toBe(true);
  expect(env.clerk.frontendApiHost).toMatch(/^127\.0\.0\.1:\d+/);
});
