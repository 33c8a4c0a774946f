import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { clerkUserSchema, clerkUserToRow } from "~/clerk/clerk-user";
import { openDatabase } from "~/db/db.server";
import { users } from "~/db/schema";
import { CLERK_COLUMNS, upsertUserFromClerk } from "~/db/user-writer.server";
import { ROOT } from "../support/app-server";

/**
 * "Sync User Data" and a webhook for the same user, in two processes on one
 * SQLite file, racing: the webhook process changes the user in Clerk and
 * delivers each change, while the Sync process pulls the user from Clerk as fast
 * as it can. Every writing transaction begins `BEGIN IMMEDIATE`, so each waits
 * for its turn inside SQLite's busy wait: SQLite never answers SQLITE_BUSY (the
 * doors' lock retry, which logs `database_busy`, is never needed), no door fails,
 * and the row ends at Clerk's newest version. A deferred transaction here reads,
 * then finds the other process committed meanwhile: SQLITE_BUSY, busy_timeout or not.
 */

const DOOR = join(ROOT, "tests/db/one-door-in-a-loop.ts");
const ROUNDS = 300;

interface Report {
  outcomes: Record<string, number>;
  failures: string[];
}

function startDoor(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ["--import", "tsx", DOOR, ...args], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`${args[0]} exited (${code}) before reporting:\n${output}`))),
  );
  const message = <T>(accept: (message: unknown) => boolean) =>
    Promise.race([
      new Promise<T>((resolve) => {
        const listen = (message: unknown) => {
          if (!accept(message)) return;
          child.off("message", listen);
          resolve(message as T);
        };
        child.on("message", listen);
      }),
      exited,
    ]);
  return {
    child,
    output: () => output,
    ready: message<void>((m) => m === "ready"),
    report: message<Report>((m) => typeof m === "object"),
  };
}

let standIn: ClerkStandIn;
beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
});
afterAll(async () => {
  await standIn?.close();
});

describe("a Sync and a webhook for the same user, racing on two connections", () => {
  it(`${ROUNDS} rounds: no SQLITE_BUSY, no failed answer, and the newest version wins`, async () => {
    const [user] = standIn.store.seed([{ email_address: ["racer@example.com"], first_name: "Round 0" }]);
    const databasePath = join(mkdtempSync(join(tmpdir(), "clerk-sync-race-")), "app.db");
    // Migrated here, so the two processes only open it, with the user already stored: every round is a change.
    const db = openDatabase({ path: databasePath, synchronous: "NORMAL", busyTimeoutMs: 5000 });
    upsertUserFromClerk(clerkUserToRow(clerkUserSchema.parse(user)), "webhook", db);
    db.$client.close();
    const env = {
      ...process.env,
      ...standIn.env(),
      OFFLINE_MODE: "1",
      DATABASE_URL: databasePath,
      // Each process waits for the lock inside SQLite, as the CLIs do; the lock retry logs at debug when it must step in.
      SQLITE_BUSY_TIMEOUT_MS: "5000",
      LOG_LEVEL: "debug",
    };

    const sync = startDoor(["sync", user.id], env);
    const webhook = startDoor(["webhook", user.id, String(ROUNDS)], env);
    await Promise.all([sync.ready, webhook.ready]);
    sync.child.send("go");
    webhook.child.send("go");
    const delivered = await webhook.report;
    sync.child.send("stop");
    const synced = await sync.report;

    expect(delivered.failures).toEqual([]);
    expect(synced.failures).toEqual([]);
    const total = (report: Report) => Object.values(report.outcomes).reduce((a, b) => a + b, 0);
    expect(total(delivered)).toBe(ROUNDS);
    // Each delivery carries Clerk's newest state: it is never older than what Sync stored.
    expect(Object.keys(delivered.outcomes).filter((o) => o !== "updated" && o !== "unchanged")).toEqual([]);
    // Sync may read a version the next delivery overtakes before Sync writes it: then it is stale, and left alone.
    expect(Object.keys(synced.outcomes).filter((o) => !["updated", "unchanged", "stale"].includes(o))).toEqual([]);
    expect(total(synced)).toBeGreaterThan(ROUNDS / 10);
    for (const door of [sync, webhook]) expect(door.output()).not.toContain('"event":"database_busy"');

    const newest = clerkUserToRow(clerkUserSchema.parse(standIn.store.get(user.id)));
    expect(newest.firstName).toBe(`Round ${ROUNDS}`);
    const check = new Database(databasePath, { readonly: true });
    try {
      const rows = drizzle(check).select().from(users).all();
      expect(rows.map((row) => Object.fromEntries(CLERK_COLUMNS.map((column) => [column, row[column]])))).toEqual([
        newest,
      ]);
    } finally {
      check.close();
    }
  });
});
