import { readFileSync } from "node:fs";
import {
  buildClerkOrganization,
  buildClerkOrganizationMembership,
  deletedClerkOrganization,
} from "@clerk-sync/clerk-stand-in/testing";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  clerkMembershipSchema,
  clerkMembershipToRow,
  clerkOrganizationSchema,
  clerkOrganizationToRow,
  deletedClerkOrganizationSchema,
} from "~/clerk/clerk-organization";

type Schema = { required?: string[]; properties?: Record<string, unknown> };
const document = parse(
  readFileSync(
    new URL("../../packages/clerk-stand-in/test/fixtures/openapi/clerk-webhooks-2025-04-15.yml", import.meta.url),
    "utf8",
  ),
) as {
  "x-webhooks": Record<string, { post: { requestBody: { content: { "application/json": { example: any } } } } }>;
  components: { schemas: Record<string, Schema> };
};
const events = document["x-webhooks"];
const example = (type: string) => events[type]!.post.requestBody.content["application/json"].example;

/** Only the fields Clerk's schema requires, with values of their types: the least a payload may carry. */
function requiredOnly(schemaName: string, full: Record<string, unknown>): Record<string, unknown> {
  const required = document.components.schemas[schemaName]!.required ?? [];
  return Object.fromEntries(required.map((field) => [field, full[field]]));
}

describe("Clerk's organization payloads, read as the OpenAPI document gives them", () => {
  it("maps organization.created and organization.updated to a row, metadata as JSON text, members_count dropped", () => {
    const created = clerkOrganizationSchema.parse(example("organization.created").data);
    expect(clerkOrganizationToRow(created)).toEqual({
      clerkId: "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
      name: "Acme Corp",
      slug: "acme-corp",
      imageUrl: "https://img.clerk.com/xxxxxx",
      publicMetadata: "{}",
      privateMetadata: "{}",
      createdBy: "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
      clerkCreatedAt: 1716883200000,
      clerkUpdatedAt: 1716883200000,
    });
    const updated = clerkOrganizationToRow(clerkOrganizationSchema.parse(example("organization.updated").data));
    expect(updated).toMatchObject({
      name: "Acme Corp Updated",
      slug: "acme-corp-updated",
      publicMetadata: JSON.stringify({ department: "engineering" }),
      privateMetadata: JSON.stringify({ internal_id: "ORG-123" }),
      clerkUpdatedAt: 1716883500000,
    });
    expect(Object.keys(updated)).not.toContain("membersCount");
  });

  it("reads organization.deleted, which carries an id and no updated_at", () => {
    const data = example("organization.deleted").data;
    expect(data.updated_at).toBeUndefined();
    expect(deletedClerkOrganizationSchema.parse(data).id).toBe("org_2g7np7Hrk0SN6kj5EDMLDaKNL0S");
  });

  it.each(["organizationMembership.created", "organizationMembership.updated", "organizationMembership.deleted"])(
    "maps %s to a membership row keyed by its orgmem_ id, and reads the whole organization it carries",
    (type) => {
      const data = example(type).data;
      const membership = clerkMembershipSchema.parse(data);
      expect(clerkMembershipToRow(membership)).toEqual({
        clerkId: "orgmem_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
        organizationClerkId: "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
        userClerkId: "user_2h8op3Isl1QR7tKu5FGNfaLKEoU",
        role: data.role,
        permissions: JSON.stringify(data.permissions),
        publicMetadata: "{}",
        clerkCreatedAt: data.created_at,
        clerkUpdatedAt: data.updated_at,
      });
      expect(clerkOrganizationToRow(membership.organization)).toMatchObject({
        clerkId: "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
        clerkUpdatedAt: data.organization.updated_at,
      });
    },
  );

  it("accepts an organization with only the fields Clerk's schema requires", () => {
    const minimal = requiredOnly("Organization", example("organization.created").data);
    expect(minimal).not.toHaveProperty("image_url");
    expect(clerkOrganizationToRow(clerkOrganizationSchema.parse(minimal))).toMatchObject({
      imageUrl: null,
      privateMetadata: null,
      createdBy: null,
    });
  });

  it("accepts a membership with Clerk's required fields and the member's id, and refuses one without a member", () => {
    const full = example("organizationMembership.created").data;
    const minimal = {
      ...requiredOnly("OrganizationMembership", full),
      organization: requiredOnly("Organization", full.organization),
    };
    expect(clerkMembershipSchema.safeParse(minimal).success).toBe(false);
    const withMember = { ...minimal, public_user_data: { user_id: "user_2h8op3Isl1QR7tKu5FGNfaLKEoU" } };
    expect(clerkMembershipToRow(clerkMembershipSchema.parse(withMember)).userClerkId).toBe(
      "user_2h8op3Isl1QR7tKu5FGNfaLKEoU",
    );
  });

  it("reads what the stand-in's builders send", () => {
    const organization = buildClerkOrganization({ public_metadata: { plan: "team" } });
    expect(clerkOrganizationToRow(clerkOrganizationSchema.parse(organization))).toMatchObject({
      clerkId: organization.id,
      slug: organization.slug,
      publicMetadata: '{"plan":"team"}',
      createdBy: null,
    });
    const membership = buildClerkOrganizationMembership({ role: "org:admin" });
    expect(clerkMembershipToRow(clerkMembershipSchema.parse(membership))).toMatchObject({
      clerkId: membership.id,
      organizationClerkId: membership.organization.id,
      userClerkId: membership.public_user_data.user_id,
      role: "org:admin",
    });
    expect(deletedClerkOrganizationSchema.parse(deletedClerkOrganization(organization.id)).id).toBe(organization.id);
  });

  it("refuses payloads that lack what is stored or ordered by", () => {
    const organization = example("organization.created").data;
    for (const field of ["id", "name", "slug", "created_at", "updated_at"]) {
      const { [field]: _dropped, ...rest } = organization;
      expect(clerkOrganizationSchema.safeParse(rest).success, field).toBe(false);
    }
    const membership = example("organizationMembership.created").data;
    for (const field of ["id", "role", "organization", "updated_at"]) {
      const { [field]: _dropped, ...rest } = membership;
      expect(clerkMembershipSchema.safeParse(rest).success, field).toBe(false);
    }
  });
});
