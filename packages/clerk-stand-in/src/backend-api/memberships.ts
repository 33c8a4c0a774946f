import { z } from "zod";
import { paramMissing } from "../errors.js";
import { isPlainObject, readJson, sendJson, type StandInContext } from "../http-util.js";
import type { OrganizationRole } from "../store/organization-json.js";
import type { MembershipListParams } from "../store/organization-list.js";
import type { MembershipPatch } from "../store/organizations.js";
import type { Metadata } from "../store/store.js";
import { notFound } from "../errors.js";
import {
  changeContext,
  deepMerge,
  integerParam,
  listParam,
  metadata,
  nullableMetadata,
  parseBody,
  queryOf,
} from "./request.js";
import type { BackendApiContext } from "./users.js";

/**
 * Handlers of the Backend API's organization memberships: per organization
 * (`/organizations/:id/memberships/:userId`, a membership named by its
 * user), per user, and instance-wide; backend-api/routes.ts maps paths to them.
 */

export function listOrganizationMemberships(c: StandInContext, { organizations }: BackendApiContext): Response {
  return sendJson(c, 200, organizations.members(c.req.param("id")!, parseMembershipListQuery(queryOf(c))));
}

export function listInstanceMemberships(c: StandInContext, { organizations }: BackendApiContext): Response {
  const query = queryOf(c);
  return sendJson(
    c,
    200,
    organizations.allMemberships({
      limit: integerParam(query, "limit"),
      offset: integerParam(query, "offset"),
      order_by: query.get("order_by") || undefined,
    }),
  );
}

export function listUserMemberships(c: StandInContext, { organizations }: BackendApiContext): Response {
  const query = queryOf(c);
  const page = { limit: integerParam(query, "limit"), offset: integerParam(query, "offset") };
  return sendJson(c, 200, organizations.membershipsOfUser(c.req.param("id")!, page));
}

export async function createOrganizationMembership(
  c: StandInContext,
  { organizations }: BackendApiContext,
): Promise<Response> {
  const raw = await readJson(c);
  for (const required of ["user_id", "role"]) {
    if (!isPlainObject(raw) || raw[required] === undefined) throw paramMissing(required);
  }
  const body = parseBody(CreateMembershipBody, raw);
  const membership = organizations.addMember(
    c.req.param("id")!,
    body.user_id,
    {
      role: body.role as OrganizationRole,
      public_metadata: body.public_metadata,
      private_metadata: body.private_metadata,
    },
    changeContext(c),
  );
  return sendJson(c, 200, membership);
}

export async function updateOrganizationMembership(
  c: StandInContext,
  { organizations }: BackendApiContext,
): Promise<Response> {
  const raw = await readJson(c);
  if (!isPlainObject(raw) || raw.role === undefined) throw paramMissing("role");
  const body = parseBody(UpdateMembershipBody, raw);
  const patch: MembershipPatch = { role: body.role as OrganizationRole };
  return sendJson(
    c,
    200,
    organizations.updateMember(c.req.param("id")!, c.req.param("userId")!, patch, changeContext(c)),
  );
}

export async function mergeMembershipMetadata(
  c: StandInContext,
  { organizations }: BackendApiContext,
): Promise<Response> {
  const [id, userId] = [c.req.param("id")!, c.req.param("userId")!];
  const body = parseBody(MetadataBody, await readJson(c));
  const current = organizations.getMembership(id, userId);
  if (!current) throw notFound("Organization membership");
  const patch: MembershipPatch = {};
  for (const key of ["public_metadata", "private_metadata"] as const) {
    if (body[key]) patch[key] = deepMerge(current[key] ?? {}, body[key] as Metadata);
  }
  return sendJson(c, 200, organizations.updateMember(id, userId, patch, changeContext(c)));
}

export function deleteOrganizationMembership(c: StandInContext, { organizations }: BackendApiContext): Response {
  return sendJson(c, 200, organizations.removeMember(c.req.param("id")!, c.req.param("userId")!, changeContext(c)));
}

export function parseMembershipListQuery(query: URLSearchParams): MembershipListParams {
  return {
    limit: integerParam(query, "limit"),
    offset: integerParam(query, "offset"),
    order_by: query.get("order_by") || undefined,
    user_id: listParam(query, "user_id"),
    role: listParam(query, "role"),
    query: query.get("query") || undefined,
  };
}

const CreateMembershipBody = z
  .object({
    user_id: z.string(),
    role: z.string(),
    public_metadata: nullableMetadata,
    private_metadata: nullableMetadata,
  })
  .strict();

const UpdateMembershipBody = z.object({ role: z.string() }).strict();

const MetadataBody = z.object({ public_metadata: metadata, private_metadata: metadata }).strict();
