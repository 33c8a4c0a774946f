import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { getTableName, is } from "drizzle-orm";
import { SQLiteTable } from "drizzle-orm/sqlite-core";
import { ConfigError, readDatabaseConfig, type DatabaseConfig } from "~/env.server";
import * as schema from "./schema";

/**
 * `npm run db:backup`: a copy of the app's database taken while the app keeps
 * writing, through SQLite's online backup (better-sqlite3's `db.backup`).
 */

export interface BackupResult {
  /** The database copied and the copy, absolute paths. */
  source: string;
  file: string;
  bytes: number;
  /** Rows of each of the app's tables in the copy. */
  rows: Array<{ table: string; count: number }>;
}

export interface BackupOptions {
  /** Called between the copy's steps (PAGES_PER_STEP pages each), for progress displays. */
  onProgress?: (progress: { totalPages: number; remainingPages: number }) => void;
}

/** better-sqlite3's default: the event loop is free between steps, and the pinned snapshot makes many steps safe. */
const PAGES_PER_STEP = 100;

/** The backup could not be made; the message says why and what to do. */
export class BackupError extends Error {
  override name = "BackupError";
}

/** `data/backups/app-2026-11-29T03-41-07Z.db` beside `data/app.db`: on the same volume as the database. */
export function defaultBackupFile(config: DatabaseConfig = readDatabaseConfig(), now = new Date()): string {
  const name = basename(config.path, extname(config.path));
  const stamp = now.toISOString().slice(0, 19).replaceAll(":", "-");
  return join(dirname(resolve(config.path)), "backups", `${name}-${stamp}Z.db`);
}

/**
 * The copy is the database as it was when the backup began. A read transaction
 * held on the source pins that snapshot for every step of the copy: WAL lets
 * the app commit meanwhile, and SQLite, which restarts a backup whenever
 * another connection writes between its steps, sees no change to restart for.
 * The copy is written to a 0600 file beside the destination and renamed into
 * place only once it passes `PRAGMA integrity_check`, so a file at the
 * destination's name is always a whole backup.
 */
export async function backupDatabase(
  destination: string,
  config: DatabaseConfig = readDatabaseConfig(),
  options: BackupOptions = {},
): Promise<BackupResult> {
  const file = resolve(destination);
  const source = openSource(config);
  const partial = `${file}.partial`;
  let partialIsOurs = false;
  try {
    if (existsSync(file)) throw new BackupError(`${file} already exists: give a new file name.`);
    // 0700: only folders this creates; an existing folder keeps its mode.
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    try {
      // Created here, 0600, before SQLite opens it: a backup holds the same personal data as the database.
      closeSync(openSync(partial, "wx", 0o600));
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
      throw new BackupError(`${partial} exists: another backup to ${file} is running, or one was interrupted.`);
    }
    partialIsOurs = true;
    source.exec("BEGIN");
    source.prepare("SELECT count(*) FROM sqlite_schema").get();
    await source.backup(partial, {
      progress: (progress) => {
        options.onProgress?.(progress);
        return PAGES_PER_STEP;
      },
    });
    source.exec("COMMIT");
    const rows = finishCopy(partial);
    renameSync(partial, file);
    return { source: resolve(config.path), file, bytes: statSync(file).size, rows };
  } catch (error) {
    if (partialIsOurs) rmSync(partial, { force: true });
    throw error;
  } finally {
    source.close();
  }
}

/**
 * Not through `openDatabase`: that migrates, and a backup taken before an
 * upgrade must hold the database as the old version left it. Nothing here
 * writes to the source; the busy timeout is the app's setting, as for every CLI.
 */
function openSource(config: DatabaseConfig): Database.Database {
  if (config.path === ":memory:") {
    throw new ConfigError("DATABASE_URL is :memory:, which has nothing on disk to back up.");
  }
  const path = resolve(config.path);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new ConfigError(
      `DATABASE_URL points at ${path}, where there is no database to back up. ` +
        "Set DATABASE_URL to the app's database, e.g. DATABASE_URL=file:data/app.db.",
    );
  }
  const db = new Database(path, { fileMustExist: true });
  db.pragma(`busy_timeout = ${config.busyTimeoutMs}`);
  return db;
}

/** A self-contained file (no WAL beside it), checked, and its rows counted. */
function finishCopy(path: string): BackupResult["rows"] {
  const copy = new Database(path, { fileMustExist: true });
  try {
    copy.pragma("journal_mode = DELETE");
    const integrity = copy.pragma("integrity_check", { simple: true });
    if (integrity !== "ok") throw new BackupError(`The copy failed PRAGMA integrity_check (${String(integrity)}).`);
    const present = new Set(
      (copy.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string }>).map(
        (row) => row.name,
      ),
    );
    return Object.values(schema as Record<string, unknown>)
      .filter((value): value is SQLiteTable => is(value, SQLiteTable))
      .map((table) => getTableName(table))
      .filter((table) => present.has(table))
      .map((table) => ({
        table,
        count: (copy.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n,
      }));
  } finally {
    copy.close();
    // The file was created 0600; a rename keeps that, and so must anything SQLite did to it.
    chmodSync(path, 0o600);
  }
}

const count = (n: number, word: string) => `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;

function size(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

export function formatBackupSummary(result: BackupResult, show: (path: string) => string = (path) => path): string {
  const width = Math.max(...result.rows.map((row) => row.table.length));
  return [
    `Backed up ${show(result.source)}`,
    `       to ${show(result.file)} (${size(result.bytes)}, mode 0600, integrity_check ok)`,
    ...result.rows.map((row) => `  ${row.table.padEnd(width)}  ${count(row.count, "row")}`),
    "",
  ].join("\n");
}
