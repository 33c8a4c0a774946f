import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { syncUserFromClerk } from "~/sync/sync-user.server";
import { clerkEvent, signedRequest } from "../support/clerk-webhooks";
import { userRow } from "../support/db";
import { deliver } from "../support/webhook-route";

/**
 * `npm run webhook:send` stores made-up data with `updated_at` = now, newer than
 * Clerk's own copy. "Sync User Data" then finds Clerk's answer older than the
 * row: it must say so, not "Already up to date." while showing data Clerk lacks.
 */

let standIn: ClerkStandIn;
const saved = { ...process.env };

beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
  const env = standIn.env();
  process.env.CLERK_API_URL = env.CLERK_API_URL;
  process.env.CLERK_SECRET_KEY = env.CLERK_SECRET_KEY;
  // A Backend API on this machine is a stand-in: the app asks for offline mode to be said out loud.
  process.env.OFFLINE_MODE = "1";
});
afterAll(async () => {
  process.env = saved;
  await standIn?.close();
});

describe("Sync User Data when the stored row is newer than what Clerk returns", () => {
  it("says the stored copy is newer and nothing changed; with the same data, that it is up to date", async () => {
    const [seeded] = standIn.store.seed([
      { email_address: ["real-person@example.com"], first_name: "Real", last_name: "Person" },
    ]);
    const clerkCopy = standIn.store.get(seeded.id)!;
    expect((await syncUserFromClerk(seeded.id)).message).toBe("Profile imported from Clerk.");
    expect((await syncUserFromClerk(seeded.id)).message).toBe("Already up to date.");

    // What webhook:send does: made-up data, dated now, so newer than Clerk's copy.
    const madeUp = { ...clerkCopy, first_name: "Ada", last_name: "King", updated_at: clerkCopy.updated_at + 60_000 };
    expect((await deliver(signedRequest(clerkEvent("user.updated", madeUp)))).body).toEqual({
      ok: true,
      outcome: "updated",
    });

    const result = await syncUserFromClerk(seeded.id);
    expect(result).toEqual({
      ok: true,
      outcome: "stale",
      changedFields: [],
      message: "The stored copy is newer than what Clerk returned, so nothing changed.",
    });
    expect(userRow(seeded.id)).toMatchObject({ first_name: "Ada", last_name: "King", sync_source: "webhook" });
  });
});
