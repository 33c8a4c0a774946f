import {
  buildClerkOrganization,
  buildClerkOrganizationMembership,
  deletedClerkOrganization,
} from "@clerk-sync/clerk-stand-in/testing";
import { describe, expect, it } from "vitest";
import { processClerkWebhook } from "~/webhook/handle-webhook.server";
import { zodMessage } from "~/webhook/event-handler.server";
import { eventRow } from "../support/db";
import { clerkEvent, clerkUser, signBody } from "../support/clerk-webhooks";

/**
 * A refused delivery leaves a ledger row that says why (`error`), about whom (`clerk_user_id`,
 * the organization's id for organization.*, the member's for memberships) and what became of it
 * (`status`, `outcome`); the same outcome names the delivery's log line. Someone reading the
 * ledger after a failed delivery learns from it what to fix, without the payload.
 */

/** Signs `payload` (an event, or raw text) and hands it to the webhook's processing, as the edge does. */
function receive(payload: unknown) {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  const { "svix-id": id, "svix-timestamp": timestamp, "svix-signature": signature } = signBody(body);
  const result = processClerkWebhook(body, { "svix-id": id, "svix-timestamp": timestamp, "svix-signature": signature });
  return { result, row: eventRow(id), svixId: id };
}

const ledger = (row: Record<string, any> | undefined) => ({
  event_type: row?.event_type,
  clerk_user_id: row?.clerk_user_id,
  status: row?.status,
  outcome: row?.outcome,
  error: row?.error,
});

const refusedAs = (eventType: string, clerkUserId: string | null, error: string) => ({
  event_type: eventType,
  clerk_user_id: clerkUserId,
  status: "failed",
  outcome: "invalid_payload",
  error,
});

const inTenMinutes = () => Date.now() + 10 * 60_000;
const AHEAD = "is more than 5 minutes ahead of this server's clock";

describe("what is not a Clerk event", () => {
  it("a signed body that is not JSON: 'body is not valid JSON', under the type 'unknown'", () => {
    const { result, row, svixId } = receive('{"type":"user.created","data":{');
    expect(result).toEqual({
      status: 400,
      body: { error: "invalid_payload", detail: "body is not valid JSON" },
      outcome: "invalid_payload",
      svixId,
      eventType: "unknown",
    });
    expect(ledger(row)).toEqual(refusedAs("unknown", null, "body is not valid JSON"));
  });

  it("signed JSON that is not an event (a JSON null): 'payload is not a Clerk event'", () => {
    const { result, row } = receive("null");
    expect(result.body).toEqual({ error: "invalid_payload", detail: "payload is not a Clerk event" });
    expect(ledger(row)).toEqual(refusedAs("unknown", null, "payload is not a Clerk event"));
  });

  it("no Svix headers at all: rejected, and no ledger row (nothing says who sent it)", () => {
    expect(processClerkWebhook("{}", null)).toEqual({
      status: 400,
      body: { error: "missing_svix_headers" },
      outcome: "rejected",
      svixId: null,
      eventType: null,
    });
  });
});

describe("events of a type the app does not handle", () => {
  it("are ignored, in the ledger and the outcome, naming the object's id when it has one", () => {
    const { result, row } = receive(clerkEvent("session.created", { object: "session", id: "sess_1", user_id: "u" }));
    expect(result).toMatchObject({ status: 200, body: { ok: true, ignored: "session.created" }, outcome: "ignored" });
    expect(ledger(row)).toEqual({
      event_type: "session.created",
      clerk_user_id: "sess_1",
      status: "ignored",
      outcome: "ignored",
      error: null,
    });
  });

  it.each([
    ["a numeric id", { id: 7 }],
    ["no id", { object: "session" }],
  ])("with %s, name no one", (_label, data) => {
    expect(receive(clerkEvent("session.ended", data)).row?.clerk_user_id).toBeNull();
  });
});

describe("user events", () => {
  it("a user.deleted whose id is not text is refused, naming the field", () => {
    const { result, row } = receive(clerkEvent("user.deleted", { object: "user", id: 42, deleted: true }));
    expect(result).toMatchObject({ status: 400, outcome: "invalid_payload" });
    expect(ledger(row)).toEqual(refusedAs("user.deleted", null, "id: Invalid input: expected string, received number"));
  });

  it("a user.deleted without an id is ignored: no_user_id in the answer, the outcome and the ledger", () => {
    const { result, row } = receive(clerkEvent("user.deleted", { object: "user", deleted: true }));
    expect(result).toMatchObject({ status: 200, body: { ok: true, outcome: "no_user_id" }, outcome: "no_user_id" });
    expect(ledger(row)).toEqual({
      event_type: "user.deleted",
      clerk_user_id: null,
      status: "ignored",
      outcome: "no_user_id",
      error: null,
    });
  });

  it("a repeated delivery is a duplicate, in the answer and the outcome", () => {
    const event = clerkEvent("user.created", clerkUser());
    const body = JSON.stringify(event);
    const headers = signBody(body);
    const svix = {
      "svix-id": headers["svix-id"],
      "svix-timestamp": headers["svix-timestamp"],
      "svix-signature": headers["svix-signature"],
    };
    expect(processClerkWebhook(body, svix).outcome).toBe("created");
    expect(processClerkWebhook(body, svix)).toMatchObject({
      status: 200,
      body: { ok: true, duplicate: true },
      outcome: "duplicate",
    });
  });
});

describe("organization events", () => {
  it("an organization that fails its schema is refused under its own id, naming the first field", () => {
    const { result, row } = receive(clerkEvent("organization.created", { id: "org_no_name", object: "organization" }));
    expect(result).toMatchObject({ status: 400, outcome: "invalid_payload" });
    expect(ledger(row)).toEqual(
      refusedAs("organization.created", "org_no_name", "name: Invalid input: expected string, received undefined"),
    );
  });

  it("an organization whose id is not text is refused under no id", () => {
    const { row } = receive(clerkEvent("organization.updated", { ...buildClerkOrganization(), id: 7 }));
    expect(ledger(row)).toEqual(
      refusedAs("organization.updated", null, "id: Invalid input: expected string, received number"),
    );
  });

  it("an organization event without data is refused, the whole of data named", () => {
    const { row } = receive(clerkEvent("organization.created", null));
    expect(ledger(row)).toEqual(
      refusedAs("organization.created", null, "data: Invalid input: expected object, received null"),
    );
  });

  it("an organization ahead of this server's clock is refused under its id", () => {
    const organization = buildClerkOrganization({ updated_at: inTenMinutes() });
    const { row } = receive(clerkEvent("organization.updated", organization));
    expect(ledger(row)).toEqual(refusedAs("organization.updated", organization.id, `data.updated_at ${AHEAD}`));
  });

  it("an organization.deleted whose id is not text is refused", () => {
    const { result, row } = receive(clerkEvent("organization.deleted", { ...deletedClerkOrganization("x"), id: 42 }));
    expect(result).toMatchObject({ status: 400, outcome: "invalid_payload" });
    expect(ledger(row)).toEqual(
      refusedAs("organization.deleted", null, "id: Invalid input: expected string, received number"),
    );
  });

  it("an organization.deleted without an id is ignored: nothing to delete, nothing a retry could fix", () => {
    const { result, row } = receive(clerkEvent("organization.deleted", { object: "organization", deleted: true }));
    expect(result).toMatchObject({
      status: 200,
      body: { ok: true, outcome: "no_organization_id" },
      outcome: "no_organization_id",
    });
    expect(ledger(row)).toEqual({
      event_type: "organization.deleted",
      clerk_user_id: null,
      status: "ignored",
      outcome: "no_organization_id",
      error: null,
    });
  });

  it("an organization.deleted with an id is processed under that id", () => {
    const { result, row } = receive(clerkEvent("organization.deleted", deletedClerkOrganization("org_gone")));
    expect(result.status).toBe(200);
    expect(ledger(row)).toMatchObject({ clerk_user_id: "org_gone", status: "processed" });
  });
});

describe("membership events", () => {
  it("a membership that fails its schema is refused under the member's id, naming the nested field", () => {
    const membership = buildClerkOrganizationMembership();
    const broken = { ...membership, organization: { ...membership.organization, name: 7 } };
    const { result, row } = receive(clerkEvent("organizationMembership.created", broken));
    expect(result).toMatchObject({ status: 400, outcome: "invalid_payload" });
    expect(ledger(row)).toEqual(
      refusedAs(
        "organizationMembership.created",
        membership.public_user_data.user_id,
        "organization.name: Invalid input: expected string, received number",
      ),
    );
  });

  it("a membership whose member id is not text is refused under no id", () => {
    const membership = buildClerkOrganizationMembership();
    const broken = { ...membership, public_user_data: { ...membership.public_user_data, user_id: 42 } };
    const { row } = receive(clerkEvent("organizationMembership.updated", broken));
    expect(ledger(row)).toEqual(
      refusedAs(
        "organizationMembership.updated",
        null,
        "public_user_data.user_id: Invalid input: expected string, received number",
      ),
    );
  });

  it("a membership event without data is refused, the whole of data named", () => {
    const { row } = receive(clerkEvent("organizationMembership.deleted", null));
    expect(ledger(row)).toEqual(
      refusedAs("organizationMembership.deleted", null, "data: Invalid input: expected object, received null"),
    );
  });

  it("a membership ahead of this server's clock is refused, naming which updated_at", () => {
    const membership = buildClerkOrganizationMembership({ updated_at: inTenMinutes() });
    const { row } = receive(clerkEvent("organizationMembership.updated", membership));
    expect(ledger(row)).toEqual(
      refusedAs("organizationMembership.updated", membership.public_user_data.user_id, `data.updated_at ${AHEAD}`),
    );
  });
});

describe("the message of a schema failure", () => {
  it("is a fixed text when the validator gave no issue to name", () => {
    expect(zodMessage({ issues: [] })).toBe("invalid payload");
  });
});
