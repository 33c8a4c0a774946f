import { createClerkClient } from "@clerk/backend";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "../src/index.js";
import { bapiSpec } from "./support/openapi-schemas.js";

let standIn: ClerkStandIn;
let clerk: ReturnType<typeof createClerkClient>;

beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
  clerk = createClerkClient({ secretKey: standIn.keys.secretKey, apiUrl: standIn.url });
});
afterAll(() => standIn.close());
beforeEach(() => {
  standIn.store.reset();
  standIn.faults.clear();
});

/** Raw call to the stand-in, with the answer checked against the documented response of `operation`. */
async function bapi(method: string, path: string, operation: string, body?: unknown) {
  const response = await fetch(`${standIn.url}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${standIn.keys.secretKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.headers.get("content-type")).toBe("application/json");
  const json = (await response.json()) as any;
  bapiSpec().assertResponse(method, operation, response.status, json);
  return { status: response.status, json, headers: response.headers };
}

async function expectClerkError(promise: Promise<unknown>) {
  const error = (await promise.then(
    () => expect.unreachable("expected the call to fail"),
    (e: unknown) => e,
  )) as any;
  expect(error.constructor.name).toBe("ClerkAPIResponseError");
  return error as { status: number; errors: Array<{ code: string; meta?: { paramName?: string } }> };
}

function twoUsers() {
  const ada = standIn.store.create({ email_address: ["ada@example.com"], first_name: "Ada", last_name: "Lovelace" });
  const grace = standIn.store.create({
    email_address: ["grace@example.com"],
    first_name: "Grace",
    username: "amazing",
  });
  return { ada, grace };
}

describe("the real @clerk/backend client against the stand-in's organizations", () => {
  test("create, get by id and by slug, list, update, merge metadata and delete an organization", async () => {
    const { ada } = twoUsers();
    const created = await clerk.organizations.createOrganization({
      name: "Acme Corp",
      createdBy: ada.id,
      publicMetadata: { plan: "team" },
      privateMetadata: { crm: { id: 7 } },
    });
    expect(created.id).toMatch(/^org_[0-9A-Za-z]{27}$/);
    expect(created).toMatchObject({ name: "Acme Corp", slug: "acme-corp", createdBy: ada.id, hasImage: false });

    const bySlug = await clerk.organizations.getOrganization({ slug: "acme-corp", includeMembersCount: true });
    expect(bySlug).toMatchObject({ id: created.id, membersCount: 1 });
    const byId = await clerk.organizations.getOrganization({ organizationId: created.id });
    expect(byId.membersCount).toBeUndefined();

    const updated = await clerk.organizations.updateOrganization(created.id, { name: "Acme Inc", slug: "acme" });
    expect(updated).toMatchObject({ name: "Acme Inc", slug: "acme" });
    expect(updated.updatedAt).toBeGreaterThan(created.updatedAt);

    const merged = await clerk.organizations.updateOrganizationMetadata(created.id, {
      publicMetadata: { plan: null, seats: 5 } as any,
      privateMetadata: { crm: { owner: "ada" } },
    });
    expect(merged.publicMetadata).toEqual({ seats: 5 });
    expect(merged.privateMetadata).toEqual({ crm: { id: 7, owner: "ada" } });

    await clerk.organizations.createOrganization({ name: "Globex" });
    const list = await clerk.organizations.getOrganizationList({ limit: 1, includeMembersCount: true });
    expect(list.totalCount).toBe(2);
    expect(list.data.map((org) => [org.name, org.membersCount])).toEqual([["Globex", 0]]);
    const found = await clerk.organizations.getOrganizationList({ query: "acme", orderBy: "name" });
    expect(found.data.map((org) => org.id)).toEqual([created.id]);

    const deleted = await clerk.organizations.deleteOrganization(created.id);
    expect(deleted).toMatchObject({ id: created.id, deleted: true });
    const missing = await expectClerkError(clerk.organizations.getOrganization({ organizationId: created.id }));
    expect(missing.status).toBe(404);
    expect(missing.errors[0].code).toBe("resource_not_found");
  });

  test("add, list, change the role of, merge metadata into and remove memberships", async () => {
    const { ada, grace } = twoUsers();
    const org = await clerk.organizations.createOrganization({ name: "Acme", createdBy: ada.id });
    const added = await clerk.organizations.createOrganizationMembership({
      organizationId: org.id,
      userId: grace.id,
      role: "org:member",
    });
    expect(added.id).toMatch(/^orgmem_[0-9A-Za-z]{27}$/);
    expect(added).toMatchObject({
      role: "org:member",
      permissions: ["org:sys_memberships:read", "org:sys_billing:read"],
    });
    expect(added.organization).toMatchObject({ id: org.id, membersCount: 2 });
    expect(added.publicUserData).toMatchObject({
      userId: grace.id,
      firstName: "Grace",
      identifier: "grace@example.com",
    });

    const taken = await expectClerkError(
      clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: grace.id, role: "org:admin" }),
    );
    expect(taken.status).toBe(422);
    expect(taken.errors[0].code).toBe("already_a_member_in_organization");

    const members = await clerk.organizations.getOrganizationMembershipList({
      organizationId: org.id,
      orderBy: "first_name",
    });
    expect(members.totalCount).toBe(2);
    expect(members.data.map((m) => m.publicUserData?.firstName)).toEqual(["Ada", "Grace"]);

    const promoted = await clerk.organizations.updateOrganizationMembership({
      organizationId: org.id,
      userId: grace.id,
      role: "org:admin",
    });
    expect(promoted).toMatchObject({ id: added.id, role: "org:admin" });
    expect(promoted.updatedAt).toBeGreaterThan(added.updatedAt);
    const tagged = await clerk.organizations.updateOrganizationMembershipMetadata({
      organizationId: org.id,
      userId: grace.id,
      publicMetadata: { team: "compilers" },
    });
    expect(tagged.publicMetadata).toEqual({ team: "compilers" });

    const ofGrace = await clerk.users.getOrganizationMembershipList({ userId: grace.id });
    expect(ofGrace.totalCount).toBe(1);
    expect(ofGrace.data[0]).toMatchObject({ id: added.id, organization: { id: org.id } });
    const all = await clerk.organizations.getInstanceOrganizationMembershipList({ limit: 500 });
    expect(all.totalCount).toBe(2);

    const removed = await clerk.organizations.deleteOrganizationMembership({
      organizationId: org.id,
      userId: grace.id,
    });
    expect(removed.id).toBe(added.id);
    expect((await clerk.users.getOrganizationMembershipList({ userId: grace.id })).totalCount).toBe(0);
  });
});

describe("raw organization answers match Clerk's OpenAPI document", () => {
  test("organizations: create, get, list, update, metadata, delete", async () => {
    const { ada } = twoUsers();
    const created = await bapi("POST", "/organizations", "/organizations", {
      name: "Initech",
      slug: "initech",
      created_by: ada.id,
      max_allowed_memberships: 10,
      created_at: "2024-01-02T03:04:05.000Z",
    });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ slug: "initech", max_allowed_memberships: 10 });
    expect(created.json.created_at).toBe(Date.parse("2024-01-02T03:04:05.000Z"));
    const id = created.json.id as string;

    const fetched = await bapi(
      "GET",
      "/organizations/initech?include_members_count=true",
      "/organizations/{organization_id}",
    );
    expect(fetched.json).toMatchObject({ id, members_count: 1 });
    const list = await bapi("GET", "/organizations?limit=5&offset=0&order_by=-created_at", "/organizations");
    expect(list.json).toMatchObject({ total_count: 1, data: [{ id }] });
    const byMember = await bapi("GET", `/organizations?user_id=${ada.id}`, "/organizations");
    expect(byMember.json.total_count).toBe(1);
    const patched = await bapi("PATCH", `/organizations/${id}`, "/organizations/{organization_id}", {
      name: "Initech LLC",
      admin_delete_enabled: false,
      slug: null,
    });
    expect(patched.json).toMatchObject({ name: "Initech LLC", slug: "initech", admin_delete_enabled: false });
    const metadata = await bapi("PATCH", `/organizations/${id}/metadata`, "/organizations/{organization_id}/metadata", {
      private_metadata: { a: { b: 1 } },
    });
    expect(metadata.json.private_metadata).toEqual({ a: { b: 1 } });
    const deleted = await bapi("DELETE", `/organizations/${id}`, "/organizations/{organization_id}");
    expect(deleted.json).toEqual({ object: "organization", id, deleted: true });
  });

  test("memberships: per organization, per user and instance-wide", async () => {
    const { ada, grace } = twoUsers();
    const { json: org } = await bapi("POST", "/organizations", "/organizations", { name: "Hooli", created_by: ada.id });
    const path = `/organizations/${org.id}/memberships`;
    const added = await bapi("POST", path, "/organizations/{organization_id}/memberships", {
      user_id: grace.id,
      role: "org:member",
      private_metadata: { badge: 42 },
    });
    expect(added.json).toMatchObject({ role: "org:member", private_metadata: { badge: 42 } });
    const listed = await bapi("GET", `${path}?limit=1&role=org:member`, "/organizations/{organization_id}/memberships");
    expect(listed.json).toMatchObject({ total_count: 1, data: [{ public_user_data: { user_id: grace.id } }] });
    const one = `${path}/${grace.id}`;
    const updated = await bapi("PATCH", one, "/organizations/{organization_id}/memberships/{user_id}", {
      role: "org:admin",
    });
    expect(updated.json.role).toBe("org:admin");
    const merged = await bapi(
      "PATCH",
      `${one}/metadata`,
      "/organizations/{organization_id}/memberships/{user_id}/metadata",
      {
        public_metadata: { title: "CTO" },
      },
    );
    expect(merged.json.public_metadata).toEqual({ title: "CTO" });
    const ofUser = await bapi(
      "GET",
      `/users/${grace.id}/organization_memberships?limit=10`,
      "/users/{user_id}/organization_memberships",
    );
    expect(ofUser.json.total_count).toBe(1);
    const all = await bapi("GET", "/organization_memberships?limit=500&offset=0", "/organization_memberships");
    expect(all.json.total_count).toBe(2);
    const removed = await bapi("DELETE", one, "/organizations/{organization_id}/memberships/{user_id}");
    expect(removed.json.id).toBe(added.json.id);
  });

  test("errors: 404, 422 and the fault switches use Clerk's error body", async () => {
    const { ada } = twoUsers();
    const missing = await bapi("GET", "/organizations/org_missing", "/organizations/{organization_id}");
    expect(missing.status).toBe(404);
    expect(missing.json.errors[0]).toMatchObject({ code: "resource_not_found" });

    const noName = await bapi("POST", "/organizations", "/organizations", { slug: "nameless" });
    expect(noName.status).toBe(422);
    expect(noName.json.errors[0]).toMatchObject({ code: "form_param_missing", meta: { param_name: "name" } });
    const badSlug = await bapi("POST", "/organizations", "/organizations", { name: "Bad", slug: "Not A Slug" });
    expect(badSlug.json.errors[0]).toMatchObject({ code: "form_param_format_invalid", meta: { param_name: "slug" } });
    await bapi("POST", "/organizations", "/organizations", { name: "Taken", slug: "taken" });
    const taken = await bapi("POST", "/organizations", "/organizations", { name: "Taken", slug: "taken" });
    expect(taken.json.errors[0]).toMatchObject({
      code: "form_identifier_exists",
      message: "That slug is taken. Please try another.",
    });
    const unknownParam = await bapi("POST", "/organizations", "/organizations", { name: "X", colour: "red" });
    expect(unknownParam.json.errors[0]).toMatchObject({ code: "form_param_unknown", meta: { param_name: "colour" } });
    const badLimit = await bapi("GET", "/organizations?limit=501", "/organizations");
    expect(badLimit.json.errors[0]).toMatchObject({ code: "form_param_value_invalid", meta: { param_name: "limit" } });
    const badRole = await bapi(
      "POST",
      "/organizations/taken/memberships",
      "/organizations/{organization_id}/memberships",
      {
        user_id: ada.id,
        role: "org:owner",
      },
    );
    expect(badRole.json.errors[0]).toMatchObject({ code: "form_param_value_invalid", meta: { param_name: "role" } });
    const noMember = await bapi(
      "DELETE",
      `/organizations/taken/memberships/${ada.id}`,
      "/organizations/{organization_id}/memberships/{user_id}",
    );
    expect(noMember.status).toBe(404);

    standIn.faults.setApiFault("429", 1, 3);
    const limited = await bapi("GET", "/organization_memberships", "/organization_memberships");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    standIn.faults.setApiFault("500", 1);
    const failed = await bapi("GET", "/organizations", "/organizations");
    expect(failed.status).toBe(500);
    expect(failed.json.errors[0].code).toBe("internal_clerk_error");
    expect((await bapi("GET", "/organizations", "/organizations")).status).toBe(200);
  });
});

describe("organization routes share Clerk's edge with users", () => {
  test("they count against the same per-key rate limit", async () => {
    const limited = await startClerkStandIn({ port: 0, rateLimit: { requests: 3, windowSeconds: 10 } });
    try {
      const client = createClerkClient({ secretKey: limited.keys.secretKey, apiUrl: limited.url });
      await client.users.getCount();
      await client.organizations.createOrganization({ name: "One" });
      await client.organizations.getInstanceOrganizationMembershipList({});
      const error = await expectClerkError(client.organizations.getOrganizationList());
      expect(error.status).toBe(429);
      expect(limited.rateLimit?.rejected).toBe(1);
    } finally {
      await limited.close();
    }
  });
});
