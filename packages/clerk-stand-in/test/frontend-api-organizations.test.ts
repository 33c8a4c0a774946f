import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "../src/server.js";
import { APP, authenticate, claimsOf, CookieJar, fapi, signIn } from "./support/fapi-client.js";

/**
 * What clerk-js's `<CreateOrganization/>`, `<OrganizationSwitcher/>` and
 * `<OrganizationProfile/>` ask of the Frontend API, over HTTP as they ask it,
 * and the active organization as the app's @clerk/backend then reads it.
 */

const ADA = { email: "ada@example.com", password: "analytical-engine" };
const GRACE = { email: "grace@example.com", password: "flow-matic-1955" };

let standIn: ClerkStandIn;
let ada: { id: string };
let grace: { id: string };

beforeAll(async () => {
  standIn = await startClerkStandIn({
    publishableKeyKind: "live",
    frontendHost: (url) => new URL(url).host,
    frontend: { allowedOrigins: [APP] },
  });
});
afterAll(() => standIn.close());
beforeEach(() => {
  standIn.store.reset();
  [ada, grace] = standIn.store.seed([
    { email_address: [ADA.email], password: ADA.password, first_name: "Ada", last_name: "Lovelace" },
    { email_address: [GRACE.email], password: GRACE.password, first_name: "Grace", last_name: "Hopper" },
  ]);
});

describe("the Frontend API's organizations", () => {
  it("announces organizations, with slugs, in the environment", async () => {
    const jar = new CookieJar();
    const { body } = await fapi(standIn, jar, "GET", "/v1/environment");
    expect(body.organization_settings).toMatchObject({ enabled: true, slug: { disabled: false } });
    expect(body.user_settings.actions.create_organization).toBe(true);
  });

  it("creates an organization for the signed-in user, who becomes its admin, and the client shows the membership", async () => {
    const jar = new CookieJar();
    await signIn(standIn, jar, ADA.email, ADA.password);
    const created = await fapi(standIn, jar, "POST", "/v1/organizations", { name: "Acme Corp", slug: "acme" });
    expect(created.status).toBe(200);
    expect(created.body.response).toMatchObject({
      object: "organization",
      name: "Acme Corp",
      slug: "acme",
      members_count: 1,
    });
    expect(created.body.response).not.toHaveProperty("private_metadata");
    const id = created.body.response.id as string;

    expect(standIn.organizations.get(id)).toMatchObject({ created_by: ada.id });
    const [session] = created.body.client.sessions;
    expect(session.user.organization_memberships).toEqual([
      expect.objectContaining({
        object: "organization_membership",
        role: "org:admin",
        organization: expect.objectContaining({ id, slug: "acme" }),
        public_user_data: expect.objectContaining({ user_id: ada.id, identifier: ADA.email }),
      }),
    ]);
    // No organization is active until clerk-js says so (setActive).
    expect(session.last_active_organization_id).toBeNull();

    const mine = await fapi(standIn, jar, "GET", "/v1/me/organization_memberships?paginated=true&limit=10&offset=0");
    expect(mine.body.response).toMatchObject({ total_count: 1, data: [{ organization: { id } }] });
    for (const path of ["/v1/me/organization_invitations?status=pending", "/v1/me/organization_suggestions"]) {
      expect((await fapi(standIn, jar, "GET", path)).body.response).toEqual({ data: [], total_count: 0 });
    }
    const roles = await fapi(standIn, jar, "GET", `/v1/organizations/${id}/roles?limit=20&offset=0`);
    expect(roles.body.response.data.map((role: { key: string }) => role.key)).toEqual(["org:admin", "org:member"]);

    const taken = await fapi(standIn, jar, "POST", "/v1/organizations", { name: "Other", slug: "acme" });
    expect(taken.status).toBe(422);
    expect(taken.body.errors[0]).toMatchObject({ code: "form_identifier_exists" });
  });

  it("puts the active organization in the session and its token, where @clerk/backend reads it; a token can ask for none", async () => {
    const jar = new CookieJar();
    const session = await signIn(standIn, jar, ADA.email, ADA.password);
    const acme = standIn.organizations.create({ name: "Acme", slug: "acme", created_by: ada.id });

    const touched = await fapi(standIn, jar, "POST", `/v1/client/sessions/${session.id}/touch`, {
      active_organization_id: acme.id,
    });
    expect(touched.status).toBe(200);
    expect(touched.body.response.last_active_organization_id).toBe(acme.id);
    expect(claimsOf(touched.body.response.last_active_token.jwt).o).toEqual({ id: acme.id, rol: "admin", slg: "acme" });

    const token = await fapi(standIn, jar, "POST", `/v1/client/sessions/${session.id}/tokens`, {});
    jar.set("__session", token.body.jwt);
    const auth = (await authenticate(standIn, jar)).toAuth() as any;
    expect(auth).toMatchObject({ userId: ada.id, orgId: acme.id, orgRole: "org:admin", orgSlug: "acme" });

    const personal = await fapi(standIn, jar, "POST", `/v1/client/sessions/${session.id}/tokens`, {
      organization_id: "",
    });
    expect(claimsOf(personal.body.jwt)).not.toHaveProperty("o");

    // Back to the personal account: touch without an organization.
    const back = await fapi(standIn, jar, "POST", `/v1/client/sessions/${session.id}/touch`, {
      active_organization_id: "",
    });
    expect(back.body.response.last_active_organization_id).toBeNull();
    expect(claimsOf(back.body.response.last_active_token.jwt)).not.toHaveProperty("o");
  });

  it("drops an organization from the session once the user no longer belongs to it", async () => {
    const jar = new CookieJar();
    const session = await signIn(standIn, jar, GRACE.email, GRACE.password);
    const acme = standIn.organizations.create({ name: "Acme", created_by: ada.id });
    standIn.organizations.addMember(acme.id, grace.id, { role: "org:member" });
    const touched = await fapi(standIn, jar, "POST", `/v1/client/sessions/${session.id}/touch`, {
      active_organization_id: acme.id,
    });
    expect(claimsOf(touched.body.response.last_active_token.jwt).o).toMatchObject({ id: acme.id, rol: "member" });

    standIn.organizations.removeMember(acme.id, grace.id);
    const client = await fapi(standIn, jar, "GET", "/v1/client");
    const [after] = client.body.response.sessions;
    expect(after.last_active_organization_id).toBeNull();
    expect(after.user.organization_memberships).toEqual([]);
    expect(claimsOf(after.last_active_token.jwt)).not.toHaveProperty("o");

    // Nor can a browser make an organization it does not belong to active.
    const stranger = await fapi(standIn, jar, "POST", `/v1/client/sessions/${session.id}/touch`, {
      active_organization_id: acme.id,
    });
    expect(stranger.body.response.last_active_organization_id).toBeNull();
    expect((await fapi(standIn, jar, "GET", `/v1/organizations/${acme.id}`)).status).toBe(404);
  });

  it("lets an admin list members, change a role and remove a member; a member may only leave", async () => {
    const acme = standIn.organizations.create({ name: "Acme", created_by: ada.id });
    standIn.organizations.addMember(acme.id, grace.id, { role: "org:member" });
    const adaJar = new CookieJar();
    await signIn(standIn, adaJar, ADA.email, ADA.password);
    const graceJar = new CookieJar();
    await signIn(standIn, graceJar, GRACE.email, GRACE.password);

    const members = await fapi(
      standIn,
      adaJar,
      "GET",
      `/v1/organizations/${acme.id}/memberships?paginated=true&limit=10`,
    );
    expect(members.body.response.total_count).toBe(2);
    expect(members.body.response.data.map((m: any) => [m.public_user_data.user_id, m.role])).toEqual([
      [ada.id, "org:admin"],
      [grace.id, "org:member"],
    ]);

    const forbidden = await fapi(standIn, graceJar, "PATCH", `/v1/organizations/${acme.id}/memberships/${ada.id}`, {
      role: "org:member",
    });
    expect(forbidden.status).toBe(403);
    const promoted = await fapi(standIn, adaJar, "PATCH", `/v1/organizations/${acme.id}/memberships/${grace.id}`, {
      role: "org:admin",
    });
    expect(promoted.body.response).toMatchObject({ role: "org:admin", role_name: "Admin" });
    expect(standIn.organizations.getMembership(acme.id, grace.id)?.role).toBe("org:admin");

    const renamed = await fapi(standIn, graceJar, "PATCH", `/v1/organizations/${acme.id}`, { name: "Acme Inc" });
    expect(renamed.body.response).toMatchObject({ name: "Acme Inc" });

    const left = await fapi(standIn, graceJar, "DELETE", `/v1/organizations/${acme.id}/memberships/${grace.id}`);
    expect(left.status).toBe(200);
    expect(standIn.organizations.getMembership(acme.id, grace.id)).toBeUndefined();

    const deleted = await fapi(standIn, adaJar, "DELETE", `/v1/organizations/${acme.id}`);
    expect(deleted.body.response).toEqual({ object: "organization", id: acme.id, deleted: true });
    expect(standIn.organizations.get(acme.id)).toBeUndefined();
  });
});
