import { parseArgs } from "node:util";
import { getClerkClient } from "~/clerk/clerk-api.server";
import { openDatabase } from "~/db/db.server";
import { ConfigError, readClerkConfig, readDatabaseConfig } from "~/env.server";
import { backfillUsersFromClerk, BackfillStopped } from "./lib/backfill";
import { formatSummary, progressFor } from "./lib/backfill-report";
import { CLERK_MAX_PAGE_SIZE } from "./lib/clerk-user-pages";

const HELP = `Bring SQLite's users table in step with Clerk (backfill, and optionally reconcile).

  npm run sync:all [-- options]
    --prune       also tombstone users stored here that Clerk no longer has (as user.deleted would)
    --dry-run     print what would change; write nothing
    --force       with --prune: allow tombstoning more than half of the stored users
    --page-size N users per request (1–${CLERK_MAX_PAGE_SIZE}, default ${CLERK_MAX_PAGE_SIZE})

Reads CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY, CLERK_API_URL and DATABASE_URL.
Safe to run again at any time: it changes only what differs, and never revives a deleted user.
`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        prune: { type: "boolean", default: false },
        "dry-run": { type: "boolean", default: false },
        force: { type: "boolean", default: false },
        "page-size": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const pageSize = values["page-size"] === undefined ? CLERK_MAX_PAGE_SIZE : Number(values["page-size"]);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > CLERK_MAX_PAGE_SIZE) {
    process.stderr.write(`--page-size must be a whole number from 1 to ${CLERK_MAX_PAGE_SIZE}.\n`);
    return 2;
  }

  let clerk, database;
  try {
    clerk = readClerkConfig();
    database = readDatabaseConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }

  const db = openDatabase(database);
  try {
    const summary = await backfillUsersFromClerk({
      client: getClerkClient(clerk),
      db,
      prune: values.prune,
      dryRun: values["dry-run"],
      force: values.force,
      pageSize,
      progress: progressFor(process.stderr),
    });
    process.stdout.write(formatSummary(summary, { prune: values.prune }));
    return 0;
  } catch (error) {
    if (!(error instanceof BackfillStopped)) throw error;
    process.stderr.write(
      `\n${error.message}\n` +
        (error.done > 0 ? "The users imported so far are saved. " : "") +
        "Fix the cause and run `npm run sync:all` again: it is safe to repeat.\n",
    );
    return 1;
  } finally {
    db.$client.close();
  }
}

// Exit explicitly: a request abandoned after a timeout would otherwise keep the process alive.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
