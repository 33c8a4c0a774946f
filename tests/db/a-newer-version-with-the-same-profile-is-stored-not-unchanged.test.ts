import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { getDb } from "~/db/db.server";
import { upsertUserFromClerk, upsertUsersFromClerk } from "~/db/user-writer.server";
import { syncUserFromClerk } from "~/sync/sync-user.server";
import { clerkUserFields } from "../support/clerk-user-fields";
import { userRow } from "../support/db";

/**
 * "Unchanged" means the same profile *and* the same version. Clerk moves
 * `updated_at` for changes the app does not store (a password, unsafe metadata): the
 * newer version must still be stored, or the ordering key falls behind Clerk and
 * a delivery of the older version could later count as news.
 */

const T = Date.now() - 60_000;
const user = (clerkUpdatedAt: number, clerkCreatedAt = T - 1_000): ClerkUserFields =>
  clerkUserFields({
    clerkId: "user_same_profile",
    email: "same@example.com",
    firstName: "Ada",
    lastName: "Lovelace",
    clerkCreatedAt,
    clerkUpdatedAt,
  });

describe("the same profile at a newer version", () => {
  it("is updated with no changed fields, one user at a time and in a page; the same version again is unchanged", () => {
    const db = getDb();
    upsertUserFromClerk(user(T), "webhook", db);
    expect(upsertUserFromClerk(user(T), "manual", db)).toMatchObject({ outcome: "unchanged", changedFields: [] });
    expect(upsertUserFromClerk(user(T + 1), "manual", db)).toMatchObject({ outcome: "updated", changedFields: [] });
    expect(userRow("user_same_profile")).toMatchObject({ clerk_updated_at: T + 1, sync_source: "manual" });
    expect(upsertUsersFromClerk([user(T + 2)], "backfill", db)).toMatchObject([
      { outcome: "updated", changedFields: [] },
    ]);
    expect(userRow("user_same_profile")).toMatchObject({ clerk_updated_at: T + 2, sync_source: "backfill" });
    // A corrected creation date is a new version too.
    expect(upsertUserFromClerk(user(T + 2, T - 2_000), "manual", db)).toMatchObject({ outcome: "updated" });
    expect(userRow("user_same_profile")).toMatchObject({ clerk_created_at: T - 2_000 });
  });
});

describe("Sync User Data after Clerk changed something the app does not store", () => {
  let standIn: ClerkStandIn;
  const saved = { ...process.env };
  beforeAll(async () => {
    standIn = await startClerkStandIn({ port: 0 });
    const env = standIn.env();
    Object.assign(process.env, { CLERK_API_URL: env.CLERK_API_URL, CLERK_SECRET_KEY: env.CLERK_SECRET_KEY });
    process.env.OFFLINE_MODE = "1";
  });
  afterAll(async () => {
    process.env = saved;
    await standIn?.close();
  });

  it("says the profile was refreshed, and stores Clerk's newer updated_at", async () => {
    const [seeded] = standIn.store.seed([{ email_address: ["grace@example.com"], first_name: "Grace" }]);
    expect((await syncUserFromClerk(seeded.id)).message).toBe("Profile imported from Clerk.");
    const changed = standIn.store.update(seeded.id, { unsafe_metadata: { theme: "dark" } });
    expect(changed.updated_at).toBeGreaterThan(seeded.updated_at);

    expect(await syncUserFromClerk(seeded.id)).toEqual({
      ok: true,
      outcome: "updated",
      changedFields: [],
      message: "Profile refreshed from Clerk.",
    });
    expect(userRow(seeded.id)).toMatchObject({ clerk_updated_at: changed.updated_at, first_name: "Grace" });
  });
});
