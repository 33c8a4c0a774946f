import { envFile, fromEnvFile } from "./env-file.js";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { consoleLogger } from "@clerk-sync/clerk-stand-in";
import { backfillUsersFromClerk } from "~/backfill/backfill-users.server";
import { openDatabase } from "~/db/db.server";
import { frontendApiHostFromPublishableKey, readClerkConfig, readDatabaseConfig } from "~/env.server";
import { DEMO_USER, realClerkKeys, startOfflineClerk, type OfflineClerk } from "./offline-env.js";

/**
 * `npm run dev`            → `remix dev` (which runs `remix-serve` on its development build in .cache/dev)
 * `npm run start:offline`  → `remix-serve build/index.js`, NODE_ENV=production, building first when needed
 *
 * `.env` is read first (scripts/env-file.js), so the choice below sees it. With real Clerk keys
 * (CLERK_SECRET_KEY and CLERK_PUBLISHABLE_KEY) the app runs against Clerk and nothing else starts.
 * Without them, the offline Clerk stand-in starts in this process and the app gets its keys and URLs,
 * plus OFFLINE_MODE=1. `npm start` never does this: a production start without keys must be asked
 * for, and `start:offline` is that ask.
 */

const root = fileURLToPath(new URL("..", import.meta.url));
/** Where the stand-in remembers users, sessions and keys between runs; `npm run clerk:stand-in -- reset` empties it. */
const STAND_IN_STATE_FILE = join(root, "data", "clerk-stand-in.db");
/** The stand-in's per-run control token, 0600, where the other commands look for it. */
const STAND_IN_CONTROL_TOKEN_FILE = join(root, "data", "clerk-stand-in.control.json");
/** `remix dev` opens its own server (rebuild notices, live reload) with no setting for its address. */
const DEV_SERVER_ON_LOOPBACK = join(root, "scripts", "dev-server-on-loopback.js");
const PRODUCTION_BUILD = join(root, "build", "index.js");
/** How long the app's processes get to stop after Ctrl-C before they are killed. */
const STOP_GRACE_MS = 5_000;
const production = process.argv.includes("--production");

function bin(name: string): string {
  return join(root, "node_modules", ".bin", name);
}

function appCommand(): [string, string[]] {
  return production ? [bin("remix-serve"), [PRODUCTION_BUILD]] : [bin("remix"), ["dev"]];
}

/** What `remix build` wrote, as the server build says of itself; null when there is no build. */
function buildMode(): string | null {
  if (!existsSync(PRODUCTION_BUILD)) return null;
  return /\bmode = "(\w+)"/.exec(readFileSync(PRODUCTION_BUILD, "utf8"))?.[1] ?? "unknown";
}

function banner(offline: OfflineClerk): string {
  const { standIn, appUrl } = offline;
  const lines = [
    `clerk-sync — OFFLINE MODE${production ? " (production build)" : ""}`,
    `A local Clerk stand-in replaces Clerk; nothing leaves this machine.`,
    ``,
    `App        ${appUrl}`,
    `Sign in    ${DEMO_USER.email} / ${DEMO_USER.password}`,
    `           or sign up with any email and a password of 8+ characters`,
    `Stand-in   ${standIn.url} (Backend API, Frontend API, clerk-js)`,
    `Webhooks   → ${standIn.deliveries.endpoints.join(", ")}`,
    `Inspect    npm run clerk:stand-in -- users | deliveries | env | fault`,
    `Tools      npm run sync:all, webhook:send find this stand-in by itself`,
    `Remembers  accounts, sessions, keys: data/clerk-stand-in.db`,
    `           (start over: npm run clerk:stand-in -- reset)`,
    ``,
    `Your own Clerk instead: its keys in .env (docs/going-live.md).`,
  ];
  const width = Math.max(...lines.map((line) => line.length));
  const rule = "─".repeat(width + 2);
  return [`┌${rule}┐`, ...lines.map((line) => `│ ${line.padEnd(width)} │`), `└${rule}┘`].join("\n");
}

/** Resolves once the app answers HTTP at all, or never if the child exits first (the exit handler ends us). */
async function whenAppAnswers(appUrl: string, child: ChildProcess): Promise<void> {
  while (child.exitCode === null && child.signalCode === null) {
    try {
      await fetch(`${appUrl}/healthz`, { redirect: "manual", signal: AbortSignal.timeout(5_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** True while any process of the group is alive (the group's id is its leader's pid). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function stopGroup(pgid: number, signal: NodeJS.Signals): Promise<void> {
  try {
    process.kill(-pgid, signal);
  } catch {
    return; // nothing left
  }
  const deadline = Date.now() + STOP_GRACE_MS;
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (groupAlive(pgid)) {
    console.error(`The app did not stop within ${STOP_GRACE_MS / 1000} s of ${signal}: killing it.`);
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // gone in between
    }
  }
}

/**
 * The app (remix dev, and the remix-serve it starts) runs in a process group of its own, so that Ctrl-C
 * stops every process in it, however deep, and nothing is left holding the port or the database.
 */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, onExit: () => Promise<void>): ChildProcess {
  const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "inherit", "inherit"], detached: true });
  let stopping: Promise<void> | undefined;
  const finish = (code: number) => {
    stopping ??= (child.pid ? stopGroup(child.pid, "SIGTERM") : Promise.resolve())
      .then(onExit)
      .finally(() => process.exit(code));
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (stopping || !child.pid) return;
      // A shell reports a process ended by a signal as 128 + the signal's number.
      const code = 128 + (constants.signals[signal] ?? 0);
      stopping = stopGroup(child.pid, signal)
        .then(onExit)
        .finally(() => process.exit(code));
    });
  }
  child.on("error", (error) => {
    console.error(`Could not start ${command}: ${error.message}`);
    finish(1);
  });
  child.on("exit", (code, signal) => finish(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 1)));
  return child;
}

/** `npm run start:offline` serves a production build: made now when there is none, or when build/ holds another kind. */
async function ensureProductionBuild(): Promise<void> {
  const mode = buildMode();
  if (mode === "production") return;
  console.log(mode ? `build/ holds a ${mode} build: building for production first.` : "No build yet: building first.");
  const build = spawn(bin("remix"), ["build"], {
    cwd: root,
    env: { ...process.env, NODE_ENV: "production", VITE_CJS_IGNORE_WARNING: "true" },
    stdio: "inherit",
  });
  const code = await new Promise<number | null>((resolve) => build.once("exit", resolve));
  if (code !== 0) {
    console.error("`remix build` failed: see above.");
    process.exit(1);
  }
}

/**
 * A new or emptied app database beside a stand-in that remembers its users (`rm data/app.db`, a usual
 * start over) would wait forever for user.created webhooks that were sent long ago: the backfill
 * brings it in step once the app answers, through the same writer as every other door.
 */
async function bringUsersInStep(env: NodeJS.ProcessEnv): Promise<string> {
  const db = openDatabase(readDatabaseConfig(env));
  try {
    const summary = await backfillUsersFromClerk({ clerk: readClerkConfig(env), db });
    const changed = summary.created + summary.updated;
    return changed === 0
      ? `Users table already in step with the stand-in (${plural(summary.listed, "user")}).`
      : `Users table brought in step with the stand-in: ${summary.created} added, ${summary.updated} updated ` +
          `(${plural(summary.listed, "user")} in all).`;
  } finally {
    db.$client.close();
  }
}

function plural(count: number, noun: string): string {
  return `${count.toLocaleString("en-US")} ${noun}${count === 1 ? "" : "s"}`;
}

function describeRealClerk(): string {
  const fromFile = fromEnvFile.has("CLERK_SECRET_KEY") || fromEnvFile.has("CLERK_PUBLISHABLE_KEY");
  const where = fromFile ? envFile.replace(root, "") : "the shell";
  const host = frontendApiHostFromPublishableKey(process.env.CLERK_PUBLISHABLE_KEY?.trim() ?? "");
  return `Clerk keys from ${where}: running against your Clerk instance${host ? ` (${host})` : ""}, no stand-in.`;
}

async function main(): Promise<void> {
  if (production) await ensureProductionBuild();
  const [command, args] = appCommand();
  const baseEnv: NodeJS.ProcessEnv = {
    // @remix-run/dev loads vite-node, which loads Vite's deprecated CJS entry even though the classic
    // compiler never uses Vite: Vite's own switch for a notice the app cannot act on.
    VITE_CJS_IGNORE_WARNING: "true",
    ...process.env,
    ...(production
      ? { NODE_ENV: "production" }
      : {
          NODE_OPTIONS: `--import "${DEV_SERVER_ON_LOOPBACK}" ${process.env.NODE_OPTIONS ?? ""}`.trim(),
          // A development server is for this machine; HOST=0.0.0.0 opens it to the network on purpose.
          HOST: process.env.HOST?.trim() || "127.0.0.1",
        }),
  };

  const keys = realClerkKeys();
  if (keys === "partial") {
    console.error(
      "Only one of CLERK_PUBLISHABLE_KEY and CLERK_SECRET_KEY is set: give both (your Clerk instance) " +
        "or neither (the offline stand-in).",
    );
    process.exit(2);
  }
  if (keys === "both") {
    console.log(describeRealClerk());
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
  const appEnv = { ...baseEnv, ...offline.env };
  const child = run(command, args, appEnv, () => offline.close());
  await whenAppAnswers(offline.appUrl, child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  offline.seedDemoUser();
  console.log(`\n${banner(offline)}\n`);
  try {
    console.log(await bringUsersInStep(appEnv));
  } catch (error) {
    console.error(`Could not bring the users table in step with the stand-in: ${(error as Error).message}`);
    console.error("Run `npm run sync:all` in another terminal to try again.");
  }
}

await main();
