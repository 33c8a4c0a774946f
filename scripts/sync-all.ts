import "./env-file.js";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { formatStopped, formatSummary, progressFor } from "./lib/backfill-report";
import { BackfillStopped } from "~/backfill/backfill-users.server";
import { syncAllFromClerk, type SyncedKind } from "~/backfill/sync-all.server";
import { defaultConcurrency } from "~/backfill/range-walk.server";
import { limiterSettingsFor, limiterSettingsForRate, rateLimitForSecretKey } from "~/backfill/rate-limiter.server";
import { CLERK_MAX_PAGE_SIZE } from "~/backfill/user-pages.server";
import { openDatabase } from "~/db/db.server";
import { readClerkConfig, readDatabaseConfig } from "~/env.server";
import { runCli, UsageError } from "./cli-runner";
import { findClerk } from "./lib/clerk-target";

const HELP = `Bring SQLite's users, organizations and organization_memberships in step with Clerk
(backfill, and optionally reconcile): users, then organizations, then memberships.

  npm run sync:all [-- options]
    --prune          also tombstone users, organizations and memberships stored here that Clerk
                     no longer has (as user.deleted, organization.deleted, … would)
    --dry-run        print what would change; write nothing
    --force          with --prune: allow tombstoning more than half of the stored users
                     (organizations, memberships)
    --page-size N    users (organizations, memberships) per request (1–${CLERK_MAX_PAGE_SIZE}, default ${CLERK_MAX_PAGE_SIZE})
    --rate N         requests per second to Clerk (default: just under the instance's limit,
                     98/s for an sk_live_ key, 9.8/s for sk_test_; Clerk allows 1000 and 100 per 10 s)
    --concurrency N  created_at ranges (organization and membership pages) read at once
                     (default: enough to cover 400 ms a page: 40 on production)

Reads CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY, CLERK_API_URL and DATABASE_URL (the shell, then .env);
without keys, the offline stand-in that \`npm run dev\` is running.
Safe to run again at any time: it changes only what differs, and never revives what was deleted.
An instance with organizations turned off is synced for users, and says organizations were skipped.
`;

function positiveNumber(
  flag: string,
  raw: string | undefined,
  integer: boolean,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!(value > 0) || value > max || (integer && !Number.isInteger(value))) {
    const range = max === Number.MAX_SAFE_INTEGER ? "" : ` from 1 to ${max}`;
    throw new UsageError(`${flag} must be a ${integer ? "whole" : "positive"} number${range}.`);
  }
  return value;
}

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
        rate: { type: "string" },
        concurrency: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message, HELP);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const pageSize = positiveNumber("--page-size", values["page-size"], true, CLERK_MAX_PAGE_SIZE) ?? CLERK_MAX_PAGE_SIZE;
  const rate = positiveNumber("--rate", values.rate, false);
  const concurrencyFlag = positiveNumber("--concurrency", values.concurrency, true, 256);

  const target = await findClerk("api-keys");
  process.stdout.write(`${target.describe}\n`);
  const clerk = readClerkConfig(target.env);
  const database = readDatabaseConfig();
  const limiter = rate ? limiterSettingsForRate(rate) : limiterSettingsFor(rateLimitForSecretKey(clerk.secretKey));

  const db = openDatabase(database);
  // A bulk import writes a lot of WAL a page: at SQLite's default checkpoint interval the fsyncs took a large
  // share of the write time (docs/benchmarks.md). This connection only; close() checkpoints what is left.
  db.$client.pragma("wal_autocheckpoint = 20000");
  let kind: SyncedKind = "users";
  try {
    const summary = await syncAllFromClerk({
      clerk,
      db,
      prune: values.prune,
      dryRun: values["dry-run"],
      force: values.force,
      pageSize,
      limiter,
      concurrency: concurrencyFlag ?? defaultConcurrency(limiter),
      progress: {
        users: progressFor(process.stderr, "users"),
        organizations: progressFor(process.stderr, "organizations"),
        memberships: progressFor(process.stderr, "memberships"),
      },
      finished(done, kindSummary) {
        // An instance without organizations reads as before: the users' summary alone.
        const nothingToSay = done !== "users" && kindSummary.listed === 0 && kindSummary.pruned === 0;
        if (!nothingToSay) process.stdout.write(formatSummary(kindSummary, { prune: values.prune, kind: done }));
        kind = done === "users" ? "organizations" : "memberships";
      },
    });
    if (summary.skipped) process.stdout.write(`Organizations skipped: ${summary.skipped}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof BackfillStopped)) throw error;
    // Said here, not rethrown: the stop already explains itself, and no other error wraps it.
    process.stderr.write(`${formatStopped(error, kind)}\n`);
    return 1;
  } finally {
    db.$client.close();
  }
}

// V8 lets the heap grow to several times what is live before a full collection, and a backfill
// promotes garbage steadily (each page lives until it is written): growing by half instead keeps
// a million-user run well under its memory goal for a little more CPU and no loss of speed, since
// the rate limit sets the pace (docs/benchmarks.md, "V8 flags"). Set here, it applies however the
// script is started, from the next collection on.
setFlagsFromString("--heap-growing-percent=50");

runCli(main);
