import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { closeDb, findMigrationsFolder, getDb, openDatabase, preparedQueries } from "~/db/db.server";
import { ConfigError, readDatabaseConfig } from "~/env.server";
import { openFilesUnder } from "../support/open-files";

// Root reads every file whatever its mode, so a file its owner cannot read is made at the one call that reads it.
const unreadable = vi.hoisted(() => new Set<string>());
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  const openSync: typeof fs.openSync = (path, flags, mode) => {
    if (flags === "r" && unreadable.has(String(path))) {
      throw Object.assign(new Error(`EACCES: permission denied, open '${String(path)}'`), { code: "EACCES" });
    }
    return fs.openSync(path, flags, mode);
  };
  return { ...fs, openSync };
});

// The working folder is the test's: Vitest's workers (Stryker's runner uses them) cannot change theirs.
afterEach(() => vi.restoreAllMocks());

const folder = () => mkdtempSync(join(tmpdir(), "clerk-sync-open-"));
const open = (path: string) => openDatabase(readDatabaseConfig({ DATABASE_URL: path }));
const hint = "Give a writable path for a new or existing SQLite file, e.g. DATABASE_URL=file:data/app.db.";

function refusal(path: string): ConfigError {
  let error: unknown;
  try {
    open(path).$client.close();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe("a database that cannot be opened is refused with the path, the reason and its code", () => {
  it("a folder that cannot be created, because a file holds its name", () => {
    const notes = join(folder(), "notes.txt");
    writeFileSync(notes, "my notes");
    const path = join(notes, "app.db");
    expect(refusal(path).message).toBe(
      `DATABASE_URL points at ${path}, which cannot be opened: its folder cannot be created (EEXIST). ${hint}`,
    );
    expect(readFileSync(notes, "utf8")).toBe("my notes");
  });

  it("a file that cannot be created in a folder that exists", () => {
    const path = join(folder(), `${"d".repeat(300)}.db`);
    expect(refusal(path).message).toBe(
      `DATABASE_URL points at ${path}, which cannot be opened: the file cannot be created (ENAMETOOLONG). ${hint}`,
    );
  });

  it("something that is neither a folder nor a regular file", () => {
    expect(refusal("/dev/null").message).toBe(
      `DATABASE_URL points at /dev/null, which cannot be opened: it is not a regular file. ${hint}`,
    );
  });

  it("a file its owner cannot read", () => {
    const path = join(folder(), "locked.db");
    writeFileSync(path, "SQLite format 3\0");
    unreadable.add(path);
    expect(refusal(path).message).toBe(
      `DATABASE_URL points at ${path}, which cannot be opened: it cannot be read (EACCES). ${hint}`,
    );
  });

  it("a file that starts like SQLite but that SQLite refuses, with SQLite's code", () => {
    const path = join(folder(), "damaged.db");
    const content = Buffer.concat([Buffer.from("SQLite format 3\0"), Buffer.alloc(200, 7)]);
    writeFileSync(path, content);
    expect(refusal(path).message).toBe(
      `DATABASE_URL points at ${path}, which cannot be opened: SQLite refused it (SQLITE_NOTADB). ${hint}`,
    );
    expect(readFileSync(path)).toEqual(content);
  });
});

describe("a database that can be opened", () => {
  it("an empty file is a new database: it is migrated, not refused as not SQLite", () => {
    const path = join(folder(), "empty.db");
    writeFileSync(path, "");
    const db = open(path);
    expect(db.$client.prepare("select count(*) as n from users").get()).toEqual({ n: 0 });
    db.$client.close();
  });

  it("an existing database is opened again with its rows", () => {
    const path = join(folder(), "app.db");
    const first = open(path);
    first.$client
      .prepare("insert into users (clerk_id, synced_at, sync_source) values ('user_kept', 1, 'webhook')")
      .run();
    first.$client.close();
    const again = open(path);
    expect(again.$client.prepare("select clerk_id from users").all()).toEqual([{ clerk_id: "user_kept" }]);
    again.$client.close();
    // Its first bytes were read to check it is SQLite: that file was closed too.
    expect(openFilesUnder(join(path, ".."))).toEqual([]);
  });

  it(":memory: is a database in memory only: no file of that name appears in the working folder", () => {
    const dir = folder();
    vi.spyOn(process, "cwd").mockReturnValue(dir);
    const db = open(":memory:");
    db.$client.prepare("insert into users (clerk_id, synced_at, sync_source) values ('user_m', 1, 'webhook')").run();
    expect(db.$client.memory).toBe(true);
    db.$client.close();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("the committed migrations are found from wherever the code runs", () => {
  function migrationsIn(dir: string): string {
    mkdirSync(join(dir, "drizzle", "meta"), { recursive: true });
    writeFileSync(join(dir, "drizzle", "meta", "_journal.json"), "{}");
    return join(dir, "drizzle");
  }

  it("by walking up from the module's folder, before looking in the working folder", () => {
    const app = folder();
    const start = join(app, "build", "server");
    mkdirSync(start, { recursive: true });
    const migrations = migrationsIn(app);
    expect(findMigrationsFolder(start)).toBe(migrations);
    expect(findMigrationsFolder(app)).toBe(migrations);
  });

  it("in the working folder when no folder above the code has them", () => {
    const elsewhere = folder();
    const cwdWithMigrations = folder();
    const expected = migrationsIn(cwdWithMigrations);
    vi.spyOn(process, "cwd").mockReturnValue(cwdWithMigrations);
    expect(findMigrationsFolder(elsewhere)).toBe(resolve(expected));
  });

  it("nowhere: says so", () => {
    const nowhere = folder();
    vi.spyOn(process, "cwd").mockReturnValue(nowhere);
    expect(() => findMigrationsFolder(nowhere)).toThrow(
      new Error("Cannot find the drizzle/ migrations folder next to the app."),
    );
    // A folder without the journal is not a migrations folder.
    mkdirSync(join(nowhere, "drizzle", "meta"), { recursive: true });
    expect(() => findMigrationsFolder(nowhere)).toThrow("Cannot find the drizzle/ migrations folder");
  });
});

describe("one handle per process", () => {
  it("getDb opens the database once; closeDb closes it, and the next getDb opens it again", () => {
    const first = getDb();
    expect(getDb()).toBe(first);
    closeDb();
    expect(first.$client.open).toBe(false);
    const second = getDb();
    expect(second).not.toBe(first);
    expect(second.$client.open).toBe(true);
    closeDb();
    expect(second.$client.open).toBe(false);
    // Nothing open: nothing to close, and no error.
    expect(() => closeDb()).not.toThrow();
    expect(existsSync(process.env.DATABASE_URL!)).toBe(true);
  });

  it("prepares each set of queries once per connection, and again for another connection", () => {
    const one = open(join(folder(), "one.db"));
    const other = open(join(folder(), "other.db"));
    const build = vi.fn(() => ({ built: Symbol("queries") }));
    const first = preparedQueries(one, build);
    expect(preparedQueries(one, build)).toBe(first);
    one.transaction((tx) => expect(preparedQueries(tx, build)).toBe(first));
    expect(build).toHaveBeenCalledTimes(1);
    expect(preparedQueries(other, build)).not.toBe(first);
    expect(build).toHaveBeenCalledTimes(2);
    one.$client.close();
    other.$client.close();
  });
});
