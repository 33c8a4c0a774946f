import { beforeEach, describe, expect, it, vi } from "vitest";
import { postToProfile } from "../support/profile-action";

/**
 * "Sync User Data" syncs the signed-in user, named by the verified session
 * token, whatever the form says: a form naming another user must not make the
 * app pull (and show) someone else's profile.
 */

const calls = vi.hoisted(() => ({ syncedIds: [] as string[] }));
vi.mock("~/auth.server", () => ({ requireUserId: async () => "user_signed_in" }));
vi.mock("~/sync/sync-user.server", () => ({
  syncUserFromClerk: async (userId: string) => {
    calls.syncedIds.push(userId);
    return { ok: true, outcome: "unchanged", changedFields: [], message: "Already up to date." };
  },
}));

beforeEach(() => {
  calls.syncedIds = [];
});

describe("the user a Sync pulls from Clerk", () => {
  it("is the session's, when the form names nobody", async () => {
    expect((await postToProfile({ intent: "sync" })).status).toBe(200);
    expect(calls.syncedIds).toEqual(["user_signed_in"]);
  });

  it("is the session's, when the form names another user under any likely field", async () => {
    const response = await postToProfile({
      intent: "sync",
      userId: "user_someone_else",
      user_id: "user_someone_else",
      clerkId: "user_someone_else",
      clerk_id: "user_someone_else",
      id: "user_someone_else",
    });
    expect(response.status).toBe(200);
    expect(calls.syncedIds).toEqual(["user_signed_in"]);
  });
});
