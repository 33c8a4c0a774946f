import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { getDb, waitForLocksOffTheEventLoop } from "~/db/db.server";
import { readDatabaseConfig } from "~/env.server";
import { syncUserFromClerk } from "~/sync/sync-user.server";
import { sqlite } from "../support/db";
import { postToOrganization } from "../support/organization-action";
import { APP_ORIGIN } from "../support/profile-action";

/**
 * The organization page's action keeps the profile action's promises: only
 * its own origin (403 otherwise, before Clerk is asked anything), only a form
 * (400), only for a signed-in live member (404 for anyone else, the loader's
 * answer, so an outsider learns nothing about which slugs exist), and each way
 * Clerk or the database fails gets the profile's status, Retry-After and words.
 */

const signedIn = vi.hoisted(() => {
  // Short waits: the answers, not the waiting, are what this file is about.
  process.env.CLERK_API_TIMEOUT_MS = "300";
  process.env.SQLITE_BUSY_TIMEOUT_MS = "300";
  return { userId: "" };
});
vi.mock("~/auth.server", () => ({ requireUserId: async () => signedIn.userId }));

let standIn: ClerkStandIn;
let member: { id: string };
let outsider: { id: string };
let slug: string;
let clerkCalls: string[] = [];
const saved = { ...process.env };
beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
  const env = standIn.env();
  Object.assign(process.env, { CLERK_API_URL: env.CLERK_API_URL, CLERK_SECRET_KEY: env.CLERK_SECRET_KEY });
  process.env.OFFLINE_MODE = "1";
  // What the server does at start (entry.server.tsx): lock waits happen in withLockRetry, off the event loop.
  waitForLocksOffTheEventLoop(getDb());
  [member, outsider] = standIn.store.seed([
    { email_address: ["member@example.com"], first_name: "Member" },
    { email_address: ["outsider@example.com"], first_name: "Outsider" },
  ]);
  slug = standIn.organizations.create({ name: "Club", created_by: member.id }).slug;
  for (const user of [member, outsider]) expect(await syncUserFromClerk(user.id)).toMatchObject({ ok: true });
  standIn.observeBackendApi((event) => {
    if (event.phase === "received") clerkCalls.push(event.path);
  });
});
afterEach(() => {
  standIn.faults.clear();
  clerkCalls = [];
});
afterAll(async () => {
  process.env = saved;
  await standIn?.close();
});

const stored = () => sqlite().prepare("select * from organization_memberships order by id").all();

async function answer(response: Response) {
  return { status: response.status, retryAfter: response.headers.get("Retry-After"), body: await response.json() };
}

describe("who may sync an organization", () => {
  it("a signed-in outsider gets the loader's 404, and Clerk is not asked", async () => {
    signedIn.userId = outsider.id;
    const response = await postToOrganization(slug);
    expect(response.status).toBe(404);
    expect(clerkCalls).toEqual([]);
  });

  it("an unknown slug is the same 404", async () => {
    signedIn.userId = member.id;
    expect((await postToOrganization("no-such-club")).status).toBe(404);
    expect(clerkCalls).toEqual([]);
  });

  it.each([
    ["another site", { origin: "https://evil.example" }],
    ["another port on localhost", { origin: "http://localhost:4888" }],
    ["a browser that says the request crossed sites", { "sec-fetch-site": "cross-site" }],
  ])("a post from %s gets 403, before Clerk is asked anything", async (_case, headers) => {
    signedIn.userId = member.id;
    const response = await postToOrganization(slug, { intent: "sync-organization" }, headers);
    expect(response.status).toBe(403);
    expect((await response.json()).message).toMatch(/only be sent from this app's own pages/);
    expect(clerkCalls).toEqual([]);
  });

  it("a body that is not a form gets 400, and an unknown intent 400", async () => {
    signedIn.userId = member.id;
    const request = new Request(`${APP_ORIGIN}/orgs/${slug}`, {
      method: "POST",
      headers: { origin: APP_ORIGIN, "content-type": "text/plain" },
      body: "intent=sync-organization",
    });
    const { action } = await import("~/routes/orgs.$slug");
    expect(((await action({ request, params: { slug }, context: {} })) as Response).status).toBe(400);
    expect((await postToOrganization(slug, { intent: "delete-everything" })).status).toBe(400);
    expect(clerkCalls).toEqual([]);
  });

  it("a member gets the sync", async () => {
    signedIn.userId = member.id;
    expect(await answer(await postToOrganization(slug))).toEqual({
      status: 200,
      retryAfter: null,
      body: { ok: true, message: "Already up to date." },
    });
    expect(clerkCalls).toEqual([
      expect.stringMatching(/\/v1\/organizations\/org_\w+$/),
      expect.stringMatching(/\/v1\/organizations\/org_\w+\/memberships$/),
    ]);
  });
});

describe("each failure gets the profile action's answer, and nothing stored changes", () => {
  async function failedSync() {
    signedIn.userId = member.id;
    const before = stored();
    const result = await answer(await postToOrganization(slug));
    expect(stored()).toEqual(before);
    return result;
  }

  it("Clerk's 429 → 429, with Clerk's Retry-After", async () => {
    standIn.faults.setApiFault("429", 1, 7);
    expect(await failedSync()).toEqual({
      status: 429,
      retryAfter: "7",
      body: { ok: false, message: "Clerk is busy (rate limited). Try again in 7 seconds.", retryAfterSeconds: 7 },
    });
  });

  it("Clerk's 500 on the member listing → 502", async () => {
    const stop = standIn.observeBackendApi((event) => {
      if (event.phase === "answered" && !event.path.endsWith("/memberships")) standIn.faults.setApiFault("500", 1);
    });
    try {
      expect(await failedSync()).toEqual({
        status: 502,
        retryAfter: null,
        body: {
          ok: false,
          message: "Clerk is unavailable right now. Your data is unchanged; try again in a moment.",
          retryAfterSeconds: null,
        },
      });
    } finally {
      stop();
    }
  });

  it("no answer within CLERK_API_TIMEOUT_MS → 504", async () => {
    standIn.faults.setApiFault("hang", 1);
    expect(await failedSync()).toMatchObject({ status: 504, retryAfter: null });
  });

  it("the database locked by another process longer than SQLITE_BUSY_TIMEOUT_MS → 503 with Retry-After", async () => {
    standIn.organizations.update(slug, { name: "Club Renamed" });
    const elsewhere = new Database(readDatabaseConfig().path);
    elsewhere.exec("BEGIN IMMEDIATE");
    let busy: Awaited<ReturnType<typeof answer>>;
    try {
      busy = await failedSync();
    } finally {
      elsewhere.exec("COMMIT");
      elsewhere.close();
    }
    expect(busy).toEqual({
      status: 503,
      retryAfter: "5",
      body: {
        ok: false,
        message: "This app's database is busy right now. Your data is unchanged; try again in a moment.",
        retryAfterSeconds: 5,
      },
    });
    expect(await answer(await postToOrganization(slug))).toMatchObject({
      status: 200,
      body: { ok: true, message: "Renamed to Club Renamed." },
    });
  });
});
