import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { clerkUserSchema, clerkUserToRow } from "~/clerk/clerk-user";
import { syncUserFromClerk } from "~/sync/sync-user.server";
import { getDb } from "~/db/db.server";
import { MAX_CLOCK_SKEW_MS, upsertUsersFromClerk, writeClerkUser } from "~/db/user-writer.server";
import { clerkEvent, clerkUser, signedRequest } from "../support/clerk-webhooks";
import { eventRow, userRow } from "../support/db";
import { deliver } from "../support/webhook-route";

/**
 * One correctly signed event with `data.updated_at` far in the future used to
 * become the ordering key, and then every real change was "stale" forever
 * (docs/decisions/006-clock-skew.md).
 */

const FAR_FUTURE = 9e15;

describe("a webhook whose data.updated_at is beyond the clock-skew tolerance", () => {
  it("is refused with 400 and a failed ledger row saying why; later real updates still land", async () => {
    const user = clerkUser();
    expect((await deliver(signedRequest(clerkEvent("user.created", user)))).status).toBe(200);

    const future = { ...user, first_name: "Frozen", updated_at: FAR_FUTURE };
    const refused = await deliver(signedRequest(clerkEvent("user.updated", future), { svixId: "msg_from_the_future" }));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      error: "invalid_payload",
      detail: expect.stringMatching(/updated_at is more than 5 minutes ahead/),
    });
    expect(eventRow("msg_from_the_future")).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/ahead of this server's clock/),
    });
    expect(userRow(String(user.id))).toMatchObject({ first_name: "Ada", clerk_updated_at: user.updated_at });

    const real = { ...user, first_name: "Grace", updated_at: Date.now() };
    const landed = await deliver(signedRequest(clerkEvent("user.updated", real)));
    expect(landed.body).toEqual({ ok: true, outcome: "updated" });
    expect(userRow(String(user.id))).toMatchObject({ first_name: "Grace" });
  });

  it("is accepted when within the tolerance (a sender's clock a little ahead)", async () => {
    const user = clerkUser({ updated_at: Date.now() + MAX_CLOCK_SKEW_MS - 60_000 });
    const { status, body } = await deliver(signedRequest(clerkEvent("user.created", user)));
    expect(status).toBe(200);
    expect(body).toEqual({ ok: true, outcome: "created" });
  });
});

describe("a row frozen by a future-dated key (stored before this rule) is repaired from Clerk's current state", () => {
  let standIn: ClerkStandIn;
  const saved = { ...process.env };

  beforeAll(async () => {
    standIn = await startClerkStandIn({ port: 0 });
    // The sync button's Backend API calls go to the stand-in, as offline mode sets them.
    const env = standIn.env();
    process.env.CLERK_API_URL = env.CLERK_API_URL;
    process.env.CLERK_SECRET_KEY = env.CLERK_SECRET_KEY;
  });
  afterAll(async () => {
    process.env = saved;
    await standIn?.close();
  });

  function freeze(clerkId: string) {
    const frozen = {
      ...clerkUserToRow(clerkUserSchema.parse(standIn.store.get(clerkId))),
      firstName: "Frozen",
      clerkUpdatedAt: FAR_FUTURE,
    };
    // Stored before the rule, when no door refused such a key: as if this clock had read FAR_FUTURE then.
    getDb().transaction((tx) => writeClerkUser(tx, frozen, "webhook", FAR_FUTURE));
    expect(userRow(clerkId)).toMatchObject({ first_name: "Frozen", clerk_updated_at: FAR_FUTURE });
  }

  function expectRowEqualsClerk(clerkId: string) {
    const clerk = clerkUserToRow(clerkUserSchema.parse(standIn.store.get(clerkId)));
    expect(userRow(clerkId)).toMatchObject({
      email: clerk.email,
      first_name: clerk.firstName,
      last_name: clerk.lastName,
      username: clerk.username,
      clerk_updated_at: clerk.clerkUpdatedAt,
    });
  }

  it("Sync User Data: the freeze, then Sync → the row equals Clerk", async () => {
    const [seeded] = standIn.store.seed([
      { email_address: ["frozen-sync@example.com"], first_name: "Real", last_name: "Person" },
    ]);
    freeze(seeded.id);
    // A real webhook cannot get past the frozen key: that is the bug being repaired.
    const update = { ...clerkUser({ id: seeded.id }), updated_at: Date.now() };
    expect((await deliver(signedRequest(clerkEvent("user.updated", update)))).body).toEqual({
      ok: true,
      outcome: "stale",
    });

    const result = await syncUserFromClerk(seeded.id);
    expect(result).toMatchObject({ ok: true, outcome: "updated" });
    expectRowEqualsClerk(seeded.id);
    expect(userRow(seeded.id)).toMatchObject({ first_name: "Real", sync_source: "manual" });
  });

  it("the backfill's write (sync:all) repairs it the same way", () => {
    const [seeded] = standIn.store.seed([
      { email_address: ["frozen-backfill@example.com"], first_name: "Also", last_name: "Real" },
    ]);
    freeze(seeded.id);
    const [result] = upsertUsersFromClerk(
      [clerkUserToRow(clerkUserSchema.parse(standIn.store.get(seeded.id)))],
      "backfill",
    );
    expect(result.outcome).toBe("updated");
    expectRowEqualsClerk(seeded.id);
  });

  it("a webhook is still not allowed to move a key backwards", () => {
    const [seeded] = standIn.store.seed([
      { email_address: ["frozen-webhook@example.com"], first_name: "Still", last_name: "Frozen" },
    ]);
    freeze(seeded.id);
    const fields = clerkUserToRow(clerkUserSchema.parse(standIn.store.get(seeded.id)));
    const result = getDb().transaction((tx) => writeClerkUser(tx, fields, "webhook"));
    expect(result.outcome).toBe("stale");
  });
});
