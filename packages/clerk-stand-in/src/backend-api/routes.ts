import { Hono, type MiddlewareHandler } from "hono";
import type { StandInEnv } from "../http-util.js";
import { latencyMiddleware, type Latency } from "./latency.js";
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
  api.use("/users", faults);
  api.use("/users/*", faults);
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
  return api;
}
