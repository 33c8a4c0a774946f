import { newId } from "../ids.js";
import {
  ORGANIZATION_ROLES,
  isOrganizationRole,
  publicUserData,
  type ClerkOrganizationJSON,
  type ClerkOrganizationMembershipJSON,
  type ClerkPublicUserDataJSON,
  type DeletedOrganizationJSON,
} from "../store/organization-json.js";
import type { ClerkUserJSON } from "../store/user-json.js";

/** Any field of Clerk's organization, with any value: tests also send what Clerk would never. */
export type ClerkOrganizationOverrides = { [K in keyof ClerkOrganizationJSON]?: unknown } & Record<string, unknown>;
export type ClerkOrganizationMembershipOverrides = { [K in keyof ClerkOrganizationMembershipJSON]?: unknown } & Record<
  string,
  unknown
>;

const CLERK_IMAGE = "https://img.clerk.com/preview.png";

/**
 * A Clerk organization as a webhook carries it (the `data` of
 * `organization.created`/`updated`, counts included): "Acme Corp", slug
 * `acme-corp-<id suffix lowercased>`, one member, no metadata. Overrides
 * replace fields as given; `created_by` is there only when given.
 */
export function buildClerkOrganization<T extends ClerkOrganizationOverrides>(
  overrides: T,
): Omit<ClerkOrganizationJSON, keyof T> & T;
// Last, so that `ReturnType<typeof buildClerkOrganization>` is Clerk's organization.
export function buildClerkOrganization(): ClerkOrganizationJSON;
export function buildClerkOrganization(overrides: ClerkOrganizationOverrides = {}): ClerkOrganizationJSON {
  const id = typeof overrides.id === "string" ? overrides.id : newId("org");
  const createdAt = typeof overrides.created_at === "number" ? overrides.created_at : Date.now();
  const organization: ClerkOrganizationJSON = {
    object: "organization",
    id,
    name: "Acme Corp",
    slug: `acme-corp-${id.replace(/^org_/, "").toLowerCase()}`,
    image_url: CLERK_IMAGE,
    has_image: false,
    members_count: 1,
    missing_member_with_elevated_permissions: false,
    pending_invitations_count: 0,
    max_allowed_memberships: 5,
    admin_delete_enabled: true,
    public_metadata: {},
    private_metadata: {},
    created_at: createdAt,
    updated_at: createdAt,
  };
  return { ...organization, ...overrides } as ClerkOrganizationJSON;
}

/**
 * A Clerk organization membership as a webhook carries it: a member
 * (`org:member`, Clerk's permissions for the role) of a fresh
 * buildClerkOrganization(), whose public data is Ada Lovelace with the email
 * buildClerkUser would give that user id. A `role` override brings its
 * `role_name` and `permissions` unless those are given too; other overrides
 * replace fields as given.
 */
export function buildClerkOrganizationMembership<T extends ClerkOrganizationMembershipOverrides>(
  overrides: T,
): Omit<ClerkOrganizationMembershipJSON, keyof T> & T;
// Last, so that `ReturnType<typeof buildClerkOrganizationMembership>` is Clerk's membership.
export function buildClerkOrganizationMembership(): ClerkOrganizationMembershipJSON;
export function buildClerkOrganizationMembership(
  overrides: ClerkOrganizationMembershipOverrides = {},
): ClerkOrganizationMembershipJSON {
  const createdAt = typeof overrides.created_at === "number" ? overrides.created_at : Date.now();
  const userId = newId("user");
  const role = isOrganizationRole(overrides.role) ? overrides.role : "org:member";
  const membership: ClerkOrganizationMembershipJSON = {
    object: "organization_membership",
    id: newId("orgmem"),
    role,
    role_name: ORGANIZATION_ROLES[role].name,
    permissions: [...ORGANIZATION_ROLES[role].permissions],
    public_metadata: {},
    private_metadata: {},
    organization: buildClerkOrganization({ created_at: createdAt }),
    public_user_data: {
      user_id: userId,
      first_name: "Ada",
      last_name: "Lovelace",
      profile_image_url: CLERK_IMAGE,
      image_url: CLERK_IMAGE,
      has_image: false,
      identifier: `${userId.toLowerCase()}@example.com`,
      username: null,
    },
    created_at: createdAt,
    updated_at: createdAt,
  };
  return { ...membership, ...overrides } as ClerkOrganizationMembershipJSON;
}

/** A user as the memberships of an organization show them (`public_user_data`), e.g. of a buildClerkUser(). */
export function clerkPublicUserData(user: ClerkUserJSON): ClerkPublicUserDataJSON {
  return publicUserData(user);
}

/** The `data` of an `organization.deleted` event: Clerk sends only this much. */
export function deletedClerkOrganization(id: string): DeletedOrganizationJSON {
  return { object: "organization", id, deleted: true };
}
