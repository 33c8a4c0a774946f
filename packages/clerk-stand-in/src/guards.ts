import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { MiddlewareHandler } from "hono";
import { StandInError } from "./errors.js";
import type { StandInEnv } from "./http-util.js";
import { hostnameOfHostHeader, isLoopbackHost } from "./loopback.js";

/**
 * The stand-in listens on loopback, but a web page the developer visits can
 * still reach it: by DNS rebinding (a name of the attacker's that resolves
 * to 127.0.0.1, so the browser sends `Host: attacker.example`), and by
 * "simple" cross-site requests that need no CORS preflight. These guards
 * close both doors; docs in the package README, "Security model".
 */

/** Every route: a Host that is not a loopback name or address is refused (421), whatever the path. */
export function loopbackHostOnly(): MiddlewareHandler<StandInEnv> {
  return async (c, next) => {
    const host = c.env?.incoming?.headers.host ?? c.req.header("host");
    const hostname = hostnameOfHostHeader(host);
    if (!hostname || !isLoopbackHost(hostname)) throw misdirected(host);
    await next();
  };
}

/**
 * The same 421 for a Host header too malformed to build a request URL of:
 * Hono's Node adapter would answer it with a bare 400 before any route runs.
 */
export function refuseMalformedHost(req: IncomingMessage, res: ServerResponse): boolean {
  if (hostnameOfHostHeader(req.headers.host) !== null) return false;
  const error = misdirected(req.headers.host);
  res.writeHead(error.status, { "Content-Type": "application/json" }).end(JSON.stringify(error.toClerkBody()));
  return true;
}

function misdirected(host: string | undefined): StandInError {
  return new StandInError(
    421,
    "host_invalid",
    "Misdirected request",
    `The stand-in only answers requests addressed to a loopback host (localhost, *.localhost, 127.0.0.1, [::1]); this one was addressed to ${JSON.stringify(host ?? "")}.`,
    { param_name: "Host" },
  );
}

export interface ControlGuardOptions {
  /** The per-run token: `Authorization: Bearer <token>`. */
  token: string;
  /** The stand-in's port: an `Origin` is its own when it is a loopback name on this port. */
  port: number;
}

/**
 * Routes that change the stand-in's state or mint sessions (the control API,
 * `/fapi/_testing/sign-in`): only a caller that holds the per-run token, from
 * no foreign web page, with a JSON body. A browser cannot send the header
 * cross-site without a preflight, which the stand-in never grants here.
 */
export function controlGuard(options: ControlGuardOptions): MiddlewareHandler<StandInEnv> {
  const expected = digest(options.token);
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && !isOwnOrigin(origin, options.port)) {
      throw new StandInError(
        403,
        "origin_invalid",
        "Forbidden origin",
        `Requests from ${JSON.stringify(origin)} may not use the stand-in's control routes; only tools (no Origin) or the stand-in's own origin may.`,
        { param_name: "Origin" },
      );
    }
    const authorization = c.req.header("authorization") ?? "";
    const token = authorization.startsWith("Bearer ") ? authorization.slice("Bearer ".length).trim() : "";
    if (!token || !timingSafeEqual(digest(token), expected)) {
      throw new StandInError(
        401,
        "authentication_invalid",
        "Invalid authentication",
        token
          ? "The control token is not this stand-in's. Each run generates its own; the launcher prints it and writes it for the CLI."
          : "The stand-in's control routes need its per-run token: Authorization: Bearer <token> (ClerkStandIn.controlToken, CLERK_STAND_IN_CONTROL_TOKEN).",
      );
    }
    if (hasBody(c.req.raw) && !isJson(c.req.header("content-type"))) {
      throw new StandInError(
        415,
        "unsupported_media_type",
        "Unsupported media type",
        "The stand-in's control routes take JSON bodies only (Content-Type: application/json).",
        { param_name: "Content-Type" },
      );
    }
    await next();
  };
}

/** Methods that change nothing on the Frontend API, whatever their query string says. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Frontend API writes (any method but GET, HEAD and OPTIONS, once `_method`
 * is undone): only from the app's own pages. Cookies prove nothing here: a
 * same-site page (another port on localhost) gets the `SameSite=Lax` cookies
 * sent with its POSTs, and a cross-site form needs none to sign a browser in
 * as its author. What the browser adds does: `Origin` on every POST and
 * `Sec-Fetch-Site` on every request. A write with neither comes from a tool
 * (curl, a test's Node client), not from a page, and is let through.
 */
export function frontendWritesFromTheAppOnly(allowsOrigin: (origin: string) => boolean): MiddlewareHandler<StandInEnv> {
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method)) {
      const refusal = refuseWrite(c.req.header("origin"), c.req.header("sec-fetch-site"), allowsOrigin);
      if (refusal) throw refusal;
    }
    await next();
  };
}

function refuseWrite(
  origin: string | undefined,
  fetchSite: string | undefined,
  allowsOrigin: (origin: string) => boolean,
): StandInError | null {
  const addOrigin =
    "An app on another origin is added with --app-origin, frontend.allowedOrigins or ClerkStandIn.allowOrigin().";
  if (fetchSite?.toLowerCase() === "cross-site") {
    return new StandInError(
      403,
      "origin_invalid",
      "Forbidden origin",
      "The Frontend API takes writes from the app's own pages only; this one came from another site (Sec-Fetch-Site: cross-site).",
      { param_name: "Sec-Fetch-Site" },
    );
  }
  if (origin === undefined && fetchSite === undefined) return null;
  if (origin !== undefined && allowsOrigin(origin)) return null;
  return new StandInError(
    403,
    "origin_invalid",
    "Forbidden origin",
    origin === undefined
      ? `The Frontend API takes writes from the app's own pages only, and a browser's write names its Origin; this one named none. ${addOrigin}`
      : `The Frontend API takes writes from the app's own pages only; this one came from ${JSON.stringify(origin)}. ${addOrigin}`,
    { param_name: "Origin" },
  );
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function isOwnOrigin(origin: string, port: number): boolean {
  try {
    const url = new URL(origin);
    return url.protocol === "http:" && isLoopbackHost(url.hostname) && url.port === String(port);
  } catch {
    return false;
  }
}

function hasBody(request: Request): boolean {
  const length = request.headers.get("content-length");
  return (
    (length !== null && length !== "0") ||
    request.headers.has("transfer-encoding") ||
    request.headers.has("content-type")
  );
}

function isJson(contentType: string | undefined): boolean {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  return mediaType === "application/json" || (mediaType?.endsWith("+json") ?? false);
}
