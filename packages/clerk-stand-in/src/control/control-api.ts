import { Hono } from "hono";
import { queryOf } from "../backend-api/request.js";
import { parseListQuery } from "../backend-api/users.js";
import type { DeliveryState, WebhookDeliveries } from "../webhooks/deliveries.js";
import { notFound, paramValueInvalid, StandInError } from "../errors.js";
import type { ApiFaultMode, FaultSwitches } from "./faults.js";
import {
  isPlainObject,
  readJson,
  remoteAddress,
  sendJson,
  type StandInContext,
  type StandInEnv,
} from "../http-util.js";
import type { OrganizationStore } from "../store/organizations.js";
import { generateUsers } from "../store/seed-generator.js";
import { addOrganizationControlRoutes } from "./organizations.js";
import type { ChangeContext, CreateUserInput, SeedUser, UpdateUserPatch, UserStore } from "../store/store.js";

export interface ControlApiContext {
  store: UserStore;
  organizations: OrganizationStore;
  deliveries: WebhookDeliveries;
  faults: FaultSwitches;
  config(): Record<string, unknown>;
  addWebhookUrl(url: string): void;
}

/** The test-and-dashboard side door, mounted at `/_control`: state resets, seeding, "dashboard" edits, faults. */
export function controlApiRoutes(ctx: ControlApiContext): Hono<StandInEnv> {
  const { store, organizations, deliveries, faults } = ctx;
  const control = new Hono<StandInEnv>();

  control.get("/config", (c) => sendJson(c, 200, ctx.config()));
  control.post("/reset", (c) => {
    // Sessions, organizations and memberships go with the users (their owners listen to the store's reset);
    // organizations are counted only when there were some, so a reset's answer stays as it was without them.
    const [organizationCount, memberships] = [organizations.size, organizations.membershipCount];
    const erased = {
      users: store.reset(),
      ...(organizationCount || memberships ? { organizations: organizationCount, memberships } : {}),
      deliveries: deliveries.reset(),
    };
    faults.clear();
    return sendJson(c, 200, { ok: true, erased });
  });
  control.post("/seed", async (c) => {
    const { users, emit } = seedRequest(await readJson(c));
    const created = store.seed(users, { emit, context: dashboard(c) });
    // 100k users would be a 300 MB answer; big batches get the count and ids only.
    return sendJson(
      c,
      200,
      created.length > 1_000
        ? { count: created.length, ids: created.map((u) => u.id) }
        : { count: created.length, users: created },
    );
  });

  control.get("/users", (c) => {
    const params = parseListQuery(queryOf(c));
    const all = params.limit === undefined;
    const users = store.list(
      { ...params, limit: all ? Math.max(store.size, 1) : params.limit },
      { maxLimit: Number.MAX_SAFE_INTEGER },
    );
    return sendJson(c, 200, { total_count: store.count(params), data: users });
  });
  control.post("/users", async (c) => {
    const body = await readJson(c);
    if (!isPlainObject(body)) throw paramValueInvalid("body", "Expected a user object.");
    return sendJson(c, 200, store.create(body as CreateUserInput, dashboard(c)));
  });
  control.get("/users/:id", (c) => {
    const user = store.get(c.req.param("id"));
    if (!user) throw notFound("User");
    return sendJson(c, 200, user);
  });
  control.patch("/users/:id", async (c) => {
    const body = await readJson(c);
    if (!isPlainObject(body)) throw paramValueInvalid("body", "Expected a patch object.");
    return sendJson(c, 200, store.update(c.req.param("id"), body as UpdateUserPatch, dashboard(c)));
  });
  control.delete("/users/:id", (c) => sendJson(c, 200, store.delete(c.req.param("id"), dashboard(c))));
  addOrganizationControlRoutes(control, organizations);

  control.get("/deliveries", (c) => {
    const records = deliveries.records({
      state: (c.req.query("state") as DeliveryState | undefined) ?? undefined,
      user_id: c.req.query("user_id") ?? undefined,
      organization_id: c.req.query("organization_id") ?? undefined,
      type: c.req.query("type") ?? undefined,
    });
    return sendJson(c, 200, { pending: deliveries.pendingCount, endpoints: deliveries.endpoints, data: records });
  });
  control.post("/deliveries/wait", async (c) => {
    const body = await readJson(c);
    const timeoutMs = isPlainObject(body) && typeof body.timeout_ms === "number" ? body.timeout_ms : undefined;
    const idle = await waitForIdle(deliveries, timeoutMs);
    return sendJson(c, idle ? 200 : 408, { idle, pending: deliveries.pendingCount });
  });
  control.post("/webhook-endpoints", async (c) => {
    const body = await readJson(c);
    if (!isPlainObject(body) || typeof body.url !== "string") throw paramValueInvalid("url", "Expected { url }.");
    ctx.addWebhookUrl(body.url);
    return sendJson(c, 200, { endpoints: deliveries.endpoints });
  });

  control.get("/faults", (c) => sendJson(c, 200, faults.snapshot()));
  control.post("/faults", async (c) => {
    applyFaults(faults, await readJson(c));
    return sendJson(c, 200, faults.snapshot());
  });
  control.delete("/faults", (c) => {
    faults.clear();
    return sendJson(c, 200, faults.snapshot());
  });
  return control;
}

function dashboard(c: StandInContext): ChangeContext {
  return { source: "control", userAgent: c.req.header("user-agent") ?? "", clientIp: remoteAddress(c) };
}

function seedRequest(body: unknown): { users: SeedUser[]; emit: boolean } {
  if (Array.isArray(body)) return { users: body as SeedUser[], emit: false };
  if (!isPlainObject(body))
    throw paramValueInvalid("body", "Expected an array of users, { users, emit } or { count, emit }.");
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
      if (!["fail", "drop", "duplicate", "reorder"].includes(key))
        throw paramValueInvalid(`deliveries.${key}`, "Unknown delivery fault.");
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
