import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateUsers, startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { backfillUsersFromClerk, type BackfillProgress } from "~/backfill/backfill-users.server";
import { getDb } from "~/db/db.server";
import { answeringInFrontOf, liveRows, UNLIMITED } from "./support";

/**
 * Clerk's count is taken once, as the run starts; users who sign up while it walks are listed too. The
 * progress line's total is that count until more than that have been listed, then what has been listed: it
 * never reads "7 of 3".
 */

let standIn: ClerkStandIn;
let proxy: Awaited<ReturnType<typeof answeringInFrontOf>>;
beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
  // The stand-in, but its count answers 3 whatever it holds: as if the rest signed up after the count.
  proxy = await answeringInFrontOf(standIn, (url) =>
    url.pathname === "/v1/users/count" ? JSON.stringify({ object: "total_count", total_count: 3 }) : undefined,
  );
});
afterAll(async () => {
  await proxy?.close();
  await standIn?.close();
});

describe("the backfill's progress", () => {
  it("shows a total at least what it has listed when Clerk's count, taken at the start, is lower; and how long it took", async () => {
    const seeded = standIn.store.seed(generateUsers({ count: 7, now: Date.now(), emailPrefix: "late" }));
    const pages: [number, number][] = [];
    const progress: BackfillProgress = {
      page: (listed, total) => void pages.push([listed, total]),
      retry: () => {},
      end: () => {},
    };
    const startedAt = Date.now();
    const summary = await backfillUsersFromClerk({
      clerk: proxy.clerk,
      limiter: UNLIMITED,
      pageSize: 2,
      db: getDb(),
      progress,
    });
    const took = Date.now() - startedAt;

    expect(summary.listed).toBe(7);
    expect(new Set(liveRows(getDb()).keys())).toEqual(new Set(seeded.map((user) => user.id)));
    expect(pages.length).toBe(summary.pages);
    expect(pages.some(([listed]) => listed > 3)).toBe(true);
    for (const [listed, total] of pages) expect(total).toBe(Math.max(3, listed));
    expect(pages.at(-1)).toEqual([7, 7]);
    expect(summary.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(summary.elapsedMs).toBeLessThanOrEqual(took);
  });
});
