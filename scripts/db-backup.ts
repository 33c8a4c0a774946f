import "./env-file.js";
import { isAbsolute, relative } from "node:path";
import { parseArgs } from "node:util";
import { backupDatabase, BackupError, defaultBackupFile, formatBackupSummary } from "~/db/backup.server";
import { CliFailure, runCli, UsageError } from "./cli-runner";

const HELP = `A consistent copy of the app's SQLite database, taken while the app keeps running.

  npm run db:backup [-- <file>]
    <file>   where to write it (default: backups/<name>-<UTC time>.db beside the database,
             data/backups/app-2026-11-29T03-41-07Z.db for data/app.db); never overwrites a file

Reads DATABASE_URL (the shell, then .env). The copy is the database as it was when the
backup began, mode 0600, checked with PRAGMA integrity_check.
`;

/** Paths under the current folder as typed (`data/backups/…`), others in full. */
function shown(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside.startsWith("..") || isAbsolute(inside) ? path : inside;
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: "boolean", short: "h" } } });
  } catch (error) {
    throw new UsageError((error as Error).message, HELP);
  }
  if (parsed.values.help) return void process.stdout.write(HELP);
  if (parsed.positionals.length > 1) throw new UsageError("db:backup takes one file name at most.", HELP);
  try {
    const result = await backupDatabase(parsed.positionals[0] ?? defaultBackupFile());
    process.stdout.write(formatBackupSummary(result, shown));
  } catch (error) {
    throw error instanceof BackupError ? new CliFailure(error.message) : error;
  }
}

runCli(main);
