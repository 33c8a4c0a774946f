import { readFileSync } from "node:fs";
import {
  buildClerkOrganization,
  buildClerkOrganizationMembership,
  deletedClerkOrganization,
} from "@clerk-sync/clerk-stand-in/testing";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { counts, eventRow, sqlite } from "../support/db";
import { clerkEvent, clerkUser, signedRequest } from "../support/clerk-webhooks";
import { deliver } from "../support/webhook-route";

const openApi = parse(
  readFileSync(
    new URL("../../packages/clerk-stand-in/test/fixtures/openapi/clerk-webhooks-2025-04-15.yml", import.meta.url),
    "utf8",
  ),
) as { "x-webhooks": Record<string, { post: { requestBody: { content: Record<string, { example: any }> } } }> };
/** Clerk's own example event of a type, as its OpenAPI document gives it. */
const openApiExample = (type: string) =>
  structuredClone(openApi["x-webhooks"][type]!.post.requestBody.content["application/json"]!.example);

const organizationRow = (id: string) =>
  sqlite().prepare("select * from organizations where clerk_id = ?").get(id) as Record<string, any> | undefined;
const membershipRow = (id: string) =>
  sqlite().prepare("select * from organization_memberships where clerk_id = ?").get(id) as
    Record<string, any> | undefined;

async function send(event: unknown, svixId?: string) {
  const request = signedRequest(event, { svixId });
  return { ...(await deliver(request)), svixId: request.headers.get("svix-id")! };
}

/** Clerk's dates in the examples are from 2024; this server's clock is now, so they are in the past. */
describe("the webhook keeps organizations and memberships, with Clerk's own example events", () => {
  it("stores each of the six event types in order, with a ledger row for each", async () => {
    const organizationId = "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S";
    const membershipId = "orgmem_2g7np7Hrk0SN6kj5EDMLDaKNL0S";
    const userId = "user_2h8op3Isl1QR7tKu5FGNfaLKEoU";

    const created = await send(openApiExample("organization.created"));
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ ok: true, outcome: "created" });
    expect(eventRow(created.svixId)).toMatchObject({
      event_type: "organization.created",
      clerk_user_id: organizationId,
      status: "processed",
      outcome: "created",
    });
    expect((await send(openApiExample("organization.updated"))).body).toEqual({ ok: true, outcome: "updated" });
    expect(organizationRow(organizationId)).toMatchObject({
      name: "Acme Corp Updated",
      slug: "acme-corp-updated",
      public_metadata: '{"department":"engineering"}',
      private_metadata: '{"internal_id":"ORG-123"}',
      created_by: "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
      clerk_updated_at: 1716883500000,
      deleted_at: null,
      sync_source: "webhook",
    });

    const joined = await send(openApiExample("organizationMembership.created"));
    expect(joined.body).toEqual({ ok: true, outcome: "created" });
    expect(eventRow(joined.svixId)).toMatchObject({ clerk_user_id: userId, status: "processed" });
    // The organization the membership carries is older than the stored one: the stored one stays.
    expect(organizationRow(organizationId)).toMatchObject({ name: "Acme Corp Updated" });
    expect((await send(openApiExample("organizationMembership.updated"))).body).toEqual({
      ok: true,
      outcome: "updated",
    });
    expect(membershipRow(membershipId)).toMatchObject({
      organization_clerk_id: organizationId,
      user_clerk_id: userId,
      role: "org:admin",
      permissions: JSON.stringify(["org:posts:read", "org:posts:write", "org:posts:delete", "org:members:manage"]),
      public_metadata: "{}",
      deleted_at: null,
    });
    expect((await send(openApiExample("organizationMembership.deleted"))).body).toEqual({
      ok: true,
      outcome: "deleted",
    });
    expect(membershipRow(membershipId)).toMatchObject({ role: null, deleted_at: expect.any(Number) });

    const deleted = await send(openApiExample("organization.deleted"));
    expect(deleted.body).toEqual({ ok: true, outcome: "deleted" });
    expect(organizationRow(organizationId)).toMatchObject({ name: null, slug: null, deleted_at: expect.any(Number) });
    // Late: the organization never comes back.
    expect((await send(openApiExample("organization.updated"))).body).toEqual({ ok: true, outcome: "tombstoned" });
  });
});

describe("organization and membership events keep the rules of user events", () => {
  it("writes the organization a membership carries when the membership event comes first", async () => {
    const membership = buildClerkOrganizationMembership({ role: "org:admin" });
    expect((await send(clerkEvent("organizationMembership.created", membership))).body).toEqual({
      ok: true,
      outcome: "created",
    });
    expect(organizationRow(membership.organization.id)).toMatchObject({
      name: membership.organization.name,
      slug: membership.organization.slug,
      deleted_at: null,
    });
    expect(membershipRow(membership.id)).toMatchObject({ role: "org:admin", deleted_at: null });
    // The organization's own event, of the same version, arrives after it.
    expect((await send(clerkEvent("organization.created", membership.organization))).body).toEqual({
      ok: true,
      outcome: "unchanged",
    });
  });

  it("organization.deleted tombstones the organization and its memberships in the delivery's one transaction", async () => {
    const organization = buildClerkOrganization();
    const members = [1, 2].map(() => buildClerkOrganizationMembership({ organization }));
    for (const member of members) await send(clerkEvent("organizationMembership.created", member));
    const deleted = await send(clerkEvent("organization.deleted", deletedClerkOrganization(organization.id)));
    expect(deleted.body).toEqual({ ok: true, outcome: "deleted" });
    const ledger = eventRow(deleted.svixId)!;
    for (const member of members) expect(membershipRow(member.id)!.deleted_at).toBe(ledger.received_at);
    expect(organizationRow(organization.id)!.deleted_at).toBe(ledger.received_at);
    // A late membership of the deleted organization is recorded, and writes nothing.
    const late = buildClerkOrganizationMembership({ organization });
    expect((await send(clerkEvent("organizationMembership.created", late))).body).toEqual({
      ok: true,
      outcome: "organization_deleted",
    });
    expect(membershipRow(late.id)).toBeUndefined();
  });

  it("user.deleted tombstones that user's memberships, and only theirs", async () => {
    const user = clerkUser();
    await send(clerkEvent("user.created", user));
    const organization = buildClerkOrganization();
    const theirs = buildClerkOrganizationMembership({
      organization,
      public_user_data: { ...buildClerkOrganizationMembership().public_user_data, user_id: user.id },
    });
    const someoneElses = buildClerkOrganizationMembership({ organization });
    await send(clerkEvent("organizationMembership.created", theirs));
    await send(clerkEvent("organizationMembership.created", someoneElses));
    const deleted = await send(clerkEvent("user.deleted", { object: "user", id: user.id, deleted: true }));
    expect(deleted.body).toEqual({ ok: true, outcome: "deleted" });
    expect(membershipRow(theirs.id)!.deleted_at).toBe(eventRow(deleted.svixId)!.received_at);
    expect(membershipRow(someoneElses.id)!.deleted_at).toBeNull();
  });

  it("a late delete of an old membership leaves the same person's newer membership alone", async () => {
    const organization = buildClerkOrganization();
    const person = buildClerkOrganizationMembership().public_user_data;
    const old = buildClerkOrganizationMembership({ organization, public_user_data: person, created_at: 1_000 });
    const renewed = buildClerkOrganizationMembership({ organization, public_user_data: person, created_at: 2_000 });
    await send(clerkEvent("organizationMembership.created", old));
    await send(clerkEvent("organizationMembership.created", renewed));
    expect((await send(clerkEvent("organizationMembership.deleted", old))).body.outcome).toBe("already_deleted");
    expect(membershipRow(renewed.id)).toMatchObject({ deleted_at: null, role: "org:member" });
  });

  it("answers a repeated svix-id with 2xx and changes nothing", async () => {
    const organization = buildClerkOrganization({ name: "First" });
    const body = JSON.stringify(clerkEvent("organization.created", organization));
    await send(body, "msg_org_duplicate");
    await send(
      clerkEvent("organization.updated", { ...organization, name: "Second", updated_at: organization.updated_at + 1 }),
    );
    const before = counts();
    expect((await send(body, "msg_org_duplicate")).body).toEqual({ ok: true, duplicate: true });
    expect(counts()).toEqual(before);
    expect(organizationRow(organization.id)!.name).toBe("Second");
  });

  it("refuses a payload that is not the event's shape: 400 and a failed row, nothing written", async () => {
    const membership = buildClerkOrganizationMembership();
    const { public_user_data: _member, ...withoutMember } = membership;
    const refused = await send(clerkEvent("organizationMembership.created", withoutMember));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      error: "invalid_payload",
      detail: expect.stringContaining("public_user_data"),
    });
    expect(eventRow(refused.svixId)).toMatchObject({ status: "failed", outcome: "invalid_payload" });
    expect(membershipRow(membership.id)).toBeUndefined();
    expect(organizationRow(membership.organization.id)).toBeUndefined();
  });

  it("refuses an organization or a membership dated more than 5 minutes ahead", async () => {
    const ahead = Date.now() + 10 * 60_000;
    const organization = buildClerkOrganization({ updated_at: ahead });
    const refused = await send(clerkEvent("organization.updated", organization), "msg_org_future");
    expect(refused).toMatchObject({
      status: 400,
      body: { detail: "data.updated_at is more than 5 minutes ahead of this server's clock" },
    });
    expect(organizationRow(organization.id)).toBeUndefined();
    const membership = buildClerkOrganizationMembership({
      organization: buildClerkOrganization({ updated_at: ahead }),
    });
    expect((await send(clerkEvent("organizationMembership.created", membership))).body.detail).toBe(
      "data.organization.updated_at is more than 5 minutes ahead of this server's clock",
    );
    expect(membershipRow(membership.id)).toBeUndefined();
  });

  it("still records other organization event types as ignored", async () => {
    const invitation = await send(openApiExample("organizationInvitation.created"));
    expect(invitation.body).toEqual({ ok: true, ignored: "organizationInvitation.created" });
    expect(eventRow(invitation.svixId)).toMatchObject({ status: "ignored" });
  });
});
