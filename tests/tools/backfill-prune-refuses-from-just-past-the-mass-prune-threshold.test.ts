import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { openDatabase } from "~/db/db.server";
import { upsertUsersFromClerk } from "~/db/user-writer.server";
import { backfillUsersFromClerk, BackfillStopped } from "~/backfill/backfill-users.server";
import { clerkUserFields } from "../support/clerk-user-fields";
import { clerkFor, liveRows, UNLIMITED } from "./support";

/**
 * `--prune` without `--force` refuses to tombstone more than half of the stored
 * live users, once more than ten would go (keys of another instance?). The
 * threshold, pinned on both sides: exactly half goes, one more is refused; ten
 * of ten goes, eleven of eleven is refused.
 */

let clerkWith20: ClerkStandIn;
let emptyClerk: ClerkStandIn;
beforeAll(async () => {
  clerkWith20 = await startClerkStandIn({ port: 0 });
  clerkWith20.store.seed(Array.from({ length: 20 }, (_, i) => ({ email_address: [`listed-${i}@example.com`] })));
  emptyClerk = await startClerkStandIn({ port: 0 });
});
afterAll(async () => {
  await clerkWith20?.close();
  await emptyClerk?.close();
});

const T = Date.now() - 60_000;
const storedOnlyHere = (count: number): ClerkUserFields[] =>
  Array.from({ length: count }, (_, i) =>
    clerkUserFields({
      clerkId: `user_only_here_${i}`,
      email: `only-here-${i}@example.com`,
      clerkCreatedAt: T,
      clerkUpdatedAt: T,
    }),
  );

/** A database holding `gone` users Clerk does not have, then `sync:all --prune` against `clerk`. */
async function prune(clerk: ClerkStandIn, gone: number) {
  const db = openDatabase({ path: ":memory:", synchronous: "NORMAL", busyTimeoutMs: 1000 });
  upsertUsersFromClerk(storedOnlyHere(gone), "webhook", db);
  const run = backfillUsersFromClerk({ clerk: clerkFor(clerk), limiter: UNLIMITED, db, prune: true });
  return { db, run };
}

describe("the mass-prune threshold", () => {
  it("tombstones 20 of 40 live users (exactly half)", async () => {
    const { db, run } = await prune(clerkWith20, 20);
    expect(await run).toMatchObject({ created: 20, pruned: 20 });
    expect(liveRows(db).size).toBe(20);
    db.$client.close();
  });

  it("refuses 21 of 41 (just over half), tombstoning none", async () => {
    const { db, run } = await prune(clerkWith20, 21);
    await expect(run).rejects.toThrow(BackfillStopped);
    await expect(run).rejects.toThrow(/Refusing to tombstone 21 of the 41 stored users/);
    expect(liveRows(db).size).toBe(41);
    db.$client.close();
  });

  it("tombstones 10 of 10 (all, but no more than ten)", async () => {
    const { db, run } = await prune(emptyClerk, 10);
    expect(await run).toMatchObject({ pruned: 10 });
    expect(liveRows(db).size).toBe(0);
    db.$client.close();
  });

  it("refuses 11 of 11", async () => {
    const { db, run } = await prune(emptyClerk, 11);
    await expect(run).rejects.toThrow(/Refusing to tombstone 11 of the 11 stored users/);
    expect(liveRows(db).size).toBe(11);
    db.$client.close();
  });
});
