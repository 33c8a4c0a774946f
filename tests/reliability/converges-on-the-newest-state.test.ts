import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clerkEvent, clerkUser } from "../support/clerk-webhooks";
import {
  appForThisFile,
  keepAliveAgent,
  openForChecks,
  post,
  resign,
  signedDelivery,
  type SignedDelivery,
} from "./support";

const served = appForThisFile("shuffles");
const { databasePath } = served;

const MAX_EVENTS = 8;
let userCount = 0;

/** A user's history as Clerk would send it: created, several updates, sometimes deleted. */
function historyOf(updates: number, deleted: boolean) {
  const id = `user_shuffle${String(++userCount).padStart(6, "0")}`;
  const createdAt = Date.UTC(2026, 0, 1) + userCount * 60_000;
  const version = (n: number) =>
    clerkUser({
      id,
      first_name: `v${n}`,
      username: `name${n}`,
      created_at: createdAt,
      updated_at: createdAt + n * 1000,
    });
  const events = [clerkEvent("user.created", version(0))];
  for (let n = 1; n <= updates; n++) events.push(clerkEvent("user.updated", version(n)));
  if (deleted) events.push(clerkEvent("user.deleted", { object: "user", id, deleted: true }));
  return { id, events, newest: version(updates), createdAt };
}

describe("a user's event history delivered concurrently in a random order", () => {
  it("always ends as the newest state (or a tombstone), over 200 random shuffles with redeliveries", async () => {
    const agent = keepAliveAgent(32);
    const readRow = (() => {
      let db = openForChecks(databasePath);
      return (id: string) => {
        // A fresh snapshot each time: the server commits in another process.
        db.close();
        db = openForChecks(databasePath);
        return db.prepare("select * from users where clerk_id = ?").get(id) as Record<string, unknown> | undefined;
      };
    })();

    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: MAX_EVENTS - 2 }),
        fc.boolean(),
        fc.array(fc.integer(), { minLength: MAX_EVENTS, maxLength: MAX_EVENTS }),
        fc.array(fc.boolean(), { minLength: MAX_EVENTS, maxLength: MAX_EVENTS }),
        async (updates, deleted, orderKeys, redelivered) => {
          const { id, events, newest } = historyOf(updates, deleted);
          const deliveries: SignedDelivery[] = [];
          events.forEach((event, i) => {
            const delivery = signedDelivery(event);
            deliveries.push(delivery);
            if (redelivered[i]) deliveries.push(resign(delivery)); // Svix retried it
          });
          const order = deliveries
            .map((_, i) => i)
            .sort((a, b) => orderKeys[a % MAX_EVENTS]! - orderKeys[b % MAX_EVENTS]! || b - a);
          const replies = await Promise.all(
            order.map((i) => post(served.app.url, deliveries[i]!.body, deliveries[i]!.headers, agent)),
          );
          expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));

          const row = readRow(id)!;
          if (deleted) {
            expect(row).toMatchObject({
              email: null,
              first_name: null,
              last_name: null,
              username: null,
              image_url: null,
            });
            expect(row.deleted_at).toEqual(expect.any(Number));
          } else {
            expect(row).toMatchObject({
              email: `${id}@example.com`,
              first_name: newest.first_name,
              username: newest.username,
              clerk_updated_at: newest.updated_at,
              deleted_at: null,
            });
          }
        },
      ),
      { numRuns: 200 },
    );
    agent.destroy();
  });
});
