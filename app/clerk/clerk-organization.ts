import { z } from "zod";

/**
 * The shapes of Clerk's organization and membership payloads, as webhooks
 * carry them (`organization.*`, `organizationMembership.*`) and as the Backend
 * API answers. Lenient like clerk-user.ts: we insist only on what we store,
 * and keep only that. `members_count` is dropped on purpose: Clerk changes it
 * without moving `updated_at`, so it cannot be ordered (decision 008).
 */

const optionalText = z.string().nullish();
// Clerk's metadata is any JSON object; stored as JSON text.
const metadata = z.record(z.string(), z.unknown()).nullish();
const clerkTimestamp = z.number().int().nonnegative();

export const clerkOrganizationSchema = z.object({
  id: z.string().min(1),
  object: z.literal("organization").optional(),
  name: z.string(),
  slug: z.string(),
  image_url: optionalText,
  public_metadata: metadata,
  private_metadata: metadata,
  created_by: optionalText,
  created_at: clerkTimestamp,
  updated_at: clerkTimestamp,
});
export type ClerkOrganizationPayload = z.infer<typeof clerkOrganizationSchema>;

/**
 * `organization.deleted` carries `{ object, id, slug, deleted }`: no `updated_at`, nothing to order by.
 * Clerk types `id` as optional, as for `user.deleted`.
 */
export const deletedClerkOrganizationSchema = z.looseObject({
  object: z.literal("organization").optional(),
  id: z.string().min(1).optional(),
  deleted: z.boolean().optional(),
});

/**
 * A membership carries its whole organization, and the member as
 * `public_user_data`. Clerk's OpenAPI document marks `public_user_data`
 * optional, but a membership is a person's: without `user_id` it could not be
 * told apart from that person's other memberships, so it is refused.
 */
export const clerkMembershipSchema = z.object({
  id: z.string().min(1),
  object: z.literal("organization_membership").optional(),
  role: z.string().min(1),
  permissions: z.array(z.string()).nullish(),
  public_metadata: metadata,
  organization: clerkOrganizationSchema,
  public_user_data: z.object({ user_id: z.string().min(1) }),
  created_at: clerkTimestamp,
  updated_at: clerkTimestamp,
});
export type ClerkMembershipPayload = z.infer<typeof clerkMembershipSchema>;

export const ORGANIZATION_EVENT_TYPES = [
  "organization.created",
  "organization.updated",
  "organization.deleted",
] as const;
export type OrganizationEventType = (typeof ORGANIZATION_EVENT_TYPES)[number];
export const MEMBERSHIP_EVENT_TYPES = [
  "organizationMembership.created",
  "organizationMembership.updated",
  "organizationMembership.deleted",
] as const;
export type MembershipEventType = (typeof MEMBERSHIP_EVENT_TYPES)[number];

export function isOrganizationEventType(type: string): type is OrganizationEventType {
  return (ORGANIZATION_EVENT_TYPES as readonly string[]).includes(type);
}

export function isMembershipEventType(type: string): type is MembershipEventType {
  return (MEMBERSHIP_EVENT_TYPES as readonly string[]).includes(type);
}

/** The columns a Clerk organization fills in `organizations`; everything else about a row is bookkeeping. */
export interface ClerkOrganizationFields {
  clerkId: string;
  name: string;
  slug: string;
  imageUrl: string | null;
  publicMetadata: string | null;
  privateMetadata: string | null;
  createdBy: string | null;
  clerkCreatedAt: number;
  clerkUpdatedAt: number;
}

/** The columns a Clerk membership fills in `organization_memberships`. */
export interface ClerkMembershipFields {
  clerkId: string;
  organizationClerkId: string;
  userClerkId: string;
  role: string;
  permissions: string | null;
  publicMetadata: string | null;
  clerkCreatedAt: number;
  clerkUpdatedAt: number;
}

const jsonText = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

export function clerkOrganizationToRow(organization: ClerkOrganizationPayload): ClerkOrganizationFields {
  return {
    clerkId: organization.id,
    name: organization.name,
    slug: organization.slug,
    imageUrl: organization.image_url ?? null,
    publicMetadata: jsonText(organization.public_metadata),
    privateMetadata: jsonText(organization.private_metadata),
    createdBy: organization.created_by ?? null,
    clerkCreatedAt: organization.created_at,
    clerkUpdatedAt: organization.updated_at,
  };
}

export function clerkMembershipToRow(membership: ClerkMembershipPayload): ClerkMembershipFields {
  return {
    clerkId: membership.id,
    organizationClerkId: membership.organization.id,
    userClerkId: membership.public_user_data.user_id,
    role: membership.role,
    permissions: jsonText(membership.permissions),
    publicMetadata: jsonText(membership.public_metadata),
    clerkCreatedAt: membership.created_at,
    clerkUpdatedAt: membership.updated_at,
  };
}
