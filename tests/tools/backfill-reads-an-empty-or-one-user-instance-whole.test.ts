import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateUsers, startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { backfillUsersFromClerk, type BackfillProgress } from "~/backfill/backfill-users.server";
import { getDb } from "~/db/db.server";
import { clerkFor, liveRows, UNLIMITED } from "./support";

/**
 * The walk's two smallest instances: none (the probes for the oldest and newest user come back empty, and there
 * is nothing to plan) and one user (the oldest is the newest, so the one range must include its own last
 * millisecond).
 */

let standIn: ClerkStandIn;
beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
});
afterAll(async () => {
  await standIn?.close();
});

function recordingProgress() {
  const pages: [number, number][] = [];
  const progress: BackfillProgress = {
    page: (listed, total) => void pages.push([listed, total]),
    retry: () => {},
    end: () => {},
  };
  return { progress, pages };
}

describe("the smallest instances", () => {
  it("an instance with no users: the run ends at once, having listed none, and says 0 of 0", async () => {
    standIn.store.seed([]);
    const { progress, pages } = recordingProgress();
    const summary = await backfillUsersFromClerk({
      clerk: clerkFor(standIn),
      limiter: UNLIMITED,
      db: getDb(),
      progress,
    });
    expect(summary.listed).toBe(0);
    expect(summary.pages).toBe(0);
    expect(pages).toEqual([[0, 0]]);
  });

  it("an instance with one user: that user, created in the newest millisecond, is read and stored", async () => {
    const [user] = standIn.store.seed(generateUsers({ count: 1, now: Date.now(), emailPrefix: "only" }));
    const { progress, pages } = recordingProgress();
    const summary = await backfillUsersFromClerk({
      clerk: clerkFor(standIn),
      limiter: UNLIMITED,
      db: getDb(),
      progress,
    });
    expect(summary.listed).toBe(1);
    expect(liveRows(getDb()).has(user.id)).toBe(true);
    expect(pages.at(-1)).toEqual([1, 1]);
  });
});
