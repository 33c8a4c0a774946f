import { describe, expect, it } from "vitest";
import { clerkEvent, clerkUser } from "../support/clerk-webhooks";
import {
  appForThisFile,
  counts,
  inParallel,
  keepAliveAgent,
  openForChecks,
  post,
  resign,
  signedDelivery,
} from "./support";

const served = appForThisFile("same-svix-id");
const { databasePath } = served;

describe("1,000 deliveries of the same svix-id", () => {
  it("writes exactly once and answers every copy 2xx, whether it carries the first signature or a retry's", async () => {
    const user = clerkUser();
    const first = signedDelivery(clerkEvent("user.created", user));
    // Half are byte-for-byte copies, half are retries Svix re-signed with a later timestamp.
    const copies = Array.from({ length: 1_000 }, (_, i) => (i % 2 === 0 ? first : resign(first)));

    const agent = keepAliveAgent(128);
    const replies = await inParallel(copies, 1_000, (copy) => post(served.app.url, copy.body, copy.headers, agent));
    agent.destroy();

    expect(replies.filter((r) => r.status !== 200)).toEqual([]);
    const bodies = replies.map((r) => JSON.parse(r.body));
    expect(bodies.filter((b) => b.outcome === "created")).toHaveLength(1);
    expect(bodies.filter((b) => b.duplicate === true)).toHaveLength(999);

    expect(counts(databasePath)).toEqual({ users: 1, events: 1 });
    const db = openForChecks(databasePath);
    const ledger = db
      .prepare("select status, outcome, attempts from webhook_events where svix_id = ?")
      .get(first.svixId);
    db.close();
    expect(ledger).toEqual({ status: "processed", outcome: "created", attempts: 1 });
  });
});
