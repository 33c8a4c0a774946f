import { Hono } from "hono";
import { backendApiRoutes, type BackendApiEdge } from "./backend-api/routes.js";
import type { BackendApiContext } from "./backend-api/users.js";
import { controlApiRoutes, type ControlApiContext } from "./control/control-api.js";
import { notFound } from "./errors.js";
import { clerkJsRoutes } from "./frontend-api/clerk-js.js";
import { CLERK_JS_MOUNT, FAPI_MOUNT, type FrontendContext } from "./frontend-api/frontend-api.js";
import { frontendApiRoutes } from "./frontend-api/routes.js";
import { controlGuard, loopbackHostOnly } from "./guards.js";
import { sendError, type StandInEnv } from "./http-util.js";

export interface StandInRoutesContext {
  backendApi: BackendApiContext & BackendApiEdge;
  control: ControlApiContext;
  frontend: FrontendContext;
  /** True for an origin the Frontend API answers CORS for. */
  allowsFrontendOrigin(origin: string): boolean;
  /** The per-run token the control routes require, and the port that makes an Origin the stand-in's own. */
  controlToken: string;
  port: number;
}

/** Every surface of the stand-in, one line each; each surface's own table is in its routes module. */
export function standInRoutes(ctx: StandInRoutesContext): Hono<StandInEnv> {
  const guard = controlGuard({ token: ctx.controlToken, port: ctx.port });
  const app = new Hono<StandInEnv>({ getPath: pathWithoutTrailingSlashes });
  app.use(loopbackHostOnly());
  app.route("/v1", backendApiRoutes(ctx.backendApi));
  app.route(
    FAPI_MOUNT,
    frontendApiRoutes(ctx.frontend, { allowsOrigin: ctx.allowsFrontendOrigin, testingGuard: guard }),
  );
  app.route(CLERK_JS_MOUNT, clerkJsRoutes());
  app.use("/_control", guard);
  app.use("/_control/*", guard);
  app.route("/_control", controlApiRoutes(ctx.control));
  app.notFound((c) => sendError(c, notFound()));
  app.onError((error, c) => sendError(c, error));
  return app;
}

/**
 * The Backend API and the control API ignore trailing slashes
 * (`/v1/users/` is `/v1/users`); the Frontend API and clerk-js files match
 * exactly, as clerk-js builds its paths without them.
 */
function pathWithoutTrailingSlashes(request: Request): string {
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("://") + 3);
  const end = url.search(/[?#]/);
  const path = end === -1 ? url.slice(start) : url.slice(start, end);
  if (!path.startsWith("/v1/") && !path.startsWith("/_control/")) return path;
  return path.replace(/\/+$/, "") || "/";
}
