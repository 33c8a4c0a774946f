import { Hono, type MiddlewareHandler } from "hono";
import { clerkErrorBody, StandInError } from "../errors.js";
import { frontendWritesFromTheAppOnly } from "../guards.js";
import { sendError, sendJson, type StandInEnv } from "../http-util.js";
import {
  activeSessions,
  attemptFirstFactor,
  attemptVerification,
  createSignIn,
  createSignUp,
  devBrowser,
  endAllSessions,
  endSession,
  environment,
  FAPI_MOUNT,
  fapiHandler,
  frontendStateFor,
  getClient,
  getMe,
  getSession,
  getSignIn,
  getSignUp,
  handshake,
  prepareVerification,
  sessionToken,
  testingSignIn,
  touchSession,
  updateMe,
  updateSignUp,
  type FapiHandler,
  type FrontendContext,
} from "./frontend-api.js";
import {
  createOrganization,
  deleteOrganization,
  emptyList,
  getOrganization,
  listMembers,
  listMyMemberships,
  listRoles,
  removeMember,
  updateMember,
  updateOrganization,
} from "./organizations.js";

/**
 * The Frontend API, mounted at `/fapi`. The table below routes by the
 * method clerk-js means: it tunnels PATCH and DELETE through POST with
 * `?_method=`, which `untunnel` undoes before routing. Every write under
 * `/v1` must come from the app's origins; `/_testing` has its own guard.
 */
export interface FrontendApiGuards {
  /** True for the app's own origins: the only ones answered with CORS. */
  allowsOrigin(origin: string): boolean;
  /** What the testing shortcut needs, as it mints sessions: the control token. */
  testingGuard: MiddlewareHandler<StandInEnv>;
}

export function frontendApiRoutes(ctx: FrontendContext, guards: FrontendApiGuards): Hono<StandInEnv> {
  const fapi = new Hono<StandInEnv>().basePath(FAPI_MOUNT);
  const on = (handler: FapiHandler) => fapiHandler(ctx, handler);
  fapi.use("/v1/*", frontendWritesFromTheAppOnly(guards.allowsOrigin));

  fapi.get("/v1/environment", on(environment));
  fapi.patch("/v1/environment", on(environment));
  fapi.post("/v1/dev_browser", on(devBrowser));
  fapi.get("/v1/client/handshake", on(handshake));
  fapi.post("/_testing/sign-in", guards.testingGuard, on(testingSignIn));

  fapi.on(["GET", "POST", "PUT"], "/v1/client", on(getClient));
  fapi.delete("/v1/client", on(endAllSessions));

  fapi.post("/v1/client/sign_ins", on(createSignIn));
  fapi.get("/v1/client/sign_ins/:id", on(getSignIn));
  fapi.post("/v1/client/sign_ins/:id/prepare_first_factor", on(getSignIn));
  fapi.post("/v1/client/sign_ins/:id/attempt_first_factor", on(attemptFirstFactor));

  fapi.post("/v1/client/sign_ups", on(createSignUp));
  fapi.get("/v1/client/sign_ups/:id", on(getSignUp));
  fapi.patch("/v1/client/sign_ups/:id", on(updateSignUp));
  fapi.post("/v1/client/sign_ups/:id/prepare_verification", on(prepareVerification));
  fapi.post("/v1/client/sign_ups/:id/attempt_verification", on(attemptVerification));

  fapi.delete("/v1/client/sessions", on(endAllSessions));
  fapi.get("/v1/client/sessions/:id", on(getSession));
  fapi.post("/v1/client/sessions/:id/touch", on(touchSession));
  fapi.post("/v1/client/sessions/:id/tokens", on(sessionToken));
  fapi.post("/v1/client/sessions/:id/tokens/:template", on(sessionToken));
  fapi.post("/v1/client/sessions/:id/end", on(endSession("ended")));
  fapi.post("/v1/client/sessions/:id/remove", on(endSession("removed")));

  fapi.get("/v1/me", on(getMe));
  fapi.patch("/v1/me", on(updateMe));
  fapi.get("/v1/me/sessions/active", on(activeSessions));
  fapi.get("/v1/me/organization_memberships", on(listMyMemberships));
  fapi.get("/v1/me/organization_invitations", on(emptyList));
  fapi.get("/v1/me/organization_suggestions", on(emptyList));

  fapi.post("/v1/organizations", on(createOrganization));
  fapi.get("/v1/organizations/:id", on(getOrganization));
  fapi.patch("/v1/organizations/:id", on(updateOrganization));
  fapi.delete("/v1/organizations/:id", on(deleteOrganization));
  fapi.get("/v1/organizations/:id/roles", on(listRoles));
  fapi.get("/v1/organizations/:id/memberships", on(listMembers));
  fapi.patch("/v1/organizations/:id/memberships/:userId", on(updateMember));
  fapi.delete("/v1/organizations/:id/memberships/:userId", on(removeMember));
  fapi.get("/v1/organizations/:id/invitations", on(emptyList));
  fapi.get("/v1/organizations/:id/domains", on(emptyList));
  fapi.get("/v1/organizations/:id/membership_requests", on(emptyList));

  fapi.all("*", (c) => {
    const path = new URL(c.req.url).pathname.slice(FAPI_MOUNT.length) || "/";
    frontendStateFor(ctx).logger.warn(`Frontend API: no handler for ${c.req.method} ${path}`);
    return sendJson(
      c,
      404,
      clerkErrorBody("resource_not_found", "not found", `The stand-in does not implement ${c.req.method} ${path}.`),
    );
  });
  fapi.onError((error, c) => {
    if (!(error instanceof StandInError)) {
      const path = new URL(c.req.url).pathname.slice(FAPI_MOUNT.length) || "/";
      frontendStateFor(ctx).logger.warn(`Frontend API ${c.req.method} ${path}: ${String(error)}`);
    }
    return sendError(c, error);
  });

  const mount = new Hono<StandInEnv>();
  mount.use(corsFor(guards.allowsOrigin));
  mount.all("*", async (c) => fapi.fetch(await untunnel(c.req.raw), c.env));
  return mount;
}

/** What clerk-js tunnels through POST (`"GET" !== method && "POST" !== method` in its request builder). */
const TUNNELLED_METHODS = new Set(["PATCH", "PUT", "DELETE"]);

/**
 * A POST with the method its `?_method=` names (clerk-js' tunnel), or the
 * request as it came. A GET stays a GET whatever its query says: a link or
 * an `<img>` on any page can send one, cookies included.
 */
async function untunnel(request: Request): Promise<Request> {
  if (request.method !== "POST") return request;
  const method = new URL(request.url).searchParams.get("_method")?.toUpperCase();
  if (!method || !TUNNELLED_METHODS.has(method)) return request;
  return new Request(request.url, { method, headers: request.headers, body: await request.arrayBuffer() });
}

/** Credentialed CORS for the app's origins only; a preflight from elsewhere gets no allowance. */
function corsFor(allowsOrigin: (origin: string) => boolean): MiddlewareHandler<StandInEnv> {
  return async (c, next) => {
    const origin = c.req.header("origin");
    const cors: Record<string, string> =
      origin && allowsOrigin(origin)
        ? { "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", Vary: "Origin" }
        : {};
    if (c.req.method === "OPTIONS") {
      return c.body(null, 204, {
        ...cors,
        "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        "Access-Control-Allow-Headers": c.req.header("access-control-request-headers") ?? "content-type",
        "Access-Control-Max-Age": "600",
      });
    }
    await next();
    for (const [name, value] of Object.entries(cors)) c.res.headers.set(name, value);
  };
}
