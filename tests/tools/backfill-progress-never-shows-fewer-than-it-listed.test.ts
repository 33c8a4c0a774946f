import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateUsers, startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { backfillUsersFromClerk, type BackfillProgress } from "~/backfill/backfill-users.server";
import { getDb } from "~/db/db.server";
import { clerkFor, liveRows, UNLIMITED } from "./support";

/**
 * Clerk's count is taken once, as the run starts; users who sign up while it walks are listed too. The
 * progress line's total is that count until more than that have been listed, then what has been listed: it
 * never reads "7 of 3".
 */

let standIn: ClerkStandIn;
let proxy: Server;
beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
  // The stand-in, but its count answers 3 whatever it holds: as if the rest signed up after the count.
  const upstream = clerkFor(standIn).apiUrl;
  proxy = createServer((req, res) => {
    void (async () => {
      const answer = await fetch(new URL(req.url ?? "/", upstream), {
        headers: { authorization: req.headers.authorization ?? "" },
      });
      const body = req.url?.startsWith("/v1/users/count")
        ? JSON.stringify({ object: "total_count", total_count: 3 })
        : await answer.text();
      res.writeHead(answer.status, { "content-type": "application/json" }).end(body);
    })();
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
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
      clerk: { ...clerkFor(standIn), apiUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` },
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
