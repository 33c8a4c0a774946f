import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { formatStopped, formatSummary, lineProgress } from "../../scripts/lib/backfill-report";
import { backfillUsersFromClerk, BackfillStopped, type BackfillSummary } from "~/backfill/backfill-users.server";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { getDb } from "~/db/db.server";
import { upsertUsersFromClerk } from "~/db/user-writer.server";
import { clerkUserFields } from "../support/clerk-user-fields";
import { clerkFor, tableSnapshot, UNLIMITED } from "./support";

/**
 * What `sync:all` prints must be true of the run it describes: a dry run that
 * refuses a mass prune wrote nothing and is not told to use --dry-run, and one
 * user or page is not "1 users" or "1 pages".
 */

let empty: ClerkStandIn;
beforeAll(async () => {
  // Clerk answers with no users at all: every stored user looks gone (the wrong instance's key).
  empty = await startClerkStandIn({ port: 0 });
  const stored: ClerkUserFields[] = Array.from({ length: 12 }, (_, i) =>
    clerkUserFields({
      clerkId: `user_stored${i}`,
      email: `stored${i}@example.com`,
      firstName: "Stored",
      clerkCreatedAt: Date.now() - 60_000,
      clerkUpdatedAt: Date.now() - 60_000,
    }),
  );
  upsertUsersFromClerk(stored, "webhook", getDb());
});
afterAll(async () => {
  await empty?.close();
});

const prune = (dryRun: boolean) =>
  backfillUsersFromClerk({ clerk: clerkFor(empty), limiter: UNLIMITED, db: getDb(), prune: true, dryRun }).catch(
    (error: unknown) => error as BackfillStopped,
  );

describe("refusing a mass prune", () => {
  it("in a dry run: says a real run would refuse, that nothing was written, and does not send it to --dry-run", async () => {
    const before = tableSnapshot(getDb());
    const stopped = await prune(true);
    expect(stopped).toBeInstanceOf(BackfillStopped);
    expect(formatStopped(stopped as BackfillStopped)).toBe(
      "\nA real run would refuse to tombstone 12 of the 12 stored users: Clerk no longer lists them. " +
        "If CLERK_SECRET_KEY belongs to another instance (development instead of production?), that would erase " +
        "them for good. Check the key; add --force to this dry run to list them, and to a real run if it is right.\n" +
        "Nothing was written: this was a dry run.",
    );
    expect(tableSnapshot(getDb())).toBe(before);
  });

  it("in a real run: points at the dry run that lists them (with --force, or it would refuse too)", async () => {
    const stopped = await prune(false);
    expect(stopped).toBeInstanceOf(BackfillStopped);
    const printed = formatStopped(stopped as BackfillStopped);
    expect(printed).toContain("Refusing to tombstone 12 of the 12 stored users: Clerk no longer lists them.");
    expect(printed).toContain("`--prune --dry-run --force` lists them and writes nothing");
    expect(printed).toContain("Fix the cause and run `npm run sync:all` again");
    expect(printed).not.toContain("Nothing was written");
  });
});

describe("the report counts one as one", () => {
  const summary = (overrides: Partial<BackfillSummary>): BackfillSummary => ({
    dryRun: false,
    listed: 1,
    pages: 1,
    created: 1,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    skippedStale: 0,
    skippedDeleted: 0,
    skippedFuture: 0,
    futureDatedIds: [],
    pruned: 0,
    prunedIds: [],
    rateLimitWaits: 1,
    retries: 1,
    inOneMillisecond: 0,
    elapsedMs: 1000,
    ...overrides,
  });

  it("says 1 user, 1 page, 1 rate limit and 1 failed request; plurals for the rest", () => {
    expect(formatSummary(summary({}), { prune: false })).toBe(
      "Synced 1 user from Clerk in 1.0 s (1 users/s, 1 page).\n" +
        "  created    1\n  updated    0\n  unchanged  0\n  skipped    0\n" +
        "  (waited out 1 rate limit and retried 1 failed request)\n",
    );
    expect(formatSummary(summary({ dryRun: true }), { prune: false })).toMatch(/^Dry run: read 1 user from Clerk in/);
    expect(formatSummary(summary({ inOneMillisecond: 500 }), { prune: false })).toContain(
      "  500 users shared a created_at millisecond with a page or more of others: no created_at bound parts them, " +
        "so one cursor read them a page at a time\n",
    );
    expect(formatSummary(summary({ listed: 2, pages: 2, rateLimitWaits: 2, retries: 0 }), { prune: false })).toMatch(
      /^Synced 2 users from Clerk in 1\.0 s \(2 users\/s, 2 pages\)\.\n[^]*\(waited out 2 rate limits and retried 0 failed requests\)\n$/,
    );

    const lines: string[] = [];
    const progress = lineProgress({ write: (text: string) => lines.push(text) });
    progress.page(1, 1);
    progress.checkingMissing?.(1);
    expect(lines[0]).toMatch(/^sync:all 1\/1 user \(100%\)/);
    expect(lines[1]).toBe("sync:all checking 1 stored user that Clerk did not list\n");
  });
});
