import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "~/db/db.server";
import { ConfigError, readDatabaseConfig } from "~/env.server";
import { runBuiltAppUntilExit } from "../support/app-server";
import { TEST_WEBHOOK_SECRET } from "../support/test-env";

const dir = mkdtempSync(join(tmpdir(), "clerk-sync-dbopen-"));

/** Cases a mistyped DATABASE_URL produces, each with what must stay untouched. */
function badPaths() {
  const notSqlite = join(dir, "notes.txt");
  writeFileSync(notSqlite, "these are my notes, not a database\n");
  const aFolder = join(dir, "a-folder");
  mkdirSync(aFolder, { recursive: true });
  // Under a regular file: no folder can ever be created there (even for root, unlike a chmod).
  const unwritable = join(notSqlite, "app.db");
  return [
    ["a file that is not SQLite", notSqlite, /it is not a SQLite database/],
    ["a directory", aFolder, /it is a directory/],
    ["an unwritable path", unwritable, /cannot be created/],
  ] as const;
}

describe("a database that cannot be opened stops start-up with a message naming DATABASE_URL and the path", () => {
  it.each(badPaths())("%s", (_case, path, why) => {
    const contentBefore = existsSync(path) && statSync(path).isFile() ? readFileSync(path) : null;
    let error: unknown;
    try {
      openDatabase(readDatabaseConfig({ DATABASE_URL: path }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      new RegExp(`^DATABASE_URL points at ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
    );
    expect((error as Error).message).toMatch(why);
    // Never modified: no SQLite header written, no WAL beside it.
    if (contentBefore) expect(readFileSync(path)).toEqual(contentBefore);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it("the production server exits 1 with one readable line, not a stack trace", async () => {
    const [, notSqlite] = badPaths()[0];
    const { code, output } = await runBuiltAppUntilExit({
      DATABASE_URL: `file:${notSqlite}`,
      CLERK_WEBHOOK_SIGNING_SECRET: TEST_WEBHOOK_SECRET,
      CLERK_PUBLISHABLE_KEY: process.env.CLERK_PUBLISHABLE_KEY,
      CLERK_SECRET_KEY: process.env.CLERK_SECRET_KEY,
    });
    expect(code).toBe(1);
    expect(output).toContain(`clerk-sync cannot start: DATABASE_URL points at ${notSqlite}`);
    expect(output).not.toMatch(/\n\s+at /);
    expect(readFileSync(notSqlite, "utf8")).toBe("these are my notes, not a database\n");
  });
});

describe("the database holds personal data: only its owner can read it", () => {
  it("creates the file, its WAL and SHM 0600, and a folder it creates 0700", () => {
    const path = join(dir, "created", "deeper", "app.db");
    const db = openDatabase(readDatabaseConfig({ DATABASE_URL: path }));
    try {
      db.$client
        .prepare(
          "insert into webhook_events (svix_id, event_type, received_at, status) values ('m', 't', 1, 'processed')",
        )
        .run();
      const mode = (p: string) => statSync(p).mode & 0o777;
      expect(mode(path)).toBe(0o600);
      expect(mode(`${path}-wal`)).toBe(0o600);
      expect(mode(`${path}-shm`)).toBe(0o600);
      expect(mode(join(dir, "created", "deeper"))).toBe(0o700);
      expect(mode(join(dir, "created"))).toBe(0o700);
    } finally {
      db.$client.close();
    }
  });
});
