import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { readDatabaseConfig, type DatabaseConfig } from "~/env.server";
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

export function openDatabase(config: DatabaseConfig = readDatabaseConfig()): AppDatabase {
  if (config.path !== ":memory:") mkdirSync(dirname(resolve(config.path)), { recursive: true });
  const sqlite = new Database(config.path);
  sqlite.pragma("journal_mode = WAL");
  // NORMAL in WAL mode: a commit survives a process crash; see docs/decisions/002.
  sqlite.pragma(`synchronous = ${config.synchronous}`);
  sqlite.pragma(`busy_timeout = ${config.busyTimeoutMs}`);
  sqlite.pragma("foreign_keys = ON");
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: findMigrationsFolder() });
  return db;
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

export { schema };
