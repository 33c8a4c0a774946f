import { describe, expect, it } from "vitest";
import { counts, userRow } from "../support/db";
import { clerkEvent, clerkUser, signedRequest } from "../support/clerk-webhooks";
import { assertTombstone } from "../support/tombstone";
import { deliver } from "../support/webhook-route";

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/** A user's history as Clerk would emit it: created, two updates with later updated_at, deleted. */
function history() {
  const created = clerkUser({ first_name: "Ada", updated_at: 1_000 });
  const id = created.id;
  const firstUpdate = { ...created, first_name: "Augusta", updated_at: 2_000 };
  const secondUpdate = { ...created, first_name: "Countess", username: "lovelace", updated_at: 3_000 };
  return {
    id,
    created: clerkEvent("user.created", created),
    firstUpdate: clerkEvent("user.updated", firstUpdate),
    secondUpdate: clerkEvent("user.updated", secondUpdate),
    deleted: clerkEvent("user.deleted", { object: "user", id, deleted: true }),
  };
}

describe("at-least-once delivery: a repeated svix-id changes nothing", () => {
  it("answers the repeat with 2xx and leaves the row as the first delivery left it", async () => {
    const user = clerkUser();
    const body = JSON.stringify(clerkEvent("user.created", user));
    const first = await deliver(signedRequest(body, { svixId: "msg_duplicate_1" }));
    expect(first).toEqual({ status: 200, body: { ok: true, outcome: "created" } });
    const before = { row: userRow(user.id), counts: counts() };
    for (let i = 0; i < 3; i++) {
      const again = await deliver(signedRequest(body, { svixId: "msg_duplicate_1" }));
      expect(again).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    }
    expect(userRow(user.id)).toEqual(before.row);
    expect(counts()).toEqual(before.counts);
  });

  it("does not apply a repeated svix-id even if the user changed in between", async () => {
    const user = clerkUser({ updated_at: 10_000 });
    const createdBody = JSON.stringify(clerkEvent("user.created", user));
    await deliver(signedRequest(createdBody, { svixId: "msg_dup_then_update_a" }));
    await deliver(signedRequest(clerkEvent("user.updated", { ...user, first_name: "Newer", updated_at: 20_000 })));
    await deliver(signedRequest(createdBody, { svixId: "msg_dup_then_update_a" }));
    expect(userRow(user.id)!.first_name).toBe("Newer");
  });
});

describe("order is not guaranteed: Clerk's updated_at decides, and deletion is final", () => {
  const events = ["created", "firstUpdate", "secondUpdate", "deleted"] as const;

  it.each(permutations([...events]).map((order) => [order.join(" → "), order]))(
    "%s ends as a tombstone",
    async (_label, order) => {
      const h = history();
      for (const name of order as (typeof events)[number][]) {
        expect((await deliver(signedRequest(h[name]))).status).toBe(200);
      }
      assertTombstone(userRow(h.id));
    },
  );

  it.each(permutations(["created", "firstUpdate", "secondUpdate"] as const).map((order) => [order.join(" → "), order]))(
    "%s ends with the newest data",
    async (_label, order) => {
      const h = history();
      for (const name of order) await deliver(signedRequest(h[name]));
      expect(userRow(h.id)).toMatchObject({
        first_name: "Countess",
        username: "lovelace",
        clerk_updated_at: 3_000,
        deleted_at: null,
      });
    },
  );

  it("answers a stale update with 2xx and outcome stale, leaving newer data", async () => {
    const h = history();
    await deliver(signedRequest(h.secondUpdate));
    const { status, body } = await deliver(signedRequest(h.firstUpdate));
    expect(status).toBe(200);
    expect(body.outcome).toBe("stale");
    expect(userRow(h.id)!.first_name).toBe("Countess");
  });

  it("never brings a deleted user back, even with a newer updated_at", async () => {
    const h = history();
    await deliver(signedRequest(h.created));
    await deliver(signedRequest(h.deleted));
    const revived = clerkEvent("user.updated", { ...(h.secondUpdate.data as object), updated_at: 99_999 });
    const { body } = await deliver(signedRequest(revived));
    expect(body.outcome).toBe("tombstoned");
    expect(userRow(h.id)!.email).toBeNull();
  });

  it("keeps the envelope timestamp out of ordering decisions", async () => {
    const h = history();
    // The newer data arrives with an older envelope timestamp, in seconds.
    await deliver(signedRequest(clerkEvent("user.updated", h.firstUpdate.data, Date.now())));
    await deliver(signedRequest(clerkEvent("user.updated", h.secondUpdate.data, 1)));
    expect(userRow(h.id)!.first_name).toBe("Countess");
  });
});
