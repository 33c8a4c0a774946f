import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { backfillUsersFromClerk } from "~/backfill/backfill-users.server";
import { getDb } from "~/db/db.server";
import { userRow } from "../support/db";
import { clerkFor, clerkUsersAsRows, liveRows, UNLIMITED } from "./support";

/**
 * `sync:all` brings the whole user (issue 19) from Clerk's user list: metadata as
 * JSON text, the ban, the external id and the last sign-in. A sign-in moves
 * `last_sign_in_at` without a new `updated_at` or a webhook, so the next run
 * stores it as a change of the same version.
 */

let standIn: ClerkStandIn;
const db = () => getDb();
const backfill = () => backfillUsersFromClerk({ clerk: clerkFor(standIn), limiter: UNLIMITED, db: db() });

beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
});
afterAll(async () => {
  await standIn?.close();
});

describe("npm run sync:all and the whole user", () => {
  it("stores each user's metadata, ban, external id and last sign-in, and a later sign-in on the next run", async () => {
    const seeded = standIn.store.seed(
      Array.from({ length: 30 }, (_, i) => ({
        email_address: [`whole${i}@example.com`],
        first_name: `Whole ${i}`,
        external_id: i % 3 === 0 ? `crm-${i}` : null,
        public_metadata: i % 2 === 0 ? { plan: "pro", seats: i } : {},
        private_metadata: { note: `private ${i}` },
      })),
    );
    const banned = standIn.store.update(seeded[1].id, { banned: true });
    const signedInAt = Date.now() - 1_000;
    standIn.store.recordSignIn(seeded[2].id, signedInAt);

    expect(await backfill()).toMatchObject({ listed: 30, created: 30 });
    expect(liveRows(db())).toEqual(clerkUsersAsRows(standIn));
    expect(userRow(seeded[0].id)).toMatchObject({
      public_metadata: JSON.stringify({ plan: "pro", seats: 0 }),
      private_metadata: JSON.stringify({ note: "private 0" }),
      external_id: "crm-0",
      banned: 0,
      last_sign_in_at: null,
    });
    expect(userRow(banned.id)).toMatchObject({
      public_metadata: "{}",
      external_id: null,
      banned: 1,
      clerk_updated_at: banned.updated_at,
    });
    expect(userRow(seeded[2].id)).toMatchObject({ last_sign_in_at: signedInAt });

    // The first user signs in again: only last_sign_in_at moves in Clerk, and the next run brings it.
    const again = Date.now();
    standIn.store.recordSignIn(seeded[0].id, again);
    expect(standIn.store.get(seeded[0].id)!.updated_at).toBe(seeded[0].updated_at);
    expect(await backfill()).toMatchObject({ listed: 30, created: 0, updated: 1, unchanged: 29 });
    expect(userRow(seeded[0].id)).toMatchObject({ last_sign_in_at: again, clerk_updated_at: seeded[0].updated_at });
    expect(liveRows(db())).toEqual(clerkUsersAsRows(standIn));
  });
});
