import { describe, expect, test } from "vitest";
import { OrganizationStore, UserStore, type OrganizationChange, type UserChange } from "../src/index.js";
import { bapiSpec } from "./support/openapi-schemas.js";

function stores() {
  const users = new UserStore();
  const organizations = new OrganizationStore(users);
  // One log in the order the webhooks would be queued: organization changes, then the user change that caused them.
  const changes: Array<OrganizationChange | UserChange> = [];
  organizations.on((change) => changes.push(change));
  users.on((change) => changes.push(change));
  const ada = users.create({ email_address: ["ada@example.com"], first_name: "Ada", last_name: "Lovelace" });
  const grace = users.create({ email_address: ["grace@example.com"], first_name: "Grace", last_name: "Hopper" });
  changes.length = 0;
  return { users, organizations, changes, ada, grace };
}

function caught(work: () => unknown) {
  try {
    work();
  } catch (error) {
    return error as { status: number; code: string; meta: { param_name?: string } };
  }
  throw new Error("expected the call to fail");
}

describe("OrganizationStore: organizations", () => {
  test("creates an organization in Clerk's shape, its creator its first admin", () => {
    const { organizations, changes, ada } = stores();
    const acme = organizations.create({ name: "Acme Corp", created_by: ada.id, public_metadata: { plan: "team" } });
    bapiSpec().assertSchema("Organization", acme);
    expect(acme).toMatchObject({
      object: "organization",
      name: "Acme Corp",
      slug: "acme-corp",
      has_image: false,
      max_allowed_memberships: 0,
      admin_delete_enabled: true,
      public_metadata: { plan: "team" },
      private_metadata: {},
      created_by: ada.id,
    });
    expect(acme.id).toMatch(/^org_[0-9A-Za-z]{27}$/);
    expect(acme.image_url).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(acme.updated_at).toBe(acme.created_at);

    expect(changes.map((change) => change.type)).toEqual(["organization.created", "organizationMembership.created"]);
    // The creation includes the creator's membership: Clerk's organization.created already counts them.
    expect(changes[0]).toMatchObject({ organization: { id: acme.id, members_count: 1 } });
    const admin = organizations.getMembership(acme.id, ada.id)!;
    bapiSpec().assertSchema("OrganizationMembership", admin);
    expect(admin).toMatchObject({
      object: "organization_membership",
      role: "org:admin",
      role_name: "Admin",
      organization: { id: acme.id, members_count: 1 },
      public_user_data: { user_id: ada.id, first_name: "Ada", last_name: "Lovelace", identifier: "ada@example.com" },
    });
    expect(admin.id).toMatch(/^orgmem_[0-9A-Za-z]{27}$/);
    expect(admin.permissions).toContain("org:sys_memberships:manage");
  });

  test("slugs: from the name, unique, Clerk's characters; found by slug as by id", () => {
    const { organizations } = stores();
    const first = organizations.create({ name: "  Ünïted Widgets, Inc. " });
    expect(first.slug).toBe("n-ted-widgets-inc");
    const second = organizations.create({ name: "Ünïted Widgets Inc" });
    expect(second.slug).toMatch(/^n-ted-widgets-inc-[0-9a-z]{6}$/);
    expect(organizations.get(first.slug)?.id).toBe(first.id);

    expect(caught(() => organizations.create({ name: "Taken", slug: first.slug }))).toMatchObject({
      status: 422,
      code: "form_identifier_exists",
      meta: { param_name: "slug" },
    });
    expect(caught(() => organizations.update(second.id, { slug: first.slug }))).toMatchObject({
      code: "form_identifier_exists",
    });
    for (const slug of ["Upper", "with space", "under_score", "---"]) {
      expect(caught(() => organizations.create({ name: "Bad", slug }))).toMatchObject({
        status: 422,
        code: "form_param_format_invalid",
        meta: { param_name: "slug" },
      });
    }
    expect(caught(() => organizations.create({ name: " " }))).toMatchObject({ meta: { param_name: "name" } });

    const renamed = organizations.update(second.id, { slug: "widgets" });
    expect(organizations.get("widgets")?.id).toBe(second.id);
    expect(organizations.get(second.slug)).toBeUndefined();
    expect(renamed.updated_at).toBeGreaterThan(second.updated_at);
  });

  test("updated_at strictly increases on every change and each change is an organization.updated", () => {
    const { organizations, changes } = stores();
    let org = organizations.create({ name: "Tick" });
    const stamps = [org.updated_at];
    for (let i = 0; i < 20; i++) {
      org = organizations.update(org.id, { name: `Tick ${i}` });
      stamps.push(org.updated_at);
    }
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1]);
    expect(changes.filter((change) => change.type === "organization.updated")).toHaveLength(20);
  });

  test("deleting an organization removes its memberships and sends organization.deleted alone", () => {
    const { organizations, changes, ada, grace } = stores();
    const acme = organizations.create({ name: "Acme", created_by: ada.id });
    organizations.addMember(acme.id, grace.id, { role: "org:member" });
    changes.length = 0;

    expect(organizations.delete(acme.slug)).toEqual({ object: "organization", id: acme.id, deleted: true });
    expect(changes).toEqual([{ type: "organization.deleted", id: acme.id, context: {} }]);
    expect(organizations.get(acme.id)).toBeUndefined();
    expect(organizations.membershipsOfUser(ada.id)).toEqual({ data: [], total_count: 0 });
    expect(organizations.allMemberships().total_count).toBe(0);
    // The slug is free again.
    expect(organizations.create({ name: "Acme" }).slug).toBe("acme");
  });

  test("lists newest first by default, filter by query and member, count all matches, and refuse a 501-limit", () => {
    const { organizations, ada } = stores();
    const base = Date.now() - 10_000;
    const names = ["Beta", "Alpha", "Gamma"];
    const created = names.map((name, i) => organizations.create({ name, created_at: base + i * 1000 }));
    organizations.addMember(created[0].id, ada.id, { role: "org:member" });

    expect(organizations.list().data.map((org) => org.name)).toEqual(["Gamma", "Alpha", "Beta"]);
    expect(organizations.list({ order_by: "name" }).data.map((org) => org.name)).toEqual(["Alpha", "Beta", "Gamma"]);
    expect(organizations.list({ order_by: "-members_count", limit: 1 })).toMatchObject({
      data: [{ name: "Beta" }],
      total_count: 3,
    });
    expect(organizations.list({ query: "amm" }).data.map((org) => org.name)).toEqual(["Gamma"]);
    expect(organizations.list({ query: created[1].id }).data.map((org) => org.name)).toEqual(["Alpha"]);
    expect(organizations.list({ user_id: [ada.id] }).data.map((org) => org.name)).toEqual(["Beta"]);
    expect(organizations.list({ user_id: [`-${ada.id}`] }).total_count).toBe(2);
    expect(organizations.list({ limit: 2, offset: 2 }).data.map((org) => org.name)).toEqual(["Beta"]);
    expect(organizations.list({}, { membersCount: true }).data[2]).toMatchObject({ members_count: 1 });
    expect(organizations.list().data[0]).not.toHaveProperty("members_count");
    expect(caught(() => organizations.list({ limit: 501 }))).toMatchObject({ meta: { param_name: "limit" } });
    expect(caught(() => organizations.list({ order_by: "slug" }))).toMatchObject({ meta: { param_name: "order_by" } });
  });
});

describe("OrganizationStore: memberships", () => {
  test("one membership per organization and user; a member who leaves and comes back gets a new id", () => {
    const { organizations, changes, grace } = stores();
    const acme = organizations.create({ name: "Acme" });
    const first = organizations.addMember(acme.id, grace.id, { role: "org:member", public_metadata: { team: "a" } });
    bapiSpec().assertSchema("OrganizationMembership", first);
    expect(first).toMatchObject({
      role: "org:member",
      role_name: "Member",
      permissions: ["org:sys_memberships:read", "org:sys_billing:read"],
      public_metadata: { team: "a" },
      organization: { members_count: 1 },
    });
    expect(caught(() => organizations.addMember(acme.id, grace.id, { role: "org:admin" }))).toMatchObject({
      status: 422,
      code: "already_a_member_in_organization",
    });

    const removed = organizations.removeMember(acme.id, grace.id);
    expect(removed).toMatchObject({ id: first.id, organization: { members_count: 0 } });
    const again = organizations.addMember(acme.id, grace.id, { role: "org:member" });
    expect(again.id).not.toBe(first.id);
    expect(changes.map((change) => change.type)).toEqual([
      "organization.created",
      "organizationMembership.created",
      "organizationMembership.deleted",
      "organizationMembership.created",
    ]);
  });

  test("a role change brings the role's permissions and a later updated_at; unknown roles and users are refused", () => {
    const { organizations, changes, ada } = stores();
    const acme = organizations.create({ name: "Acme" });
    const member = organizations.addMember(acme.id, ada.id, { role: "org:member" });
    const admin = organizations.updateMember(acme.id, ada.id, { role: "org:admin" });
    expect(admin).toMatchObject({ id: member.id, role: "org:admin", role_name: "Admin" });
    expect(admin.permissions).toContain("org:sys_profile:delete");
    expect(admin.updated_at).toBeGreaterThan(member.updated_at);
    expect(changes.at(-1)).toMatchObject({ type: "organizationMembership.updated", membership: { role: "org:admin" } });

    expect(caught(() => organizations.updateMember(acme.id, ada.id, { role: "owner" as never }))).toMatchObject({
      meta: { param_name: "role" },
    });
    expect(caught(() => organizations.addMember(acme.id, "user_missing", { role: "org:member" }))).toMatchObject({
      status: 404,
    });
    expect(caught(() => organizations.removeMember("org_missing", ada.id))).toMatchObject({ status: 404 });
  });

  test("a user's deletion removes their memberships, each with organizationMembership.deleted before user.deleted", () => {
    const { users, organizations, changes, ada, grace } = stores();
    const acme = organizations.create({ name: "Acme", created_by: grace.id });
    const globex = organizations.create({ name: "Globex", created_by: grace.id });
    organizations.addMember(acme.id, ada.id, { role: "org:member" });
    organizations.addMember(globex.id, ada.id, { role: "org:admin" });
    changes.length = 0;

    users.delete(ada.id, { source: "control" });
    expect(changes.map((change) => change.type)).toEqual([
      "organizationMembership.deleted",
      "organizationMembership.deleted",
      "user.deleted",
    ]);
    const deleted = changes.slice(0, 2) as Array<Extract<OrganizationChange, { membership: unknown }>>;
    for (const change of deleted) {
      expect(change.membership.public_user_data).toMatchObject({ user_id: ada.id, identifier: "ada@example.com" });
      expect(change.membership.organization.members_count).toBe(1);
      expect(change.context).toEqual({ source: "control" });
    }
    expect(organizations.membershipsOfUser(ada.id).total_count).toBe(0);
    expect(organizations.members(acme.id).data.map((m) => m.public_user_data.user_id)).toEqual([grace.id]);
  });

  test("a user's change shows in their memberships at once, without a membership event", () => {
    const { users, organizations, changes, ada } = stores();
    const acme = organizations.create({ name: "Acme", created_by: ada.id });
    const before = organizations.getMembership(acme.id, ada.id)!;
    changes.length = 0;
    users.update(ada.id, { first_name: "Augusta", primary_email_address: "augusta@example.com" });
    expect(changes.map((change) => change.type)).toEqual(["user.updated"]);
    const after = organizations.getMembership(acme.id, ada.id)!;
    expect(after.public_user_data).toMatchObject({ first_name: "Augusta", identifier: "augusta@example.com" });
    expect(after.updated_at).toBe(before.updated_at);
  });

  test("member lists: per organization, per user and instance-wide, with total_count and Clerk's filters", () => {
    const { users, organizations, ada, grace } = stores();
    const alan = users.create({ email_address: ["alan@example.com"], first_name: "Alan", username: "turing" });
    const acme = organizations.create({ name: "Acme", created_by: ada.id });
    const globex = organizations.create({ name: "Globex", created_by: grace.id });
    organizations.addMember(acme.id, grace.id, { role: "org:member" });
    organizations.addMember(acme.id, alan.id, { role: "org:member" });
    organizations.addMember(globex.id, ada.id, { role: "org:member" });

    const members = organizations.members(acme.slug, { order_by: "first_name" });
    expect(members.total_count).toBe(3);
    expect(members.data.map((m) => m.public_user_data.first_name)).toEqual(["Ada", "Alan", "Grace"]);
    expect(organizations.members(acme.id, { role: ["org:admin"] }).data.map((m) => m.public_user_data.user_id)).toEqual(
      [ada.id],
    );
    expect(organizations.members(acme.id, { query: "turing" }).total_count).toBe(1);
    expect(organizations.members(acme.id, { user_id: [`-${ada.id}`] }).total_count).toBe(2);
    expect(
      organizations
        .membershipsOfUser(ada.id)
        .data.map((m) => m.organization.name)
        .sort(),
    ).toEqual(["Acme", "Globex"]);
    const all = organizations.allMemberships({ limit: 2, order_by: "created_at" });
    expect(all.total_count).toBe(5);
    expect(all.data.map((m) => [m.organization.name, m.public_user_data.user_id])).toEqual([
      ["Acme", ada.id],
      ["Globex", grace.id],
    ]);
    expect(caught(() => organizations.members("org_missing"))).toMatchObject({ status: 404 });
  });

  test("a reset of the users takes the organizations and memberships with it", () => {
    const { users, organizations, ada } = stores();
    organizations.create({ name: "Acme", created_by: ada.id });
    users.reset();
    expect(organizations.size).toBe(0);
    expect(organizations.membershipCount).toBe(0);
    expect(organizations.list().total_count).toBe(0);
  });
});
