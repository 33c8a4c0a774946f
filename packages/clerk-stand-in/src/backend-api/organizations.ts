import { z } from "zod";
import { notFound, paramMissing } from "../errors.js";
import { isPlainObject, readJson, sendJson, type StandInContext } from "../http-util.js";
import type { UpdateOrganizationPatch } from "../store/organizations.js";
import type { OrganizationListParams } from "../store/organization-list.js";
import type { Metadata } from "../store/store.js";
import {
  booleanParam,
  changeContext,
  createdAtParam,
  deepMerge,
  integerParam,
  listParam,
  metadata,
  nullableMetadata,
  nullableString,
  parseBody,
  queryOf,
} from "./request.js";
import type { BackendApiContext } from "./users.js";

/**
 * Handlers of the Backend API's organization resource; backend-api/routes.ts
 * maps paths to them. `:id` is an organization's id or its slug.
 */

export function listOrganizations(c: StandInContext, { organizations }: BackendApiContext): Response {
  const query = queryOf(c);
  const membersCount = booleanParam(query, "include_members_count");
  return sendJson(c, 200, organizations.list(parseOrganizationListQuery(query), { membersCount }));
}

export async function createOrganization(c: StandInContext, { organizations }: BackendApiContext): Promise<Response> {
  const raw = await readJson(c);
  if (!isPlainObject(raw) || raw.name === undefined) throw paramMissing("name");
  const body = parseBody(CreateOrganizationBody, raw);
  const organization = organizations.create(
    {
      name: body.name,
      slug: body.slug,
      created_by: body.created_by,
      max_allowed_memberships: body.max_allowed_memberships,
      public_metadata: body.public_metadata,
      private_metadata: body.private_metadata,
      created_at: createdAtParam(body.created_at),
    },
    changeContext(c),
  );
  return sendJson(c, 200, organization);
}

export function getOrganization(c: StandInContext, { organizations }: BackendApiContext): Response {
  const membersCount = booleanParam(queryOf(c), "include_members_count");
  const organization = organizations.get(c.req.param("id")!, { membersCount });
  if (!organization) throw notFound("Organization");
  return sendJson(c, 200, organization);
}

export async function updateOrganization(c: StandInContext, { organizations }: BackendApiContext): Promise<Response> {
  const body = parseBody(UpdateOrganizationBody, await readJson(c));
  // Clerk reads null as "leave as it is".
  const patch: UpdateOrganizationPatch = {};
  if (body.name != null) patch.name = body.name;
  if (body.slug != null) patch.slug = body.slug;
  if (body.max_allowed_memberships != null) patch.max_allowed_memberships = body.max_allowed_memberships;
  if (body.admin_delete_enabled != null) patch.admin_delete_enabled = body.admin_delete_enabled;
  if (body.created_at != null) patch.created_at = createdAtParam(body.created_at);
  if (body.public_metadata) patch.public_metadata = body.public_metadata;
  if (body.private_metadata) patch.private_metadata = body.private_metadata;
  return sendJson(c, 200, organizations.update(c.req.param("id")!, patch, changeContext(c)));
}

export async function mergeOrganizationMetadata(
  c: StandInContext,
  { organizations }: BackendApiContext,
): Promise<Response> {
  const id = c.req.param("id")!;
  const body = parseBody(MetadataBody, await readJson(c));
  const current = organizations.get(id);
  if (!current) throw notFound("Organization");
  const patch: UpdateOrganizationPatch = {};
  for (const key of ["public_metadata", "private_metadata"] as const) {
    if (body[key]) patch[key] = deepMerge(current[key] ?? {}, body[key] as Metadata);
  }
  return sendJson(c, 200, organizations.update(id, patch, changeContext(c)));
}

export function deleteOrganization(c: StandInContext, { organizations }: BackendApiContext): Response {
  return sendJson(c, 200, organizations.delete(c.req.param("id")!, changeContext(c)));
}

export function parseOrganizationListQuery(query: URLSearchParams): OrganizationListParams {
  return {
    limit: integerParam(query, "limit"),
    offset: integerParam(query, "offset"),
    order_by: query.get("order_by") || undefined,
    query: query.get("query") || undefined,
    user_id: listParam(query, "user_id"),
    organization_id: listParam(query, "organization_id"),
  };
}

const membershipLimit = z.number().int().min(0).nullable().optional();

const CreateOrganizationBody = z
  .object({
    name: z.string(),
    created_by: nullableString,
    private_metadata: nullableMetadata,
    public_metadata: nullableMetadata,
    slug: nullableString,
    max_allowed_memberships: membershipLimit,
    created_at: nullableString,
    // Role sets are not emulated: accepted so calls that name one do not fail.
    role_set_key: nullableString,
  })
  .strict();

const UpdateOrganizationBody = z
  .object({
    name: nullableString,
    slug: nullableString,
    max_allowed_memberships: membershipLimit,
    admin_delete_enabled: z.boolean().nullable().optional(),
    created_at: nullableString,
    role_set_key: nullableString,
    // Removed in API version 2026-05-12, but @clerk/backend 2.33 pins Clerk-API-Version
    // 2025-11-10, where they replace the metadata (as PATCH /v1/users/{id} does).
    public_metadata: metadata,
    private_metadata: metadata,
  })
  .strict();

const MetadataBody = z.object({ public_metadata: metadata, private_metadata: metadata }).strict();
