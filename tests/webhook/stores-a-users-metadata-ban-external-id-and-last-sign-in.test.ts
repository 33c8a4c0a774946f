import { describe, expect, it } from "vitest";
import { eventRow, userRow } from "../support/db";
import { clerkEvent, clerkUser, loadFixture, signedRequest } from "../support/clerk-webhooks";
import { assertTombstone } from "../support/tombstone";
import { deliver } from "../support/webhook-route";

/**
 * The whole user (issue 19): `public_metadata` and `private_metadata` as the JSON
 * text Clerk sent, `last_sign_in_at` in ms, `banned` (0/1, null while unknown) and
 * `external_id`, under the column names outside tools read.
 */

describe("user.updated with metadata, a ban, an external id and a sign-in", () => {
  it("stores each in its column, and names the changed fields in the ledger's outcome", async () => {
    const user = clerkUser();
    expect((await deliver(signedRequest(clerkEvent("user.created", user)))).body).toEqual({
      ok: true,
      outcome: "created",
    });
    expect(userRow(user.id)).toMatchObject({
      public_metadata: "{}",
      private_metadata: null,
      last_sign_in_at: null,
      banned: 0,
      external_id: null,
    });

    const signedIn = user.created_at + 60_000;
    const updated = {
      ...user,
      public_metadata: { plan: "pro", seats: 5, flags: ["beta"] },
      private_metadata: { stripe_customer: "cus_123", notes: { vip: true } },
      last_sign_in_at: signedIn,
      banned: true,
      external_id: "crm-42",
      updated_at: user.updated_at + 1,
    };
    const request = signedRequest(clerkEvent("user.updated", updated));
    const svixId = request.headers.get("svix-id")!;
    expect((await deliver(request)).body).toEqual({ ok: true, outcome: "updated" });
    const row = userRow(user.id)!;
    expect(row).toMatchObject({
      last_sign_in_at: signedIn,
      banned: 1,
      external_id: "crm-42",
      clerk_updated_at: updated.updated_at,
      sync_source: "webhook",
    });
    expect(JSON.parse(row.public_metadata)).toEqual(updated.public_metadata);
    expect(JSON.parse(row.private_metadata)).toEqual(updated.private_metadata);
    expect(eventRow(svixId)).toMatchObject({ event_type: "user.updated", status: "processed", outcome: "updated" });

    // Unbanned, metadata emptied, external id removed: each is news, not "unchanged".
    const cleared = {
      ...updated,
      public_metadata: {},
      private_metadata: null,
      banned: false,
      external_id: null,
      updated_at: updated.updated_at + 1,
    };
    expect((await deliver(signedRequest(clerkEvent("user.updated", cleared)))).body).toEqual({
      ok: true,
      outcome: "updated",
    });
    expect(userRow(user.id)).toMatchObject({
      public_metadata: "{}",
      private_metadata: null,
      last_sign_in_at: signedIn,
      banned: 0,
      external_id: null,
    });

    // An older delivery carrying the ban arrives late: refused as stale, the row keeps the newer state.
    expect((await deliver(signedRequest(clerkEvent("user.updated", updated)))).body).toEqual({
      ok: true,
      outcome: "stale",
    });
    expect(userRow(user.id)).toMatchObject({ banned: 0, external_id: null });
  });

  it("stores Clerk's OpenAPI example of user.updated as it is", async () => {
    const created = loadFixture("openapi-user-created");
    await deliver(signedRequest(created));
    const updated = loadFixture("openapi-user-updated");
    expect((await deliver(signedRequest(updated))).status).toBe(200);
    expect(userRow(updated.data.id)).toMatchObject({
      public_metadata: JSON.stringify(updated.data.public_metadata),
      private_metadata: null,
      last_sign_in_at: updated.data.last_sign_in_at,
      banned: 0,
      external_id: null,
    });
  });

  it("erases them on user.deleted, with the rest of the profile", async () => {
    const user = {
      ...clerkUser(),
      public_metadata: { role: "admin" },
      private_metadata: { secret: "s" },
      last_sign_in_at: Date.UTC(2026, 0, 1),
      banned: true,
      external_id: "crm-7",
    };
    await deliver(signedRequest(clerkEvent("user.created", user)));
    expect(userRow(user.id)).toMatchObject({ banned: 1, external_id: "crm-7" });
    await deliver(signedRequest(clerkEvent("user.deleted", { object: "user", id: user.id, deleted: true })));
    assertTombstone(userRow(user.id));
  });

  it("refuses a ban that is not a boolean and metadata that is not an object, and stores nothing", async () => {
    for (const odd of [{ banned: "yes" }, { public_metadata: "plan=pro" }, { last_sign_in_at: "yesterday" }]) {
      const user = clerkUser(odd);
      const { status } = await deliver(signedRequest(clerkEvent("user.created", user)));
      expect(status).toBe(400);
      expect(userRow(user.id)).toBeUndefined();
    }
  });
});
