import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { backupDatabase } from "~/db/backup.server";
import { readDatabaseConfig } from "~/env.server";
import { ROOT } from "../support/app-server";

const WRITER = join(ROOT, "tests/tools/db-backup-delivery-writer.ts");

function freshDatabase(): string {
  return join(mkdtempSync(join(tmpdir(), "db-backup-")), "app.db");
}

/** `n` signed user.created deliveries committed by another process; their Clerk ids. */
function deliver(databasePath: string, n: number): string[] {
  const run = spawnSync(process.execPath, ["--import", "tsx", WRITER, String(n)], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databasePath },
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`the writer failed (${run.status}):\n${run.stderr}`);
  return run.stdout.split("\n").filter(Boolean);
}

/** Deliveries landing one after another from another process until `stop()`. */
function deliverUntilStopped(databasePath: string) {
  const child = spawn(process.execPath, ["--import", "tsx", WRITER], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databasePath },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let landed = 0;
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const firstLanded = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      landed += chunk.split("\n").length - 1;
      if (landed > 0) resolve();
    });
    void exited.then((code) => reject(new Error(`the background writer exited (${code}):\n${stderr}`)));
  });
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return {
    firstLanded,
    landed: () => landed,
    stop: async () => {
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`the background writer failed (${code}):\n${stderr}`);
      return landed;
    },
  };
}

function clerkIds(db: Database.Database, table: "users" | "webhook_events"): Set<string> {
  const column = table === "users" ? "clerk_id" : "clerk_user_id";
  return new Set((db.prepare(`SELECT ${column} AS id FROM ${table}`).all() as Array<{ id: string }>).map((r) => r.id));
}

describe("npm run db:backup", () => {
  it("copies the database as it was when the backup began, while deliveries keep landing", async () => {
    const databasePath = freshDatabase();
    const before = deliver(databasePath, 300);
    const background = deliverUntilStopped(databasePath);
    await background.firstLanded;

    const destination = join(databasePath, "..", "backups", "during-deliveries.db");
    let during: string[] = [];
    let landedInBackgroundBeforeTheCopy = 0;
    // Printed after their commits, so committed before the backup began.
    const landedInBackgroundBeforeTheBackup = background.landed();
    const result = await backupDatabase(destination, readDatabaseConfig({ DATABASE_URL: databasePath }), {
      // Between the copy's first steps: the snapshot is taken, and the app's writes must still go through.
      onProgress: () => {
        if (during.length > 0) return;
        landedInBackgroundBeforeTheCopy = background.landed();
        during = deliver(databasePath, 25);
      },
    });
    const landedInBackground = await background.stop();
    expect(during).toHaveLength(25);
    expect(landedInBackground).toBeGreaterThan(landedInBackgroundBeforeTheCopy);

    expect(result.file).toBe(destination);
    expect(statSync(destination).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(destination, ".."))).toEqual(["during-deliveries.db"]);

    const copy = new Database(destination, { readonly: true, fileMustExist: true });
    const live = new Database(databasePath, { readonly: true, fileMustExist: true });
    try {
      expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
      expect(copy.pragma("journal_mode", { simple: true })).toBe("delete");
      const copiedUsers = clerkIds(copy, "users");
      const copiedDeliveries = clerkIds(copy, "webhook_events");
      for (const id of before) {
        expect(copiedUsers.has(id)).toBe(true);
        expect(copiedDeliveries.has(id)).toBe(true);
      }
      // Committed after the snapshot was taken: in the database, not in the copy.
      const liveUsers = clerkIds(live, "users");
      for (const id of during) {
        expect(liveUsers.has(id)).toBe(true);
        expect(copiedUsers.has(id)).toBe(false);
      }
      expect(result.rows).toEqual([
        { table: "users", count: copiedUsers.size },
        { table: "organizations", count: 0 },
        { table: "organization_memberships", count: 0 },
        { table: "webhook_events", count: copiedDeliveries.size },
      ]);
      expect(copiedUsers.size).toBeGreaterThanOrEqual(before.length + landedInBackgroundBeforeTheBackup);
    } finally {
      copy.close();
      live.close();
    }
  });
});

function runBackupCli(args: string[], databasePath: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      "npx",
      ["tsx", "scripts/db-backup.ts", ...args],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: databasePath } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("npx tsx scripts/db-backup.ts", () => {
  it("writes the named file, says where and how many rows, and never overwrites a file", async () => {
    const databasePath = freshDatabase();
    const ids = deliver(databasePath, 3);
    const file = join(databasePath, "..", "named.db");

    const run = await runBackupCli([file], databasePath);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(run.stdout).toContain(`to ${file} (`);
    expect(run.stdout).toMatch(/^ {2}users +3 rows$/m);
    expect(run.stdout).toMatch(/^ {2}webhook_events +3 rows$/m);
    const copy = new Database(file, { readonly: true });
    expect(clerkIds(copy, "users")).toEqual(new Set(ids));
    copy.close();

    writeFileSync(`${file}.other`, "not a backup");
    const again = await runBackupCli([`${file}.other`], databasePath);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
  });

  it("without a name, writes a timestamped file in backups/ beside the database", async () => {
    const databasePath = freshDatabase();
    deliver(databasePath, 1);
    const run = await runBackupCli([], databasePath);
    expect(run.code).toBe(0);
    const [written] = readdirSync(join(databasePath, "..", "backups"));
    expect(written).toMatch(/^app-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.db$/);
    expect(statSync(join(databasePath, "..", "backups")).mode & 0o777).toBe(0o700);
    expect(run.stdout).toContain(join(databasePath, "..", "backups", written));
    expect(run.stdout).toMatch(/^ {2}users +1 row$/m);
  });

  it("refuses, with exit code 2, a DATABASE_URL where there is no database", async () => {
    const run = await runBackupCli([], freshDatabase());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("no database to back up");
  });
});
