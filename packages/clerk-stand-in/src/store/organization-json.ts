import { paramFormatInvalid } from "../errors.js";
import { avatarDataUrl, type ClerkUserJSON, type Metadata } from "./user-json.js";

/** Clerk's Backend API `Organization` (bapi 2026-05-12), timestamps in ms. The counts are present where Clerk sends them. */
export interface ClerkOrganizationJSON {
  object: "organization";
  id: string;
  name: string;
  slug: string;
  image_url: string;
  has_image: boolean;
  members_count?: number;
  missing_member_with_elevated_permissions?: boolean;
  pending_invitations_count?: number;
  max_allowed_memberships: number;
  admin_delete_enabled: boolean;
  public_metadata: Metadata;
  private_metadata: Metadata;
  /** Absent when the organization was created without naming a user. */
  created_by?: string;
  created_at: number;
  updated_at: number;
}

/** The member as an organization sees them (`OrganizationMembershipPublicUserData`). */
export interface ClerkPublicUserDataJSON {
  user_id: string;
  first_name: string | null;
  last_name: string | null;
  profile_image_url: string;
  image_url: string;
  has_image: boolean;
  /** The primary email address, else the username. */
  identifier: string | null;
  username: string | null;
}

export type OrganizationRole = "org:admin" | "org:member";

/** Clerk's `OrganizationMembership`: the whole organization and the member's public data ride along. */
export interface ClerkOrganizationMembershipJSON {
  object: "organization_membership";
  id: string;
  /** The stand-in makes `org:admin` and `org:member`; Clerk's instances may have custom roles too. */
  role: string;
  role_name: string;
  permissions: string[];
  public_metadata: Metadata;
  private_metadata: Metadata;
  organization: ClerkOrganizationJSON;
  public_user_data: ClerkPublicUserDataJSON;
  created_at: number;
  updated_at: number;
}

export type DeletedOrganizationJSON = { object: "organization"; id: string; deleted: true };

/**
 * Clerk's two default roles and their system permissions ("Roles and
 * permissions" in Clerk's docs): an admin has them all, a member reads
 * members and billing.
 */
export const ORGANIZATION_ROLES: Record<OrganizationRole, { name: string; permissions: readonly string[] }> = {
  "org:admin": {
    name: "Admin",
    permissions: [
      "org:sys_profile:manage",
      "org:sys_profile:delete",
      "org:sys_memberships:read",
      "org:sys_memberships:manage",
      "org:sys_domains:read",
      "org:sys_domains:manage",
      "org:sys_billing:read",
      "org:sys_billing:manage",
    ],
  },
  "org:member": { name: "Member", permissions: ["org:sys_memberships:read", "org:sys_billing:read"] },
};

export function isOrganizationRole(role: unknown): role is OrganizationRole {
  return typeof role === "string" && Object.hasOwn(ORGANIZATION_ROLES, role);
}

/** clerk-js's own rule for the slug it proposes from a name, with the ends trimmed of dashes. */
export function slugFromName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Clerk's slug rule: lowercase letters, digits and dashes, with at least one letter or digit. */
export function assertValidSlug(slug: string): void {
  if (!/^[a-z0-9-]+$/.test(slug) || !/[a-z0-9]/.test(slug)) {
    throw paramFormatInvalid("slug", "slug can contain only lowercase alphanumeric characters and the dash '-'.");
  }
}

export function assertValidName(name: string): void {
  if (name.trim() === "" || name.length > 256) {
    throw paramFormatInvalid("name", "name must be between 1 and 256 characters long.");
  }
}

/** An organization's logo when it has none: its initials on a colour, as a data: URL, so nothing is fetched. */
export function organizationImage(id: string, name: string): string {
  const [first = "", second = ""] = name.trim().split(/\s+/);
  return avatarDataUrl(id, first || null, second || null);
}

export function publicUserData(user: ClerkUserJSON): ClerkPublicUserDataJSON {
  const email = user.email_addresses.find((entry) => entry.id === user.primary_email_address_id)?.email_address;
  return {
    user_id: user.id,
    first_name: user.first_name,
    last_name: user.last_name,
    profile_image_url: user.image_url,
    image_url: user.image_url,
    has_image: user.has_image,
    identifier: email ?? user.username ?? null,
    username: user.username,
  };
}
