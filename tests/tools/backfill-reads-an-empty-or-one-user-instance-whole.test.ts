import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateUsers, startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { backfillUsersFromClerk, type BackfillProgress } from "~/backfill/backfill-users.server";
import { getDb } from "~/db/db.server";
import { answeringInFrontOf, clerkFor, liveRows, UNLIMITED } from "./support";

/**
 * The walk's two smallest instances: none (the probes for the oldest and newest user come back empty, and there
 * is nothing to plan) and one user (the oldest is the newest, so the one range must include its own last
 * millisecond). And the race between the two probes, sent at once: the only user deleted, or a first one
 * created, between Clerk's two answers.
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

describe("a user deleted or created between the two probes", () => {
  let proxy: Awaited<ReturnType<typeof answeringInFrontOf>>;
  /** The order of the probe answered as if the instance were empty; the other is the stand-in's answer. */
  let emptyProbe = "";
  beforeAll(async () => {
    proxy = await answeringInFrontOf(standIn, (url) =>
      url.pathname === "/v1/users" && url.searchParams.get("order_by") === emptyProbe ? "[]" : undefined,
    );
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it("ends at once with nothing planned, 0 of 0, as an empty instance does, whichever probe saw none", async () => {
    standIn.store.seed(generateUsers({ count: 1, now: Date.now(), emailPrefix: "racing" }));
    // "-created_at" empty: the only user was deleted before the newest was asked for; "+created_at" empty: it
    // was created after the oldest was. Either way the next run, or the webhook, brings what changed.
    for (const probe of ["-created_at", "+created_at"]) {
      emptyProbe = probe;
      const { progress, pages } = recordingProgress();
      const summary = await backfillUsersFromClerk({
        clerk: proxy.clerk,
        limiter: UNLIMITED,
        db: getDb(),
        progress,
      });
      expect(summary.listed, probe).toBe(0);
      expect(pages, probe).toEqual([[0, 0]]);
    }
  });
});
