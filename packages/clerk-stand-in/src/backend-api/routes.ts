import { Hono, type MiddlewareHandler } from "hono";
import type { StandInEnv } from "../http-util.js";
import { latencyMiddleware, type Latency } from "./latency.js";
import {
  createOrganizationMembership,
  deleteOrganizationMembership,
  listInstanceMemberships,
  listOrganizationMemberships,
  listUserMemberships,
  mergeMembershipMetadata,
  updateOrganizationMembership,
} from "./memberships.js";
import {
  createOrganization,
  deleteOrganization,
  getOrganization,
  listOrganizations,
  mergeOrganizationMetadata,
  updateOrganization,
} from "./organizations.js";
import { rateLimitMiddleware, type BackendApiRateLimit } from "./rate-limit.js";
import {
  apiFaultResponse,
  authenticate,
  countUsers,
  createUser,
  deleteUser,
  getUser,
  listUsers,
  mergeUserMetadata,
  updateUser,
  type BackendApiContext,
} from "./users.js";

/** Clerk's edge, off unless asked for: the network's latency, and the per-instance rate limit. */
export interface BackendApiEdge {
  latency?: () => Latency | undefined;
  rateLimit?: BackendApiRateLimit;
  /** Told of every request as it comes in and as it is answered (tests count what a client has in flight). */
  observers?: ReadonlySet<BackendApiObserver>;
}

export type BackendApiEvent =
  | { phase: "received"; method: string; path: string }
  | { phase: "answered"; method: string; path: string; status: number };
export type BackendApiObserver = (event: BackendApiEvent) => void;

/** Clerk's Backend API, mounted at `/v1`: what @clerk/backend and the app's server call. */
export function backendApiRoutes(ctx: BackendApiContext & BackendApiEdge): Hono<StandInEnv> {
  const api = new Hono<StandInEnv>();
  const observers = ctx.observers;
  if (observers) {
    api.use(async (c, next) => {
      const { method, path } = c.req;
      for (const observe of observers) observe({ phase: "received", method, path });
      try {
        await next();
      } finally {
        for (const observe of observers) observe({ phase: "answered", method, path, status: c.res.status });
      }
    });
  }
  if (ctx.latency) api.use(latencyMiddleware(ctx.latency));

  // Fault switches stand for Clerk's servers failing, so they answer before authentication does.
  const faults: MiddlewareHandler<StandInEnv> = async (c, next) => (await apiFaultResponse(c, ctx.faults)) ?? next();
  for (const path of ["/users", "/users/*", "/organizations", "/organizations/*", "/organization_memberships"]) {
    api.use(path, faults);
  }
  api.use(async (c, next) => {
    authenticate(c.req.header("authorization"), ctx.keys);
    await next();
  });
  // Clerk limits every Backend API endpoint per instance except the JWKS.
  if (ctx.rateLimit) {
    const limited = rateLimitMiddleware(ctx.rateLimit);
    api.use((c, next) => (c.req.path.endsWith("/jwks") ? next() : limited(c, next)));
  }

  api.get("/jwks", (c) => c.json(ctx.keys.jwks()));
  api.get("/users/count", (c) => countUsers(c, ctx));
  api.get("/users", (c) => listUsers(c, ctx));
  api.post("/users", (c) => createUser(c, ctx));
  api.get("/users/:id", (c) => getUser(c, ctx));
  api.patch("/users/:id", (c) => updateUser(c, ctx));
  api.delete("/users/:id", (c) => deleteUser(c, ctx));
  api.patch("/users/:id/metadata", (c) => mergeUserMetadata(c, ctx));
  api.get("/users/:id/organization_memberships", (c) => listUserMemberships(c, ctx));

  api.get("/organizations", (c) => listOrganizations(c, ctx));
  api.post("/organizations", (c) => createOrganization(c, ctx));
  api.get("/organizations/:id", (c) => getOrganization(c, ctx));
  api.patch("/organizations/:id", (c) => updateOrganization(c, ctx));
  api.delete("/organizations/:id", (c) => deleteOrganization(c, ctx));
  api.patch("/organizations/:id/metadata", (c) => mergeOrganizationMetadata(c, ctx));
  api.get("/organizations/:id/memberships", (c) => listOrganizationMemberships(c, ctx));
  api.post("/organizations/:id/memberships", (c) => createOrganizationMembership(c, ctx));
  api.patch("/organizations/:id/memberships/:userId", (c) => updateOrganizationMembership(c, ctx));
  api.delete("/organizations/:id/memberships/:userId", (c) => deleteOrganizationMembership(c, ctx));
  api.patch("/organizations/:id/memberships/:userId/metadata", (c) => mergeMembershipMetadata(c, ctx));
  api.get("/organization_memberships", (c) => listInstanceMemberships(c, ctx));
  return api;
}
