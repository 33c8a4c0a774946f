import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll } from "vitest";
import { ROOT, startBuiltApp, type RunningApp } from "../support/app-server";
import { signBody, type SignOptions } from "../support/clerk-webhooks";
import { TEST_WEBHOOK_SECRET } from "../support/test-env";

/**
 * The reliability suite drives the production build (`remix-serve`) over
 * loopback with plain `node:http` (so that thousands of requests cost the test
 * little), and checks the SQLite file the way an outside tool would.
 */

export const WEBHOOK_PATH = "/api/webhooks/clerk";

export interface ServedApp extends RunningApp {
  databasePath: string;
}

export function freshDatabasePath(label: string): string {
  return join(mkdtempSync(join(tmpdir(), `clerk-sync-reliability-${label}-`)), "app.db");
}

export async function startApp(databasePath: string, env: Record<string, string> = {}): Promise<ServedApp> {
  const app = await startBuiltApp({
    DATABASE_URL: databasePath,
    CLERK_WEBHOOK_SIGNING_SECRET: TEST_WEBHOOK_SECRET,
    CLERK_PUBLISHABLE_KEY: process.env.CLERK_PUBLISHABLE_KEY,
    CLERK_SECRET_KEY: process.env.CLERK_SECRET_KEY,
    // Errors only: thousands of deliveries would otherwise fill the test's memory with log lines.
    LOG_LEVEL: "error",
    ...env,
  });
  return Object.assign(app, { databasePath });
}

/** The production build on a fresh database of its own, for the whole test file. */
export function appForThisFile(label: string): { databasePath: string; app: ServedApp } {
  const served = { databasePath: freshDatabasePath(label), app: undefined as unknown as ServedApp };
  beforeAll(async () => {
    served.app = await startApp(served.databasePath);
  });
  afterAll(async () => {
    await served.app?.stop();
  });
  return served;
}

export interface Reply {
  /** 0 when the connection failed (refused, reset, server killed). */
  status: number;
  body: string;
  error?: string;
}

/** One POST; never throws: a failed connection is status 0, as a sender sees it. */
export function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
  agent: Agent,
): Promise<Reply> {
  return new Promise((resolve) => {
    const target = new URL(WEBHOOK_PATH, url);
    const req = httpRequest(
      target,
      { method: "POST", agent, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (error) => resolve({ status: 0, body: "", error: String(error) }));
      },
    );
    req.on("error", (error) => resolve({ status: 0, body: "", error: String(error) }));
    req.end(body);
  });
}

export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return results;
}

export interface SignedDelivery {
  svixId: string;
  body: string;
  headers: Record<string, string>;
}

/** A delivery as Svix sends it; `resign()` is a retry: same svix-id and body, a fresh timestamp. */
export function signedDelivery(payload: unknown, options: SignOptions = {}): SignedDelivery {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  const headers = signBody(body, options);
  return { svixId: headers["svix-id"], body, headers };
}

export function resign(delivery: SignedDelivery): SignedDelivery {
  return signedDelivery(delivery.body, { svixId: delivery.svixId });
}

/** A read-write handle for checks (it also recovers the WAL after a crash); close it before the app reopens the file. */
export function openForChecks(databasePath: string): Database.Database {
  return new Database(databasePath, { fileMustExist: true });
}

export function counts(databasePath: string): { users: number; events: number } {
  const db = openForChecks(databasePath);
  try {
    return {
      users: (db.prepare("select count(*) n from users").get() as { n: number }).n,
      events: (db.prepare("select count(*) n from webhook_events").get() as { n: number }).n,
    };
  } finally {
    db.close();
  }
}

const lockHolder = `
  const Database = require(${JSON.stringify(`${ROOT}node_modules/better-sqlite3`)});
  const db = new Database(process.argv[1]);
  db.exec("BEGIN IMMEDIATE");
  process.stdout.write("held\\n");
  setTimeout(() => (db.exec("COMMIT"), db.close()), Number(process.argv[2]));
`;

export interface LockHeldElsewhere {
  /** Once the other process has the write lock. */
  held: Promise<void>;
  /** Once it has committed and exited. */
  released: Promise<void>;
}

/** Another process (the backfill, an operator's sqlite3 shell) holding the write lock on the file for `ms`. */
export function holdWriteLockElsewhere(databasePath: string, ms: number): LockHeldElsewhere {
  const child = spawn(process.execPath, ["-e", lockHolder, databasePath, String(ms)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return {
    held: new Promise((resolve, reject) => {
      child.stdout!.once("data", () => resolve());
      child.once("exit", (code) => reject(new Error(`The lock holder exited (${code}) before taking the lock.`)));
    }),
    released: new Promise((resolve) => child.once("exit", () => resolve())),
  };
}
