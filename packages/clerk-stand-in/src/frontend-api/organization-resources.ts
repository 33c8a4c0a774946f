import type { ClerkOrganizationJSON, ClerkOrganizationMembershipJSON } from "../store/organization-json.js";
import type { OrganizationStore } from "../store/organizations.js";

/** The Frontend API's organization resources (fapi 2026-05-12 schemas, as clerk-js 5 reads them). */

type Json = Record<string, unknown>;

/** The Frontend API's organization: the Backend API's without its private metadata or creator. */
export function fapiOrganizationJson(organization: ClerkOrganizationJSON): Json {
  return {
    object: "organization",
    id: organization.id,
    name: organization.name,
    slug: organization.slug,
    image_url: organization.image_url,
    has_image: organization.has_image,
    members_count: organization.members_count ?? 0,
    pending_invitations_count: 0,
    max_allowed_memberships: organization.max_allowed_memberships,
    admin_delete_enabled: organization.admin_delete_enabled,
    public_metadata: organization.public_metadata,
    created_at: organization.created_at,
    updated_at: organization.updated_at,
  };
}

export function fapiMembershipJson(membership: ClerkOrganizationMembershipJSON): Json {
  const member = membership.public_user_data;
  return {
    object: "organization_membership",
    id: membership.id,
    organization: fapiOrganizationJson(membership.organization),
    public_metadata: membership.public_metadata,
    public_user_data: {
      first_name: member.first_name,
      last_name: member.last_name,
      image_url: member.image_url,
      has_image: member.has_image,
      identifier: member.identifier ?? "",
      user_id: member.user_id,
      username: member.username ?? undefined,
    },
    role: membership.role,
    role_name: membership.role_name,
    permissions: membership.permissions,
    created_at: membership.created_at,
    updated_at: membership.updated_at,
  };
}

/** A user's memberships as their Frontend API user object carries them. */
export function fapiMembershipsOf(organizations: OrganizationStore, userId: string): Json[] {
  return organizations.membershipsOfUser(userId, { order_by: "created_at", limit: 500 }).data.map(fapiMembershipJson);
}
