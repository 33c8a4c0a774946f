import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { getDb, waitForLocksOffTheEventLoop } from "~/db/db.server";
import { readDatabaseConfig } from "~/env.server";
import { userRow } from "../support/db";
import { postToProfile } from "../support/profile-action";

/**
 * A busy database is the same failure whichever door meets it, and gets the
 * same answer: the webhook's 503 + Retry-After. "Sync User Data" while another
 * process (the backfill, a sqlite3 shell) holds the write lock longer than
 * SQLITE_BUSY_TIMEOUT_MS says so in the page, with 503 and Retry-After, and the
 * stored row stays as it was; once the lock is free, the same click goes through.
 */

const signedIn = vi.hoisted(() => {
  // The whole wait for the lock, kept short: the answer, not the waiting, is what this file is about.
  process.env.SQLITE_BUSY_TIMEOUT_MS = "300";
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
  // What the server does at start (entry.server.tsx): lock waits happen in withLockRetry, off the event loop.
  waitForLocksOffTheEventLoop(getDb());
});
afterAll(async () => {
  process.env = saved;
  await standIn?.close();
});

describe("Sync User Data while another process holds the write lock", () => {
  it("answers 503 with Retry-After and says the database is busy, keeps the row, and goes through once the lock is free", async () => {
    const [user] = standIn.store.seed([{ email_address: ["ada@example.com"], first_name: "Ada" }]);
    signedIn.userId = user.id;
    expect((await postToProfile()).status).toBe(200);
    const before = userRow(user.id);
    expect(before).toMatchObject({ first_name: "Ada" });
    standIn.store.update(user.id, { first_name: "Grace" });

    const elsewhere = new Database(readDatabaseConfig().path);
    elsewhere.exec("BEGIN IMMEDIATE");
    let busy: Response;
    try {
      busy = await postToProfile();
    } finally {
      elsewhere.exec("COMMIT");
      elsewhere.close();
    }

    expect(busy.status).toBe(503);
    expect(busy.headers.get("Retry-After")).toBe("5");
    expect(await busy.json()).toEqual({
      ok: false,
      message: "This app's database is busy right now. Your data is unchanged; try again in a moment.",
      retryAfterSeconds: 5,
    });
    expect(userRow(user.id)).toEqual(before);

    const retried = await postToProfile();
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({
      ok: true,
      outcome: "updated",
      message: expect.stringMatching(/^First name/),
    });
    expect(userRow(user.id)).toMatchObject({ first_name: "Grace", sync_source: "manual" });
  });
});
