import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { backupDatabase, BackupError } from "~/db/backup.server";
import { openDatabase } from "~/db/db.server";
import { ConfigError, readDatabaseConfig } from "~/env.server";
import { openFilesUnder } from "../support/open-files";

/**
 * The backup in this process, so each refusal and each clean-up is seen here;
 * tests/tools/db-backup-… prove the copy under live writes and the CLI.
 */

const folder = () => mkdtempSync(join(tmpdir(), "clerk-sync-backup-"));
const configFor = (path: string) => readDatabaseConfig({ DATABASE_URL: path });

/** The app's database with `users` rows, closed, as `npm run db:backup` finds it. */
function appDatabase(users: number): string {
  const path = join(folder(), "app.db");
  const db = openDatabase(configFor(path));
  const insert = db.$client.prepare("insert into users (clerk_id, synced_at, sync_source) values (?, 1, 'webhook')");
  for (let i = 0; i < users; i++) insert.run(`user_${i}`);
  db.$client.close();
  return path;
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe("backupDatabase refuses, and leaves everything as it found it", () => {
  it("an existing file at the destination, whatever it holds", async () => {
    const source = appDatabase(1);
    const destination = join(folder(), "taken.db");
    writeFileSync(destination, "someone else's file");
    const error = await refusal(backupDatabase(destination, configFor(source)));
    expect(error).toBeInstanceOf(BackupError);
    expect(error.name).toBe("BackupError");
    expect(error.message).toBe(`${destination} already exists: give a new file name.`);
    expect(readFileSync(destination, "utf8")).toBe("someone else's file");
    expect(existsSync(`${destination}.partial`)).toBe(false);
  });

  it("DATABASE_URL=:memory:, which has nothing on disk", async () => {
    const destination = join(folder(), "memory.db");
    const error = await refusal(backupDatabase(destination, configFor(":memory:")));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe("DATABASE_URL is :memory:, which has nothing on disk to back up.");
    expect(existsSync(destination)).toBe(false);
  });

  it.each([
    ["a path where nothing is", (dir: string) => join(dir, "missing.db")],
    ["a folder", (dir: string) => dir],
  ])("a DATABASE_URL that is %s", async (_case, pathIn) => {
    const dir = folder();
    const path = pathIn(dir);
    const destination = join(folder(), "copy.db");
    const error = await refusal(backupDatabase(destination, configFor(path)));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `DATABASE_URL points at ${path}, where there is no database to back up. ` +
        "Set DATABASE_URL to the app's database, e.g. DATABASE_URL=file:data/app.db.",
    );
    expect(existsSync(join(dir, "missing.db"))).toBe(false);
    expect(existsSync(destination)).toBe(false);
  });

  it("a second backup to the same file while the first is copying, which still completes", async () => {
    const source = appDatabase(3);
    const destination = join(folder(), "once.db");
    const first = backupDatabase(destination, configFor(source));
    const error = await refusal(backupDatabase(destination, configFor(source)));
    expect(error).toBeInstanceOf(BackupError);
    expect(error.message).toBe(
      `${destination}.partial exists: another backup to ${destination} is running, or one was interrupted.`,
    );
    // The refused one removes nothing: the file it found is the first one's copy in progress.
    expect(existsSync(`${destination}.partial`)).toBe(true);
    const result = await first;
    expect(result.rows).toContainEqual({ table: "users", count: 3 });
    expect(readdirSync(join(destination, ".."))).toEqual(["once.db"]);
  });

  it("passes on, as it is, an error that is not another backup's file", async () => {
    const source = appDatabase(1);
    // The longest name a folder takes: the copy's name plus `.partial` is too long to create.
    const destination = join(folder(), `${"b".repeat(250)}.db`);
    const error = await refusal(backupDatabase(destination, configFor(source)));
    expect(error).not.toBeInstanceOf(BackupError);
    expect((error as { code?: string }).code).toBe("ENAMETOOLONG");
  });

  it("a copy that fails PRAGMA integrity_check: no file is left, neither the copy nor its partial", async () => {
    const source = join(folder(), "corrupt.db");
    const db = new Database(source);
    db.exec("create table users (clerk_id text, email text); create index users_clerk_id on users (clerk_id)");
    db.prepare("insert into users values ('user_1', 'one@example.com'), ('user_2', 'two@example.com')").run();
    // The index now claims to hold another column than the one it was built from: a corrupt database.
    db.unsafeMode(true);
    db.pragma("writable_schema = ON");
    db.prepare("update sqlite_schema set sql = 'CREATE INDEX users_clerk_id ON users (email)' where name = ?").run(
      "users_clerk_id",
    );
    db.close();
    const destination = join(folder(), "checked.db");
    const error = await refusal(backupDatabase(destination, configFor(source)));
    expect(error).toBeInstanceOf(BackupError);
    expect(error.message).toMatch(
      /^The copy failed PRAGMA integrity_check \(row \d+ missing from index users_clerk_id\)\.$/,
    );
    expect(readdirSync(join(destination, ".."))).toEqual([]);
  });

  it("a copy that fails midway: the partial file is removed and the database closed", async () => {
    const source = appDatabase(2);
    const destination = join(folder(), "interrupted.db");
    const error = await refusal(
      backupDatabase(destination, configFor(source), {
        onProgress: () => {
          throw new Error("the progress display broke");
        },
      }),
    );
    expect(error.message).toBe("the progress display broke");
    expect(readdirSync(join(destination, ".."))).toEqual([]);
    // The last connection to close checkpoints the WAL and removes it: none is left open.
    expect(existsSync(`${source}-wal`)).toBe(false);
  });
});

describe("backupDatabase copies what it can, into folders only the owner reads", () => {
  it("creates missing folders 0700, writes the copy 0600, and closes every file it opened", async () => {
    const source = appDatabase(2);
    const base = folder();
    const destination = join(base, "nested", "deeper", "copy.db");
    const result = await backupDatabase(destination, configFor(source));
    expect(result).toEqual({
      source,
      file: destination,
      bytes: statSync(destination).size,
      rows: [
        { table: "users", count: 2 },
        { table: "organizations", count: 0 },
        { table: "organization_memberships", count: 0 },
        { table: "webhook_events", count: 0 },
      ],
    });
    expect(statSync(join(base, "nested")).mode & 0o777).toBe(0o700);
    expect(statSync(join(base, "nested", "deeper")).mode & 0o777).toBe(0o700);
    expect(statSync(destination).mode & 0o777).toBe(0o600);
    expect(existsSync(`${source}-wal`)).toBe(false);
    expect(openFilesUnder(base)).toEqual([]);
    expect(openFilesUnder(join(source, ".."))).toEqual([]);
  });

  it("counts only the app's tables the database has: one made by an older version lacks some", async () => {
    const source = join(folder(), "older.db");
    const db = new Database(source);
    db.exec("create table users (clerk_id text); create table something_else (x)");
    db.prepare("insert into users values ('user_1')").run();
    db.close();
    const destination = join(folder(), "older-copy.db");
    const result = await backupDatabase(destination, configFor(source));
    expect(result.rows).toEqual([{ table: "users", count: 1 }]);
  });
});
