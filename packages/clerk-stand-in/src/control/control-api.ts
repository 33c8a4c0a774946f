import type { IncomingMessage, ServerResponse } from "node:http";
import { parseListQuery } from "../backend-api/users.js";
import type { DeliveryState, WebhookDeliveries } from "../webhooks/deliveries.js";
import { notFound, paramValueInvalid, StandInError } from "../errors.js";
import type { ApiFaultMode, FaultSwitches } from "./faults.js";
import { isPlainObject, readJson, sendError, sendJson } from "../http-util.js";
import { generateUsers } from "../store/seed-generator.js";
import type { ChangeContext, CreateUserInput, SeedUser, UpdateUserPatch, UserStore } from "../store/store.js";

export interface ControlApiContext {
  store: UserStore;
  deliveries: WebhookDeliveries;
  faults: FaultSwitches;
  config(): Record<string, unknown>;
  addWebhookUrl(url: string): void;
}

const USER_PATH = /^\/_control\/users\/([^/]+)$/;

/** The test-and-dashboard side door under /_control: state resets, seeding, "dashboard" edits, faults. */
export async function handleControlRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: ControlApiContext,
): Promise<boolean> {
  const path = url.pathname.replace(/\/+$/, "");
  if (path !== "/_control" && !path.startsWith("/_control/")) return false;
  try {
    await route(req, res, path, url, ctx);
  } catch (error) {
    sendError(res, error);
  }
  return true;
}

async function route(req: IncomingMessage, res: ServerResponse, path: string, url: URL, ctx: ControlApiContext) {
  const method = req.method ?? "GET";
  const { store, deliveries, faults } = ctx;
  const dashboard: ChangeContext = {
    source: "control",
    userAgent: req.headers["user-agent"] ?? "",
    clientIp: req.socket.remoteAddress ?? "",
  };

  if (path === "/_control/config" && method === "GET") return sendJson(res, 200, ctx.config());
  if (path === "/_control/reset" && method === "POST") {
    store.reset();
    deliveries.reset();
    faults.clear();
    return sendJson(res, 200, { ok: true });
  }
  if (path === "/_control/seed" && method === "POST") {
    const { users, emit } = seedRequest(await readJson(req));
    const created = store.seed(users, { emit, context: dashboard });
    // 100k users would be a 300 MB answer; big batches get the count and ids only.
    return sendJson(res, 200, created.length > 1_000 ? { count: created.length, ids: created.map((u) => u.id) } : { count: created.length, users: created });
  }
  if (path === "/_control/users" && method === "GET") {
    const params = parseListQuery(url.searchParams);
    const all = params.limit === undefined;
    const users = store.list({ ...params, limit: all ? Math.max(store.size, 1) : params.limit }, { maxLimit: Number.MAX_SAFE_INTEGER });
    return sendJson(res, 200, { total_count: store.count(params), data: users });
  }
  if (path === "/_control/users" && method === "POST") {
    const body = await readJson(req);
    if (!isPlainObject(body)) throw paramValueInvalid("body", "Expected a user object.");
    return sendJson(res, 200, store.create(body as CreateUserInput, dashboard));
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
      const body = await readJson(req);
      if (!isPlainObject(body)) throw paramValueInvalid("body", "Expected a patch object.");
      return sendJson(res, 200, store.update(id, body as UpdateUserPatch, dashboard));
    }
    if (method === "DELETE") return sendJson(res, 200, store.delete(id, dashboard));
  }
  if (path === "/_control/deliveries" && method === "GET") {
    const query = url.searchParams;
    const records = deliveries.records({
      state: (query.get("state") as DeliveryState | null) ?? undefined,
      user_id: query.get("user_id") ?? undefined,
      type: query.get("type") ?? undefined,
    });
    return sendJson(res, 200, { pending: deliveries.pendingCount, endpoints: deliveries.endpoints, data: records });
  }
  if (path === "/_control/deliveries/wait" && method === "POST") {
    const body = await readJson(req);
    const timeoutMs = isPlainObject(body) && typeof body.timeout_ms === "number" ? body.timeout_ms : undefined;
    const idle = await waitForIdle(deliveries, timeoutMs);
    return sendJson(res, idle ? 200 : 408, { idle, pending: deliveries.pendingCount });
  }
  if (path === "/_control/webhook-endpoints" && method === "POST") {
    const body = await readJson(req);
    if (!isPlainObject(body) || typeof body.url !== "string") throw paramValueInvalid("url", "Expected { url }.");
    ctx.addWebhookUrl(body.url);
    return sendJson(res, 200, { endpoints: deliveries.endpoints });
  }
  if (path === "/_control/faults" && method === "GET") return sendJson(res, 200, faults.snapshot());
  if (path === "/_control/faults" && method === "POST") {
    applyFaults(faults, await readJson(req));
    return sendJson(res, 200, faults.snapshot());
  }
  if (path === "/_control/faults" && method === "DELETE") {
    faults.clear();
    return sendJson(res, 200, faults.snapshot());
  }
  throw notFound();
}

function seedRequest(body: unknown): { users: SeedUser[]; emit: boolean } {
  if (Array.isArray(body)) return { users: body as SeedUser[], emit: false };
  if (!isPlainObject(body)) throw paramValueInvalid("body", "Expected an array of users, { users, emit } or { count, emit }.");
  const emit = body.emit === true;
  if (typeof body.count === "number") {
    const password = typeof body.password === "string" ? body.password : undefined;
    return { users: generateUsers({ count: body.count, password }), emit };
  }
  if (Array.isArray(body.users)) return { users: body.users as SeedUser[], emit };
  throw paramValueInvalid("body", "Expected an array of users, { users, emit } or { count, emit }.");
}

function applyFaults(faults: FaultSwitches, body: unknown): void {
  if (!isPlainObject(body)) throw paramValueInvalid("body", "Expected { deliveries?, api? }.");
  if (isPlainObject(body.deliveries)) {
    const counts: Record<string, number> = {};
    for (const [key, value] of Object.entries(body.deliveries)) {
      if (!["fail", "drop", "duplicate", "reorder"].includes(key)) throw paramValueInvalid(`deliveries.${key}`, "Unknown delivery fault.");
      if (typeof value !== "number" || value < 0) throw paramValueInvalid(`deliveries.${key}`, "Expected a count ≥ 0.");
      counts[key] = value;
    }
    faults.setDeliveryFaults(counts);
  }
  if (isPlainObject(body.api)) {
    const mode = String(body.api.mode) as ApiFaultMode;
    if (!["500", "429", "hang"].includes(mode)) throw paramValueInvalid("api.mode", "mode must be 500, 429 or hang.");
    const count = typeof body.api.count === "number" ? body.api.count : null;
    const retryAfter = typeof body.api.retry_after === "number" ? body.api.retry_after : undefined;
    faults.setApiFault(mode, count, retryAfter);
  }
  if (!isPlainObject(body.deliveries) && !isPlainObject(body.api)) {
    throw new StandInError(422, "form_param_missing", "is missing", "Expected deliveries or api.");
  }
}

async function waitForIdle(deliveries: WebhookDeliveries, timeoutMs: number | undefined): Promise<boolean> {
  if (timeoutMs === undefined) {
    await deliveries.waitForIdle();
    return true;
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const idle = await Promise.race([deliveries.waitForIdle().then(() => true as const), timedOut]);
  clearTimeout(timer);
  return idle;
}
