import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { userRow } from "../support/db";
import { postToProfile } from "../support/profile-action";

/**
 * What the page's "Sync User Data" answers when Clerk fails, by the status the
 * browser and a script see and by the wait the button counts down: Clerk's 404
 * is 404, its 429 is 429 with Clerk's own Retry-After, no answer in time is 504,
 * a 5xx is 502. Clerk's failures are played by the stand-in at the network edge.
 */

const signedIn = vi.hoisted(() => {
  // The wait for an answer, kept short: the hang below is cut off by it.
  process.env.CLERK_API_TIMEOUT_MS = "300";
  return { userId: "" };
});
vi.mock("~/auth.server", () => ({ requireUserId: async () => signedIn.userId }));

let standIn: ClerkStandIn;
const saved = { ...process.env };
beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
  const env = standIn.env();
  Object.assign(process.env, { CLERK_API_URL: env.CLERK_API_URL, CLERK_SECRET_KEY: env.CLERK_SECRET_KEY });
  process.env.OFFLINE_MODE = "1";
  const [user] = standIn.store.seed([{ email_address: ["ada@example.com"], first_name: "Ada" }]);
  signedIn.userId = user.id;
  expect((await postToProfile()).status).toBe(200);
});
afterEach(() => standIn.faults.clear());
afterAll(async () => {
  process.env = saved;
  await standIn?.close();
});

async function answer() {
  const before = userRow(signedIn.userId);
  const response = await postToProfile();
  // Whatever Clerk did, the stored row is as it was.
  expect(userRow(signedIn.userId)).toEqual(before);
  return { status: response.status, retryAfter: response.headers.get("Retry-After"), body: await response.json() };
}

describe("the profile action answers each way Clerk fails with its own status", () => {
  it("Clerk's 429 → 429, with Clerk's Retry-After in the header and in the page's countdown", async () => {
    standIn.faults.setApiFault("429", 1, 7);
    expect(await answer()).toEqual({
      status: 429,
      retryAfter: "7",
      body: { ok: false, message: "Clerk is busy (rate limited). Try again in 7 seconds.", retryAfterSeconds: 7 },
    });
  });

  it("Clerk's 500 → 502, nothing to count down", async () => {
    standIn.faults.setApiFault("500", 1);
    expect(await answer()).toEqual({
      status: 502,
      retryAfter: null,
      body: {
        ok: false,
        message: "Clerk is unavailable right now. Your data is unchanged; try again in a moment.",
        retryAfterSeconds: null,
      },
    });
  });

  it("no answer within CLERK_API_TIMEOUT_MS → 504, nothing to count down", async () => {
    standIn.faults.setApiFault("hang", 1);
    expect(await answer()).toEqual({
      status: 504,
      retryAfter: null,
      body: {
        ok: false,
        message: "Clerk did not answer in time. Your data is unchanged; try again in a moment.",
        retryAfterSeconds: null,
      },
    });
  });

  it("Clerk's 404 (the account is gone) → 404, nothing to count down", async () => {
    standIn.store.delete(signedIn.userId);
    expect(await answer()).toEqual({
      status: 404,
      retryAfter: null,
      body: {
        ok: false,
        message: "Clerk no longer has this account, so there is nothing to sync. It may have been deleted.",
        retryAfterSeconds: null,
      },
    });
  });
});
