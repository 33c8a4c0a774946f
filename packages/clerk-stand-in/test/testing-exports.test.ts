import { Webhook } from "svix";
import { describe, expect, test } from "vitest";
import {
  buildClerkOrganization,
  buildClerkOrganizationMembership,
  buildClerkUser,
  clerkEmailAddress,
  clerkEvent,
  clerkPublicUserData,
  deletedClerkOrganization,
  deletedClerkUser,
  signDelivery,
} from "../src/testing/index.js";
import { bapiSpec, webhooksSpec } from "./support/openapi-schemas.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("@clerk-sync/clerk-stand-in/testing", () => {
  test("buildClerkUser is a Clerk BAPI User whose primary email is derived from its id", () => {
    const user = buildClerkUser({ id: "user_Abc", created_at: 1_000 });
    bapiSpec().assertSchema("User", user);
    expect(user).toMatchObject({
      id: "user_Abc",
      first_name: "Ada",
      last_name: "Lovelace",
      primary_email_address_id: "idn_Abc",
      email_addresses: [{ id: "idn_Abc", email_address: "user_abc@example.com" }],
      created_at: 1_000,
      updated_at: 1_000,
    });
  });

  test("overrides win, including values Clerk would never send", () => {
    const secondary = clerkEmailAddress({ id: "idn_old", email_address: "old@example.com" });
    const user = buildClerkUser({ last_name: "King", private_metadata: null, email_addresses: [secondary] });
    expect(user).toMatchObject({ last_name: "King", private_metadata: null, email_addresses: [{ id: "idn_old" }] });
    expect(buildClerkUser().id).not.toBe(buildClerkUser().id);
  });

  test("clerkEvent wraps data in Clerk's webhook envelope", () => {
    const created = clerkEvent("user.created", buildClerkUser(), { timestamp: 5, instanceId: "ins_x" });
    webhooksSpec().assertWebhook("user.created", created);
    expect(created).toMatchObject({ object: "event", type: "user.created", timestamp: 5, instance_id: "ins_x" });
    webhooksSpec().assertWebhook("user.deleted", clerkEvent("user.deleted", deletedClerkUser("user_gone")));
  });

  test("signDelivery's headers verify with the svix library, and only for the signed body", () => {
    const body = JSON.stringify(clerkEvent("user.created", buildClerkUser()));
    const headers = signDelivery(SECRET, body, { svixId: "msg_fixed", timestamp: new Date(1_700_000_000_900) });
    expect(headers).toMatchObject({ "svix-id": "msg_fixed", "svix-timestamp": "1700000000" });
    const webhook = new Webhook(SECRET);
    const verifyAt = (payload: string) =>
      // The svix library checks the timestamp against its clock: verify in the signature's own second.
      withClock(1_700_000_000_000, () => webhook.verify(payload, headers as unknown as Record<string, string>));
    expect(verifyAt(body)).toEqual(JSON.parse(body));
    expect(() => verifyAt(`${body} `)).toThrow();
    expect(signDelivery(SECRET, body)["svix-id"]).toMatch(/^msg_[0-9A-Za-z]{27}$/);
  });
});

describe("@clerk-sync/clerk-stand-in/testing: organizations", () => {
  test("buildClerkOrganization is Clerk's organization as its webhooks carry it; overrides win", () => {
    const organization = buildClerkOrganization({ id: "org_Abc", created_at: 1_000 });
    bapiSpec().assertSchema("Organization", organization);
    webhooksSpec().assertWebhook("organization.created", clerkEvent("organization.created", organization));
    expect(organization).toMatchObject({
      object: "organization",
      id: "org_Abc",
      name: "Acme Corp",
      slug: "acme-corp-abc",
      members_count: 1,
      created_at: 1_000,
      updated_at: 1_000,
    });
    expect(organization).not.toHaveProperty("created_by");
    expect(buildClerkOrganization({ name: "Globex", created_by: "user_x", members_count: null })).toMatchObject({
      name: "Globex",
      created_by: "user_x",
      members_count: null,
    });
    expect(buildClerkOrganization().slug).not.toBe(buildClerkOrganization().slug);
    webhooksSpec().assertWebhook(
      "organization.deleted",
      clerkEvent("organization.deleted", deletedClerkOrganization("org_gone")),
    );
    expect(deletedClerkOrganization("org_gone")).toEqual({ object: "organization", id: "org_gone", deleted: true });
  });

  test("buildClerkOrganizationMembership carries a whole organization and a member; a role brings its permissions", () => {
    const member = buildClerkOrganizationMembership();
    bapiSpec().assertSchema("OrganizationMembership", member);
    for (const type of ["created", "updated", "deleted"]) {
      webhooksSpec().assertWebhook(
        `organizationMembership.${type}`,
        clerkEvent(`organizationMembership.${type}`, member),
      );
    }
    expect(member).toMatchObject({ role: "org:member", role_name: "Member", organization: { object: "organization" } });
    expect(member.id).toMatch(/^orgmem_/);
    expect(member.public_user_data.identifier).toBe(`${member.public_user_data.user_id.toLowerCase()}@example.com`);

    const user = buildClerkUser({ first_name: "Grace", last_name: "Hopper" });
    const organization = buildClerkOrganization({ name: "Navy" });
    const admin = buildClerkOrganizationMembership({
      role: "org:admin",
      organization,
      public_user_data: clerkPublicUserData(user),
      updated_at: 5,
    });
    expect(admin).toMatchObject({
      role: "org:admin",
      role_name: "Admin",
      organization: { id: organization.id, name: "Navy" },
      public_user_data: { user_id: user.id, first_name: "Grace", identifier: `${user.id.toLowerCase()}@example.com` },
      updated_at: 5,
    });
    expect(admin.permissions).toContain("org:sys_memberships:manage");
    bapiSpec().assertSchema("OrganizationMembership", admin);
  });
});

function withClock<T>(now: number, work: () => T): T {
  const real = Date.now;
  Date.now = () => now;
  try {
    return work();
  } finally {
    Date.now = real;
  }
}
