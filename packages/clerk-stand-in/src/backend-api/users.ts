import { z } from "zod";
import { clerkErrorBody, notFound, StandInError } from "../errors.js";
import type { FaultSwitches } from "../control/faults.js";
import { readJson, sendJson, sendJsonArray, type StandInContext } from "../http-util.js";
import type { InstanceKeys } from "../keys.js";
import type { OrganizationStore } from "../store/organizations.js";
import type { UpdateUserPatch, UserListParams, UserStore } from "../store/store.js";
import {
  changeContext,
  createdAtParam,
  deepMerge,
  integerParam,
  listParam,
  metadata,
  nullableString,
  parseBody,
  queryOf,
} from "./request.js";

/**
 * Handlers of the Backend API's user resource; backend-api/routes.ts maps
 * paths to them.
 */

export interface BackendApiContext {
  store: UserStore;
  organizations: OrganizationStore;
  keys: InstanceKeys;
  faults: FaultSwitches;
}

export function listUsers(c: StandInContext, { store }: BackendApiContext): Response {
  return sendJsonArray(c, 200, store.listSerialised(parseListQuery(queryOf(c))));
}

export function countUsers(c: StandInContext, { store }: BackendApiContext): Response {
  return sendJson(c, 200, { object: "total_count", total_count: store.count(parseListQuery(queryOf(c))) });
}

export async function createUser(c: StandInContext, { store }: BackendApiContext): Promise<Response> {
  const body = parseBody(CreateUserBody, await readJson(c));
  return sendJson(c, 200, store.create(createInput(body), changeContext(c)));
}

export function getUser(c: StandInContext, { store }: BackendApiContext): Response {
  const user = store.get(c.req.param("id")!);
  if (!user) throw notFound("User");
  return sendJson(c, 200, user);
}

export async function updateUser(c: StandInContext, { store }: BackendApiContext): Promise<Response> {
  const body = parseBody(UpdateUserBody, await readJson(c));
  return sendJson(c, 200, store.update(c.req.param("id")!, updatePatch(body), changeContext(c)));
}

export async function mergeUserMetadata(c: StandInContext, { store }: BackendApiContext): Promise<Response> {
  const id = c.req.param("id")!;
  const body = parseBody(MetadataBody, await readJson(c));
  const current = store.get(id);
  if (!current) throw notFound("User");
  const patch: UpdateUserPatch = {};
  for (const key of ["public_metadata", "private_metadata", "unsafe_metadata"] as const) {
    if (body[key]) patch[key] = deepMerge(current[key] ?? {}, body[key]!);
  }
  return sendJson(c, 200, store.update(id, patch, changeContext(c)));
}

export function deleteUser(c: StandInContext, { store }: BackendApiContext): Response {
  return sendJson(c, 200, store.delete(c.req.param("id")!, changeContext(c)));
}

/** Clerk's answer to a missing or wrong secret key. */
export function authenticate(authorization: string | undefined, keys: InstanceKeys): void {
  const header = authorization ?? "";
  const token = header.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : "";
  if (token !== keys.secretKey) {
    throw new StandInError(
      401,
      "authentication_invalid",
      "Invalid authentication",
      token
        ? "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct."
        : "Unable to authenticate the request, you need to supply an active API key",
    );
  }
}

/** The answer a fault switch dictates, or null to answer normally (a hung request waits here first). */
export async function apiFaultResponse(c: StandInContext, faults: FaultSwitches): Promise<Response | null> {
  const fault = faults.takeApiFault();
  if (!fault) return null;
  if (fault.mode === "hang") {
    // Answered normally once the fault is cleared, like a server that recovers.
    await faults.waitUntilCleared();
    return null;
  }
  if (fault.mode === "429") {
    return sendJson(
      c,
      429,
      clerkErrorBody("too_many_requests", "Too many requests", "Too many requests, please retry later"),
      {
        "Retry-After": String(fault.retry_after),
      },
    );
  }
  return sendJson(
    c,
    500,
    clerkErrorBody(
      "internal_clerk_error",
      "Oops, an unexpected error occurred",
      "There was an internal error on our servers. We've been notified and are working on fixing it.",
    ),
  );
}

export function parseListQuery(query: URLSearchParams): UserListParams {
  return {
    limit: integerParam(query, "limit"),
    offset: integerParam(query, "offset"),
    order_by: query.get("order_by") || undefined,
    email_address: listParam(query, "email_address"),
    user_id: listParam(query, "user_id"),
    external_id: listParam(query, "external_id"),
    username: listParam(query, "username"),
    query: query.get("query") || undefined,
    starting_after: query.get("starting_after") || undefined,
    created_at_before: integerParam(query, "created_at_before"),
    created_at_after: integerParam(query, "created_at_after"),
  };
}

// Parameters Clerk accepts that have no effect in the stand-in: taking them
// keeps SDK calls that pass them from failing with form_param_unknown.
const acceptedWithoutEffect = {
  locale: nullableString,
  skip_password_checks: z.boolean().nullable().optional(),
  skip_legal_checks: z.boolean().nullable().optional(),
  legal_accepted_at: nullableString,
  delete_self_enabled: z.boolean().nullable().optional(),
  create_organization_enabled: z.boolean().nullable().optional(),
  create_organizations_limit: z.number().int().nullable().optional(),
  bypass_client_trust: z.boolean().nullable().optional(),
};

const CreateUserBody = z
  .object({
    external_id: nullableString,
    first_name: nullableString,
    last_name: nullableString,
    email_address: z.array(z.string()).optional(),
    username: nullableString,
    password: nullableString,
    skip_password_requirement: z.boolean().nullable().optional(),
    skip_user_requirement: z.boolean().nullable().optional(),
    public_metadata: metadata,
    private_metadata: metadata,
    unsafe_metadata: metadata,
    created_at: nullableString,
    ...acceptedWithoutEffect,
  })
  .strict();

const UpdateUserBody = z
  .object({
    external_id: nullableString,
    first_name: nullableString,
    last_name: nullableString,
    username: nullableString,
    password: nullableString,
    primary_email_address_id: nullableString,
    notify_primary_email_address_changed: z.boolean().nullable().optional(),
    sign_out_of_other_sessions: z.boolean().nullable().optional(),
    // Removed from PATCH /users/{id} in API version 2026-05-12, but @clerk/backend
    // 2.33 pins Clerk-API-Version 2025-11-10, where they replace the metadata.
    public_metadata: metadata,
    private_metadata: metadata,
    unsafe_metadata: metadata,
    ...acceptedWithoutEffect,
  })
  .strict();

const MetadataBody = z
  .object({ public_metadata: metadata, private_metadata: metadata, unsafe_metadata: metadata })
  .strict();

function createInput(body: z.infer<typeof CreateUserBody>) {
  return {
    email_address: body.email_address,
    password: body.password ?? undefined,
    first_name: body.first_name,
    last_name: body.last_name,
    username: body.username,
    external_id: body.external_id,
    public_metadata: body.public_metadata,
    private_metadata: body.private_metadata,
    unsafe_metadata: body.unsafe_metadata,
    created_at: createdAtParam(body.created_at),
  };
}

function updatePatch(body: z.infer<typeof UpdateUserBody>): UpdateUserPatch {
  const patch: UpdateUserPatch = {};
  for (const key of ["first_name", "last_name", "username", "external_id"] as const) {
    if (key in body) patch[key] = body[key] ?? null;
  }
  if (body.password != null) patch.password = body.password;
  if (body.primary_email_address_id) patch.primary_email_address_id = body.primary_email_address_id;
  for (const key of ["public_metadata", "private_metadata", "unsafe_metadata"] as const) {
    if (body[key]) patch[key] = body[key];
  }
  return patch;
}
