import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { clerkErrorBody, notFound, paramFormatInvalid, paramUnknown, StandInError } from "../errors.js";
import type { FaultSwitches } from "../control/faults.js";
import { isPlainObject, readJson, sendError, sendJson } from "../http-util.js";
import type { InstanceKeys } from "../keys.js";
import type { ChangeContext, Metadata, UpdateUserPatch, UserListParams, UserStore } from "../store/store.js";

export interface BackendApiContext {
  store: UserStore;
  keys: InstanceKeys;
  faults: FaultSwitches;
}

const USER_PATH = /^\/v1\/users\/([^/]+)$/;
const USER_METADATA_PATH = /^\/v1\/users\/([^/]+)\/metadata$/;

/** Answers Clerk Backend API paths under /v1; false when the path is not one of them. */
export async function handleBackendApiRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: BackendApiContext,
): Promise<boolean> {
  const path = url.pathname.replace(/\/+$/, "");
  if (!path.startsWith("/v1/")) return false;
  try {
    if (path === "/v1/users" || path.startsWith("/v1/users/")) {
      const faulted = await applyApiFault(res, ctx.faults);
      if (faulted) return true;
    }
    authenticate(req, ctx.keys);
    await route(req, res, path, url.searchParams, ctx);
  } catch (error) {
    sendError(res, error);
  }
  return true;
}

async function route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, ctx: BackendApiContext) {
  const { store } = ctx;
  const method = req.method ?? "GET";
  const change = changeContext(req);

  if (path === "/v1/jwks" && method === "GET") return sendJson(res, 200, ctx.keys.jwks());
  if (path === "/v1/users/count" && method === "GET") {
    return sendJson(res, 200, { object: "total_count", total_count: store.count(parseListQuery(query)) });
  }
  if (path === "/v1/users" && method === "GET") return sendJson(res, 200, store.list(parseListQuery(query)));
  if (path === "/v1/users" && method === "POST") {
    const body = parseBody(CreateUserBody, await readJson(req));
    return sendJson(res, 200, store.create(createInput(body), change));
  }

  const metadataMatch = USER_METADATA_PATH.exec(path);
  if (metadataMatch && method === "PATCH") {
    const id = decodeURIComponent(metadataMatch[1]);
    const body = parseBody(MetadataBody, await readJson(req));
    const current = store.get(id);
    if (!current) throw notFound("User");
    const patch: UpdateUserPatch = {};
    for (const key of ["public_metadata", "private_metadata", "unsafe_metadata"] as const) {
      if (body[key]) patch[key] = deepMerge(current[key] ?? {}, body[key]!);
    }
    return sendJson(res, 200, store.update(id, patch, change));
  }

  const userMatch = USER_PATH.exec(path);
  if (userMatch) {
    const id = decodeURIComponent(userMatch[1]);
    if (method === "GET") {
      const user = store.get(id);
      if (!user) throw notFound("User");
      return sendJson(res, 200, user);
    }
    if (method === "PATCH") {
      const body = parseBody(UpdateUserBody, await readJson(req));
      return sendJson(res, 200, store.update(id, updatePatch(body), change));
    }
    if (method === "DELETE") return sendJson(res, 200, store.delete(id, change));
  }
  throw notFound();
}

function authenticate(req: IncomingMessage, keys: InstanceKeys): void {
  const header = req.headers.authorization ?? "";
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

async function applyApiFault(res: ServerResponse, faults: FaultSwitches): Promise<boolean> {
  const fault = faults.takeApiFault();
  if (!fault) return false;
  if (fault.mode === "hang") {
    // Answered normally once the fault is cleared, like a server that recovers.
    await faults.waitUntilCleared();
    return false;
  }
  if (fault.mode === "429") {
    sendJson(res, 429, clerkErrorBody("too_many_requests", "Too many requests", "Too many requests, please retry later"), {
      "Retry-After": String(fault.retry_after),
    });
    return true;
  }
  sendJson(
    res,
    500,
    clerkErrorBody(
      "internal_clerk_error",
      "Oops, an unexpected error occurred",
      "There was an internal error on our servers. We've been notified and are working on fixing it.",
    ),
  );
  return true;
}

function changeContext(req: IncomingMessage): ChangeContext {
  return { source: "api", userAgent: req.headers["user-agent"] ?? "", clientIp: req.socket.remoteAddress ?? "" };
}

/** @clerk/backend repeats array keys (`email_address=a&email_address=b`); `key[]=` is accepted too. */
function listParam(query: URLSearchParams, key: string): string[] | undefined {
  const values = [...query.getAll(key), ...query.getAll(`${key}[]`)].flatMap((value) => value.split(","));
  const present = values.map((value) => value.trim()).filter(Boolean);
  return present.length ? present : undefined;
}

function integerParam(query: URLSearchParams, key: string): number | undefined {
  const raw = query.get(key);
  if (raw === null || raw === "") return undefined;
  if (!/^-?\d+$/.test(raw)) throw paramFormatInvalid(key, `${key} must be an integer.`);
  return Number(raw);
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

const nullableString = z.string().nullable().optional();
const metadata = z.record(z.string(), z.unknown()).optional();
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

const MetadataBody = z.object({ public_metadata: metadata, private_metadata: metadata, unsafe_metadata: metadata }).strict();

function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue.code === "unrecognized_keys") throw paramUnknown(issue.keys[0]);
  const param = String(issue.path[0] ?? "body");
  throw paramFormatInvalid(param, `${param} ${issue.message.toLowerCase()}`);
}

function createInput(body: z.infer<typeof CreateUserBody>) {
  let createdAt: number | undefined;
  if (body.created_at) {
    createdAt = Date.parse(body.created_at);
    if (Number.isNaN(createdAt)) throw paramFormatInvalid("created_at", "created_at must be an RFC3339 date.");
  }
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
    created_at: createdAt,
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

/** Clerk's metadata merge: nested objects merge, `null` removes a key. */
export function deepMerge(target: Metadata, patch: Metadata): Metadata {
  const merged: Metadata = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else if (isPlainObject(value) && isPlainObject(merged[key])) merged[key] = deepMerge(merged[key] as Metadata, value);
    else merged[key] = value;
  }
  return merged;
}
