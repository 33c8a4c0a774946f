import { StandInError } from "../errors.js";
import {
  ORGANIZATION_ROLES,
  isOrganizationRole,
  type ClerkOrganizationMembershipJSON,
} from "../store/organization-json.js";
import type { Page } from "../store/organizations.js";
import {
  activeSessionFor,
  clientOf,
  envelope,
  requestOrigin,
  type FapiHandler,
  type FapiRequest,
} from "./frontend-api.js";
import { fapiMembershipJson, fapiOrganizationJson } from "./organization-resources.js";

/**
 * What clerk-js's organization components call: `<CreateOrganization/>`
 * (`POST /v1/organizations`, then the roles of its invitation step),
 * `<OrganizationSwitcher/>` (the user's memberships, invitations and
 * suggestions) and `<OrganizationProfile/>` (the organization, its members,
 * their roles). Every change goes through the organization store, so the app
 * hears the same webhooks as for a dashboard edit. Invitations, domains and
 * membership requests are not emulated: their lists are empty.
 */

/** `POST /v1/organizations { name, slug? }`: the signed-in user creates it and becomes its admin. */
export const createOrganization: FapiHandler = (r) => {
  const client = clientOf(r);
  const user = signedInUser(r);
  if (!user.create_organization_enabled) throw notAllowed();
  const created = r.ctx.organizations.create(
    { name: r.params.name ?? "", slug: r.params.slug || undefined, created_by: user.id },
    requestOrigin(r).change,
  );
  return envelope(r, client, fapiOrganizationJson(r.ctx.organizations.get(created.id, { membersCount: true })!));
};

export const getOrganization: FapiHandler = (r) => {
  const membership = requireMembership(r);
  return envelope(r, clientOf(r), fapiOrganizationJson(membership.organization));
};

/** `<OrganizationProfile/>`'s general page: an admin renames the organization or changes its slug. */
export const updateOrganization: FapiHandler = (r) => {
  const membership = requireMembership(r, "org:admin");
  const patch: { name?: string; slug?: string } = {};
  if (r.params.name !== undefined) patch.name = r.params.name;
  if (r.params.slug !== undefined) patch.slug = r.params.slug;
  r.ctx.organizations.update(membership.organization.id, patch, requestOrigin(r).change);
  const updated = r.ctx.organizations.get(membership.organization.id, { membersCount: true })!;
  return envelope(r, clientOf(r), fapiOrganizationJson(updated));
};

export const deleteOrganization: FapiHandler = (r) => {
  const membership = requireMembership(r, "org:admin");
  if (!membership.organization.admin_delete_enabled) throw notAllowed();
  const deleted = r.ctx.organizations.delete(membership.organization.id, requestOrigin(r).change);
  return envelope(r, clientOf(r), deleted);
};

export const listMembers: FapiHandler = (r) => {
  const membership = requireMembership(r);
  const roles = r.url.searchParams.getAll("role").filter(Boolean);
  const members = r.ctx.organizations.members(membership.organization.id, {
    ...pageParams(r),
    order_by: "created_at",
    ...(roles.length ? { role: roles } : {}),
    query: r.url.searchParams.get("query") || undefined,
  });
  return envelope(r, clientOf(r), fapiPage(members));
};

/** An admin changes a member's role (`<OrganizationProfile/>`'s members page). */
export const updateMember: FapiHandler = (r) => {
  const membership = requireMembership(r, "org:admin");
  const role = r.params.role;
  if (!isOrganizationRole(role)) {
    throw new StandInError(422, "form_param_value_invalid", "is invalid", "role must be org:admin or org:member.", {
      param_name: "role",
    });
  }
  const updated = r.ctx.organizations.updateMember(
    membership.organization.id,
    r.c.req.param("userId")!,
    { role },
    requestOrigin(r).change,
  );
  return envelope(r, clientOf(r), fapiMembershipJson(updated));
};

/** An admin removes a member, or a member leaves. */
export const removeMember: FapiHandler = (r) => {
  const target = r.c.req.param("userId")!;
  const membership = requireMembership(r, target === signedInUser(r).id ? undefined : "org:admin");
  const removed = r.ctx.organizations.removeMember(membership.organization.id, target, requestOrigin(r).change);
  return envelope(r, clientOf(r), fapiMembershipJson(removed));
};

/** The instance's two roles, for the role pickers. */
export const listRoles: FapiHandler = (r) => {
  requireMembership(r);
  const roles = Object.entries(ORGANIZATION_ROLES).map(([key, role]) => ({
    object: "role",
    id: `role_${key.replace("org:", "")}`,
    key,
    name: role.name,
    description: key === "org:admin" ? "Full access to the organization." : "Reads members and billing.",
    permissions: role.permissions.map((permission) => ({
      object: "permission",
      id: `perm_${permission.replaceAll(":", "_")}`,
      key: permission,
      name: permission,
      description: "",
      type: "system",
      created_at: 0,
      updated_at: 0,
    })),
    is_creator_eligible: key === "org:admin",
    created_at: 0,
    updated_at: 0,
  }));
  return envelope(r, clientOf(r), { data: roles, total_count: roles.length, has_role_set_migration: false });
};

/** `GET /v1/me/organization_memberships`: what the switcher lists. */
export const listMyMemberships: FapiHandler = (r) => {
  const user = signedInUser(r);
  const page = r.ctx.organizations.membershipsOfUser(user.id, { ...pageParams(r), order_by: "created_at" });
  return envelope(r, clientOf(r), fapiPage(page));
};

/** Invitations, suggestions, domains and membership requests: not emulated, always none. */
export const emptyList: FapiHandler = (r) => {
  signedInUser(r);
  return envelope(r, clientOf(r), { data: [], total_count: 0 });
};

function fapiPage(page: Page<ClerkOrganizationMembershipJSON>) {
  return { data: page.data.map(fapiMembershipJson), total_count: page.total_count };
}

function pageParams(r: FapiRequest): { limit?: number; offset?: number } {
  const limit = Number(r.url.searchParams.get("limit") ?? 10);
  const offset = Number(r.url.searchParams.get("offset") ?? 0);
  return { limit: Number.isInteger(limit) ? Math.min(Math.max(limit, 1), 500) : 10, offset: Math.max(offset, 0) || 0 };
}

function signedInUser(r: FapiRequest) {
  const session = activeSessionFor(r, clientOf(r));
  const user = r.ctx.store.get(session.userId);
  if (!user) throw new StandInError(401, "authentication_invalid", "Unauthorized request", "You are signed out.");
  return user;
}

/** The signed-in user's membership of the organization in the path (and its role, when one is needed). */
function requireMembership(r: FapiRequest, role?: "org:admin"): ClerkOrganizationMembershipJSON {
  const user = signedInUser(r);
  const membership = r.ctx.organizations.getMembership(r.c.req.param("id")!, user.id);
  if (!membership) throw new StandInError(404, "resource_not_found", "not found", "Organization not found.");
  if (role && membership.role !== role) throw notAllowed();
  return membership;
}

function notAllowed(): StandInError {
  return new StandInError(403, "not_allowed_access", "not allowed", "You are not authorized to perform this request.");
}
