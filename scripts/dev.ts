import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { consoleLogger } from "@clerk-sync/clerk-stand-in";
import { DEMO_USER, hasRealClerkKeys, startOfflineClerk, type OfflineClerk } from "./offline-env.js";

/**
 * `npm run dev`            → `remix dev` (which runs `remix-serve build/index.js` itself)
 * `npm run start:offline`  → `remix-serve build/index.js` on an existing build, NODE_ENV=production
 *
 * With real Clerk keys in the environment (CLERK_SECRET_KEY and
 * CLERK_PUBLISHABLE_KEY) the app runs against Clerk and nothing else starts.
 * Without them, the offline Clerk stand-in starts in this process and the app
 * gets its keys and URLs, plus OFFLINE_MODE=1. `npm start` never does this:
 * a production start without keys must be asked for, and `start:offline` is
 * that ask.
 */

const root = fileURLToPath(new URL("..", import.meta.url));
/** Where the stand-in remembers users, sessions and keys between runs; `npm run clerk:stand-in -- reset` empties it. */
const STAND_IN_STATE_FILE = join(root, "data", "clerk-stand-in.db");
/** The stand-in's per-run control token, 0600, where `npm run clerk:stand-in -- …` looks for it by default. */
const STAND_IN_CONTROL_TOKEN_FILE = join(root, "data", "clerk-stand-in.control.json");
const production = process.argv.includes("--production");

function bin(name: string): string {
  return join(root, "node_modules", ".bin", name);
}

function appCommand(): [string, string[]] {
  return production ? [bin("remix-serve"), ["build/index.js"]] : [bin("remix"), ["dev"]];
}

function banner(offline: OfflineClerk): string {
  const { standIn, appUrl } = offline;
  const lines = [
    `clerk-sync — OFFLINE MODE${production ? " (production build)" : ""}: a local Clerk stand-in replaces Clerk; nothing leaves this machine.`,
    ``,
    `  App          ${appUrl}`,
    `               (open it as "localhost", not 127.0.0.1: Clerk's cookies must reach app and stand-in alike)`,
    `  Sign in as   ${DEMO_USER.email}  /  ${DEMO_USER.password}`,
    `               or sign up with any email and a password of 8+ characters (no email code needed)`,
    `  Stand-in     ${standIn.url}  (Backend API, Frontend API at /fapi, clerk-js at /clerk-js)`,
    `  Webhooks     → ${standIn.deliveries.endpoints.join(", ")}`,
    `  Inspect      npm run clerk:stand-in -- users | deliveries | fault …  (--url ${standIn.url})`,
    `               (its control token is in data/clerk-stand-in.control.json, 0600; the CLI reads it from there)`,
    `  Remembers    accounts, sessions and keys in data/clerk-stand-in.db  (start over: npm run clerk:stand-in -- reset)`,
    ``,
    `To use your own Clerk instance instead, set CLERK_PUBLISHABLE_KEY and CLERK_SECRET_KEY.`,
  ];
  const width = Math.max(...lines.map((line) => line.length));
  const rule = "─".repeat(width + 2);
  return [`┌${rule}┐`, ...lines.map((line) => `│ ${line.padEnd(width)} │`), `└${rule}┘`].join("\n");
}

/** Resolves once the app answers HTTP at all, or never if the child exits first (the exit handler ends us). */
async function whenAppAnswers(appUrl: string, child: ChildProcess): Promise<void> {
  while (child.exitCode === null && child.signalCode === null) {
    try {
      await fetch(appUrl, { redirect: "manual", signal: AbortSignal.timeout(5_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, onExit: () => Promise<void>): ChildProcess {
  const child = spawn(command, args, { cwd: root, env, stdio: "inherit" });
  const forward = (signal: NodeJS.Signals) => () => {
    if (child.exitCode === null) child.kill(signal);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, forward(signal));
  child.on("error", (error) => {
    console.error(`Could not start ${command}: ${error.message}`);
    void onExit().finally(() => process.exit(1));
  });
  child.on("exit", (code, signal) => {
    void onExit().finally(() => {
      // A child ended by a signal exits like a shell reports it: 128 + the signal's number.
      process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 1));
    });
  });
  return child;
}

async function main(): Promise<void> {
  if (production && !existsSync(join(root, "build", "index.js"))) {
    console.error("No build found (build/index.js). Run `npm run build` first.");
    process.exit(1);
  }
  const [command, args] = appCommand();
  const baseEnv: NodeJS.ProcessEnv = {
    // @remix-run/dev loads vite-node, which loads Vite's deprecated CJS entry even though the classic
    // compiler never uses Vite: Vite's own switch for a notice the app cannot act on.
    VITE_CJS_IGNORE_WARNING: "true",
    ...process.env,
    ...(production ? { NODE_ENV: "production" } : {}),
  };

  if (hasRealClerkKeys()) {
    console.log(`Clerk keys found in the environment: running against your Clerk instance (no stand-in).`);
    run(command, args, baseEnv, async () => {});
    return;
  }

  let offline: OfflineClerk;
  try {
    // The demo user is seeded once the app answers, so its user.created webhook finds the app listening.
    offline = await startOfflineClerk({
      seedDemoUser: false,
      logger: consoleLogger,
      stateFile: STAND_IN_STATE_FILE,
      controlTokenFile: STAND_IN_CONTROL_TOKEN_FILE,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    console.error(
      code === "EADDRINUSE"
        ? `The Clerk stand-in's port is taken. Free it or choose another: CLERK_STAND_IN_PORT=4011 npm run dev`
        : `Could not start the Clerk stand-in: ${String(error)}`,
    );
    process.exit(1);
  }
  const child = run(command, args, { ...baseEnv, ...offline.env }, () => offline.close());
  await whenAppAnswers(offline.appUrl, child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  offline.seedDemoUser();
  console.log(`\n${banner(offline)}\n`);
}

await main();
