import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { sql } from "drizzle-orm";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { ConfigError, readDatabaseConfig, type DatabaseConfig } from "~/env.server";
import * as schema from "./schema";

export type AppDatabase = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/**
 * The one place that opens SQLite. Everything else asks `getDb()` for the handle,
 * so pragmas and migrations are applied exactly once per process.
 */

// The same code runs from app/db (tests, tsx) and from build/ (remix-serve),
// so find the committed migrations by walking up rather than by a fixed depth.
export function findMigrationsFolder(start = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, "drizzle");
    if (existsSync(join(candidate, "meta", "_journal.json"))) return candidate;
    if (dirname(dir) === dir) break;
  }
  const fromCwd = resolve("drizzle");
  if (existsSync(join(fromCwd, "meta", "_journal.json"))) return fromCwd;
  throw new Error("Cannot find the drizzle/ migrations folder next to the app.");
}

const SQLITE_HEADER = "SQLite format 3\0";

function cannotOpen(path: string, why: string): never {
  throw new ConfigError(
    `DATABASE_URL points at ${path}, which cannot be opened: ${why}. ` +
      "Give a writable path for a new or existing SQLite file, e.g. DATABASE_URL=file:data/app.db.",
  );
}

function errorCode(error: unknown): string {
  return String((error as { code?: unknown }).code ?? (error as Error).message ?? error);
}

/**
 * Refuses, before SQLite touches it, a path that is not a SQLite database, and
 * creates a new one readable by the owner only: the file, its WAL and SHM (SQLite
 * gives them the database file's mode) hold personal data.
 */
function prepareDatabaseFile(path: string): void {
  const absolute = resolve(path);
  try {
    // 0700: only folders this creates; an existing folder keeps its mode.
    mkdirSync(dirname(absolute), { recursive: true, mode: 0o700 });
  } catch (error) {
    cannotOpen(absolute, `its folder cannot be created (${errorCode(error)})`);
  }
  if (!existsSync(absolute)) {
    try {
      closeSync(openSync(absolute, "wx", 0o600));
    } catch (error) {
      cannotOpen(absolute, `the file cannot be created (${errorCode(error)})`);
    }
    return;
  }
  const stats = statSync(absolute);
  if (stats.isDirectory()) cannotOpen(absolute, "it is a directory");
  if (!stats.isFile()) cannotOpen(absolute, "it is not a regular file");
  if (stats.size === 0) return;
  let fd: number;
  try {
    fd = openSync(absolute, "r");
  } catch (error) {
    cannotOpen(absolute, `it cannot be read (${errorCode(error)})`);
  }
  const header = Buffer.alloc(SQLITE_HEADER.length);
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString("latin1") !== SQLITE_HEADER) cannotOpen(absolute, "it is not a SQLite database");
}

export function openDatabase(config: DatabaseConfig = readDatabaseConfig()): AppDatabase {
  if (config.path !== ":memory:") prepareDatabaseFile(config.path);
  let sqlite: Database.Database;
  try {
    sqlite = new Database(config.path, { fileMustExist: config.path !== ":memory:" });
    sqlite.pragma("journal_mode = WAL");
  } catch (error) {
    cannotOpen(resolve(config.path), `SQLite refused it (${errorCode(error)})`);
  }
  // NORMAL in WAL mode: a commit survives a process crash; see docs/decisions/002.
  sqlite.pragma(`synchronous = ${config.synchronous}`);
  sqlite.pragma(`busy_timeout = ${config.busyTimeoutMs}`);
  sqlite.pragma("foreign_keys = ON");
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: findMigrationsFolder() });
  return db;
}

/**
 * The server answers requests on one event loop, and SQLite's busy_timeout is a
 * wait on it: so none. A write that finds the lock held fails at once, and
 * withLockRetry waits out SQLITE_BUSY_TIMEOUT_MS asynchronously, one prober for
 * all waiters. Reads do not wait for a writer in WAL mode. The CLIs keep SQLite's
 * own blocking wait (openDatabase): they answer nobody meanwhile, and a backfill
 * that cannot write has nothing better to do than pause (docs/database.md).
 */
export function waitForLocksOffTheEventLoop(db: AppDatabase): void {
  db.$client.pragma("busy_timeout = 0");
}

// Remix's dev server re-imports modules on every change; keep one handle per process.
const globalForDb = globalThis as typeof globalThis & { __clerkSyncDb?: AppDatabase };

export function getDb(): AppDatabase {
  globalForDb.__clerkSyncDb ??= openDatabase();
  return globalForDb.__clerkSyncDb;
}

/** For tests and CLIs that finish: close the handle so the WAL is checkpointed. */
export function closeDb(): void {
  globalForDb.__clerkSyncDb?.$client.close();
  globalForDb.__clerkSyncDb = undefined;
}

/** A database handle or a transaction on it: both build queries the same way. */
export type QueryRunner = Pick<AppDatabase, "select" | "insert" | "update">;

const preparedBySession = new WeakMap<object, Map<unknown, unknown>>();

/**
 * Prepared queries, built once per connection and reused. Drizzle otherwise
 * rebuilds each query's SQL and better-sqlite3 recompiles it on every call,
 * which was half of a webhook delivery's CPU (docs/benchmarks.md). A
 * transaction shares its database's session (one connection), so a query
 * prepared through either runs inside whichever transaction is open.
 */
export function preparedQueries<T>(runner: QueryRunner, build: (runner: QueryRunner) => T): T {
  // `session` is Drizzle's handle on the connection; the same object for a database and its transactions.
  const session = (runner as unknown as { session: object }).session;
  let cache = preparedBySession.get(session);
  if (!cache) preparedBySession.set(session, (cache = new Map()));
  let queries = cache.get(build) as T | undefined;
  if (queries === undefined) cache.set(build, (queries = build(runner)));
  return queries;
}

/** A named parameter of a prepared query, typed so it also fits `set()` and `onConflictDoUpdate` values. */
export const sqlPlaceholder = (name: string) => sql`${sql.placeholder(name)}`;

export { schema };
