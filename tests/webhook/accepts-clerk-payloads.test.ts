import { describe, expect, it } from "vitest";
import { counts, eventRow, userRow } from "../support/db";
import { clerkEvent, clerkUser, loadFixture, signedRequest } from "../support/clerk-webhooks";
import { assertTombstone } from "../support/tombstone";
import { deliver } from "../support/webhook-route";

describe("the webhook accepts every payload shape Clerk sends", () => {
  it("stores user.created from Clerk's webhook guide (older shape, ms envelope timestamp) with the primary email", async () => {
    const event = loadFixture("seed-002-user-created");
    const request = signedRequest(event);
    const svixId = request.headers.get("svix-id")!;
    const { status, body } = await deliver(request);
    expect(status).toBe(200);
    expect(body).toEqual({ ok: true, outcome: "created" });
    expect(userRow(event.data.id)).toMatchObject({
      clerk_id: "user_29w83sxmDNGwOuEthce5gg56FcC",
      email: "example@example.org",
      first_name: "Example",
      last_name: "Example",
      username: null,
      image_url: "https://img.clerk.com/xxxxxx",
      clerk_created_at: event.data.created_at,
      clerk_updated_at: event.data.updated_at,
      deleted_at: null,
      sync_source: "webhook",
    });
    expect(eventRow(svixId)).toMatchObject({
      event_type: "user.created",
      clerk_user_id: event.data.id,
      status: "processed",
      outcome: "created",
      error: null,
    });
  });

  it("stores the OpenAPI examples: empty email_addresses with a primary id set, null private metadata, seconds timestamp", async () => {
    const created = loadFixture("openapi-user-created");
    expect((await deliver(signedRequest(created))).status).toBe(200);
    expect(userRow(created.data.id)).toMatchObject({ email: null, first_name: "John", last_name: "Doe" });

    const updated = loadFixture("openapi-user-updated");
    const { status, body } = await deliver(signedRequest(updated));
    expect(status).toBe(200);
    // The example update carries the same updated_at as the creation: it must not be refused as stale.
    expect(["updated", "unchanged"]).toContain(body.outcome);

    const deleted = loadFixture("openapi-user-deleted");
    expect((await deliver(signedRequest(deleted))).body).toEqual({ ok: true, outcome: "deleted" });
    assertTombstone(userRow(deleted.data.id));
  });

  it("takes the primary email by primary_email_address_id, not the first address", async () => {
    const user = clerkUser();
    await deliver(signedRequest(clerkEvent("user.created", user)));
    expect(userRow(user.id)!.email).toBe(`${user.id}@example.com`);
  });

  it("accepts null names, username, image and metadata", async () => {
    const user = clerkUser({
      first_name: null,
      last_name: null,
      username: null,
      image_url: null,
      public_metadata: null,
      unsafe_metadata: null,
    });
    expect((await deliver(signedRequest(clerkEvent("user.created", user)))).status).toBe(200);
    expect(userRow(user.id)).toMatchObject({ first_name: null, last_name: null, username: null, image_url: null });
  });

  it("accepts the envelope timestamp in seconds or milliseconds alike", async () => {
    const inSeconds = clerkUser();
    const inMs = clerkUser();
    expect(
      (await deliver(signedRequest(clerkEvent("user.created", inSeconds, Math.floor(Date.now() / 1000))))).status,
    ).toBe(200);
    expect((await deliver(signedRequest(clerkEvent("user.created", inMs, Date.now())))).status).toBe(200);
    expect(userRow(inSeconds.id)).toBeDefined();
    expect(userRow(inMs.id)).toBeDefined();
  });

  it("answers 2xx to an event type it does not handle, recorded as ignored", async () => {
    const before = counts();
    const request = signedRequest(
      clerkEvent("session.created", { object: "session", id: "sess_123", user_id: "user_x" }),
    );
    const { status, body } = await deliver(request);
    expect(status).toBe(200);
    expect(body).toEqual({ ok: true, ignored: "session.created" });
    expect(eventRow(request.headers.get("svix-id")!)).toMatchObject({
      status: "ignored",
      event_type: "session.created",
    });
    expect(counts().users).toBe(before.users);
  });

  it("records a user.deleted without an id as ignored: there is nothing to delete", async () => {
    const before = counts();
    const request = signedRequest(clerkEvent("user.deleted", { object: "user", deleted: true }));
    expect((await deliver(request)).status).toBe(200);
    expect(eventRow(request.headers.get("svix-id")!)).toMatchObject({ status: "ignored", outcome: "no_user_id" });
    expect(counts().users).toBe(before.users);
  });
});

describe("a signed body that is not a valid event is a 400 and only a failed event row", () => {
  it("malformed JSON", async () => {
    const before = counts();
    const request = signedRequest('{"type":"user.created","data":{');
    const { status, body } = await deliver(request);
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_payload");
    expect(eventRow(request.headers.get("svix-id")!)).toMatchObject({ status: "failed", event_type: "unknown" });
    expect(counts()).toEqual({ users: before.users, events: before.events + 1 });
  });

  it.each([
    ["a user without an id", { ...clerkUser(), id: undefined }],
    ["updated_at as a string", { ...clerkUser(), updated_at: "yesterday" }],
    ["email_addresses as an object", { ...clerkUser(), email_addresses: { id: "idn_1" } }],
    ["no data at all", null],
  ])("user.created with %s", async (_label, data) => {
    const before = counts();
    const request = signedRequest(clerkEvent("user.created", data));
    const { status, body } = await deliver(request);
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_payload");
    const row = eventRow(request.headers.get("svix-id")!)!;
    expect(row).toMatchObject({ status: "failed", event_type: "user.created" });
    expect(row.error).toEqual(expect.any(String));
    expect(counts()).toEqual({ users: before.users, events: before.events + 1 });
  });

  it("an event without a type", async () => {
    const request = signedRequest({ object: "event", data: clerkUser() });
    expect((await deliver(request)).status).toBe(400);
    expect(eventRow(request.headers.get("svix-id")!)!.status).toBe("failed");
  });

  it("a retried failure counts its attempts and is still refused", async () => {
    const request = signedRequest("not json", { svixId: "msg_retried_failure" });
    const body = "not json";
    expect((await deliver(request)).status).toBe(400);
    const again = signedRequest(body, { svixId: "msg_retried_failure" });
    expect((await deliver(again)).status).toBe(400);
    expect(eventRow("msg_retried_failure")).toMatchObject({ status: "failed", attempts: 2 });
  });
});
