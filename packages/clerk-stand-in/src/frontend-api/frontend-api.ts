import type { IncomingMessage, ServerResponse } from "node:http";
import { serveClerkJs } from "./clerk-js.js";
import { clerkErrorBody, StandInError } from "../errors.js";
import { AuthFlows, type RequestOrigin } from "./auth-flows.js";
import {
  clientJson,
  environmentJson,
  fapiUserJson,
  sessionJson,
  tokenJson,
  type EmailVerificationMode,
} from "./resources.js";
import { readBody, sendError, sendJson } from "../http-util.js";
import type { InstanceKeys } from "../keys.js";
import { silentLogger, type Logger } from "../logger.js";
import { SessionManager, type ClientRecord, type SessionRecord } from "./sessions.js";
import type { ClerkUserJSON, UserStore } from "../store/store.js";

/**
 * The stand-in's Frontend API: what Clerk's browser SDK (clerk-js 5) talks
 * to, mounted at `<stand-in>/fapi` (the app's `CLERK_PROXY_URL`), plus the
 * clerk-js bundle at `<stand-in>/clerk-js/` (the app's `CLERK_JS`).
 *
 * Meant for a *production*-kind key (`pk_live_`): clerk-js then needs no
 * development browser, and @clerk/backend no `__clerk_db_jwt`. As Clerk's
 * production Frontend API does, this module sets `__client_uat` itself;
 * cookies ignore ports, so `localhost:4010` sets it for `localhost:3000`.
 * That only works when the browser reaches the app and the stand-in under the
 * same host name (use `localhost` for both).
 */

export const FAPI_MOUNT = "/fapi";
export const CLERK_JS_MOUNT = "/clerk-js";

/** Settings of the Frontend API part, all optional: `startClerkStandIn({ …, frontend: { … } })`. */
export interface FrontendOptions {
  /** `off` (default): sign-up completes without a code. `email_code`: the code is 424242. */
  emailVerification?: EmailVerificationMode;
  applicationName?: string;
  /** Paths the components link to; the app's `/sign-in`, `/sign-up` and `/profile` by default. */
  signInUrl?: string;
  signUpUrl?: string;
  afterSignInUrl?: string;
  afterSignUpUrl?: string;
  homeUrl?: string;
  /**
   * Host name the browser uses for the app and the stand-in (default
   * `localhost`); the URLs in frontendEnv() use it.
   */
  browserHostname?: string;
}

export interface FrontendContext {
  store: UserStore;
  keys: InstanceKeys;
  /** The server's options: `logger`, and `frontend` (FrontendOptions). */
  options: { logger?: Logger; frontend?: FrontendOptions };
  /** The stand-in's base URL as browsers reach it, e.g. `http://localhost:4010`. */
  url: string;
}

export interface FrontendState {
  sessions: SessionManager;
  flows: AuthFlows;
  options: FrontendOptions;
  logger: Logger;
  /** Development keys (`pk_test_`) make @clerk/backend insist on a `__clerk_db_jwt` cookie. */
  developmentKey: boolean;
  /** The host decoded from the publishable key; session tokens' `iss` is `https://<host>`. */
  frontendHost: string;
}

const COOKIE_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;
/**
 * With a development key @clerk/backend only checks that this cookie exists
 * (Clerk's "dev browser"); the stand-in has one dev browser for everyone.
 */
const DEV_BROWSER_COOKIE = "__clerk_db_jwt";
const DEV_BROWSER_TOKEN = "dvb_stand_in";

const states = new WeakMap<UserStore, FrontendState>();

/** Decodes `pk_(test|live)_base64("<host>$")`. */
export function frontendHostFromPublishableKey(publishableKey: string): string {
  const encoded = publishableKey.replace(/^pk_(test|live)_/, "");
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  if (!decoded.endsWith("$")) throw new Error(`Not a Clerk publishable key: ${publishableKey}`);
  return decoded.slice(0, -1);
}

/** The Frontend API's state for one stand-in (one store); created on first use. */
export function frontendStateFor(ctx: FrontendContext): FrontendState {
  let state = states.get(ctx.store);
  if (!state) {
    const options = ctx.options.frontend ?? {};
    const logger = ctx.options.logger ?? silentLogger;
    const frontendHost = frontendHostFromPublishableKey(ctx.keys.publishableKey);
    const sessions = new SessionManager({ keys: ctx.keys, users: ctx.store, issuer: `https://${frontendHost}` });
    const flows = new AuthFlows({
      store: ctx.store,
      sessions,
      emailVerification: options.emailVerification ?? "off",
      logger,
    });
    const developmentKey = ctx.keys.publishableKey.startsWith("pk_test_");
    state = { sessions, flows, options, logger, developmentKey, frontendHost };
    states.set(ctx.store, state);
  }
  return state;
}

/** What the app needs to load clerk-js from, and send Frontend API calls to, this stand-in. */
export function frontendEnv(ctx: FrontendContext): Record<string, string> {
  const base = browserBaseUrl(ctx);
  return {
    CLERK_JS: `${base}${CLERK_JS_MOUNT}/clerk.browser.js`,
    CLERK_PROXY_URL: `${base}${FAPI_MOUNT}`,
  };
}

/**
 * The stand-in's base URL as the browser reaches it: the listening address
 * with the host name browsers use for the app (`localhost` unless
 * `frontend.browserHostname` says otherwise). `__client_uat`, set here, only
 * reaches the app if the browser uses the same host name for both.
 */
export function browserBaseUrl(ctx: FrontendContext): string {
  const base = new URL(ctx.url);
  base.hostname = ctx.options.frontend?.browserHostname ?? "localhost";
  return base.origin;
}

/**
 * Entry point the core server delegates `/fapi/*` and `/clerk-js/*` to.
 * Returns false for paths it does not own, so the server answers 404.
 */
export async function handleFrontendRequest(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: FrontendContext,
): Promise<boolean> {
  const url = new URL(req.url ?? "/", "http://stand-in.invalid");
  if (url.pathname.startsWith(`${CLERK_JS_MOUNT}/`)) {
    return serveClerkJs(req, res, url.pathname.slice(CLERK_JS_MOUNT.length + 1));
  }
  if (url.pathname !== FAPI_MOUNT && !url.pathname.startsWith(`${FAPI_MOUNT}/`)) return false;

  const cors = corsHeaders(req);
  if (req.method === "OPTIONS") {
    res.writeHead(204, {
      ...cors,
      "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
      "Access-Control-Allow-Headers": req.headers["access-control-request-headers"] ?? "content-type",
      "Access-Control-Max-Age": "600",
    });
    res.end();
    return true;
  }

  const state = frontendStateFor(ctx);
  const { logger } = state;
  // clerk-js tunnels PATCH and DELETE through POST with `?_method=`.
  const method = (url.searchParams.get("_method") ?? req.method ?? "GET").toUpperCase();
  const path = url.pathname.slice(FAPI_MOUNT.length) || "/";
  try {
    const params = await readParams(req, url);
    const handled = await route({ req, res, url, method, path, params, state, ctx, cors });
    if (!handled) {
      logger.warn(`Frontend API: no handler for ${method} ${path}`);
      const body = clerkErrorBody("resource_not_found", "not found", `The stand-in does not implement ${method} ${path}.`);
      sendJson(res, 404, body, cors);
    }
  } catch (error) {
    if (!(error instanceof StandInError)) logger.warn(`Frontend API ${method} ${path}: ${String(error)}`);
    if (!res.headersSent) sendError(res, error, cors);
  }
  return true;
}

interface FapiRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
  path: string;
  params: Record<string, string>;
  state: FrontendState;
  ctx: FrontendContext;
  cors: Record<string, string>;
}

async function route(r: FapiRequest): Promise<boolean> {
  const { method, path, state } = r;
  const { flows, sessions } = state;
  let m: RegExpMatchArray | null;

  if (path === "/v1/environment" && (method === "GET" || method === "PATCH")) {
    sendJson(r.res, 200, environmentJson(environmentSettings(state.options)), r.cors);
    return true;
  }
  if (path === "/v1/dev_browser" && method === "POST") {
    // Only development keys ask for it; answered anyway so a pk_test_ key still loads.
    sendJson(r.res, 200, { object: "dev_browser", id: DEV_BROWSER_TOKEN, token: DEV_BROWSER_TOKEN }, r.cors);
    return true;
  }
  if (path === "/v1/client/handshake" && method === "GET") {
    await handshake(r);
    return true;
  }
  if (path === "/_testing/sign-in" && method === "POST") {
    await testingSignIn(r);
    return true;
  }

  const client = sessions.ensureClient(readCookie(r.req, "__client"));

  if (path === "/v1/client") {
    if (method === "GET" || method === "POST" || method === "PUT") return envelope(r, client, null, { clientAsResponse: true });
    if (method === "DELETE") {
      sessions.endAllSessions(client);
      return envelope(r, client, null, { clientAsResponse: true });
    }
  }

  // --- sign-in ---
  if (path === "/v1/client/sign_ins" && method === "POST") {
    return envelope(r, client, flows.createSignIn(client, r.params, requestOrigin(r)));
  }
  if ((m = path.match(/^\/v1\/client\/sign_ins\/([^/]+)$/)) && method === "GET") {
    return envelope(r, client, flows.getSignIn(client, m[1]));
  }
  if ((m = path.match(/^\/v1\/client\/sign_ins\/([^/]+)\/prepare_first_factor$/)) && method === "POST") {
    // A password needs no preparation; other strategies are rejected by the attempt.
    return envelope(r, client, flows.getSignIn(client, m[1]));
  }
  if ((m = path.match(/^\/v1\/client\/sign_ins\/([^/]+)\/attempt_first_factor$/)) && method === "POST") {
    return envelope(r, client, flows.attemptFirstFactor(client, m[1], r.params, requestOrigin(r)));
  }

  // --- sign-up ---
  if (path === "/v1/client/sign_ups" && method === "POST") {
    return envelope(r, client, flows.createSignUp(client, r.params, requestOrigin(r)));
  }
  if ((m = path.match(/^\/v1\/client\/sign_ups\/([^/]+)$/))) {
    if (method === "GET") return envelope(r, client, flows.getSignUp(client, m[1]));
    if (method === "PATCH") return envelope(r, client, flows.updateSignUp(client, m[1], r.params, requestOrigin(r)));
  }
  if ((m = path.match(/^\/v1\/client\/sign_ups\/([^/]+)\/prepare_verification$/)) && method === "POST") {
    return envelope(r, client, flows.prepareVerification(client, m[1], r.params));
  }
  if ((m = path.match(/^\/v1\/client\/sign_ups\/([^/]+)\/attempt_verification$/)) && method === "POST") {
    return envelope(r, client, flows.attemptVerification(client, m[1], r.params, requestOrigin(r)));
  }

  // --- sessions ---
  if (path === "/v1/client/sessions" && method === "DELETE") {
    sessions.endAllSessions(client);
    return envelope(r, client, null, { clientAsResponse: true });
  }
  if ((m = path.match(/^\/v1\/client\/sessions\/([^/]+)$/)) && method === "GET") {
    const session = requireClientSession(sessions, client, m[1]);
    return envelope(r, client, await sessionResponse(r, session));
  }
  if ((m = path.match(/^\/v1\/client\/sessions\/([^/]+)\/touch$/)) && method === "POST") {
    const session = sessions.touchSession(client, m[1], requestOrigin(r).authorizedParty);
    return envelope(r, client, await sessionResponse(r, session));
  }
  if ((m = path.match(/^\/v1\/client\/sessions\/([^/]+)\/tokens(?:\/[^/]+)?$/)) && method === "POST") {
    // JWT templates are not modelled: a template request gets the session token.
    const session = sessions.touchSession(client, m[1], requestOrigin(r).authorizedParty);
    const jwt = await sessions.mintSessionToken(session, { authorizedParty: requestOrigin(r).authorizedParty });
    setAuthCookies(r, client);
    sendJson(r.res, 200, tokenJson(jwt), r.cors);
    return true;
  }
  if ((m = path.match(/^\/v1\/client\/sessions\/([^/]+)\/(end|remove)$/)) && method === "POST") {
    const session = sessions.endSession(client, m[1], m[2] === "remove" ? "removed" : "ended");
    return envelope(r, client, await sessionResponse(r, session));
  }

  // --- the signed-in user (UserButton / UserProfile) ---
  if (path === "/v1/me") {
    const session = activeSessionFor(r, client);
    if (method === "GET") return envelope(r, client, fapiUserJson(requireUser(r.ctx.store, session.userId)));
    if (method === "PATCH") {
      // Goes through the store like any edit, so the app hears `user.updated`.
      const patch: { first_name?: string | null; last_name?: string | null } = {};
      if (r.params.first_name !== undefined) patch.first_name = r.params.first_name.trim() || null;
      if (r.params.last_name !== undefined) patch.last_name = r.params.last_name.trim() || null;
      const user = r.ctx.store.update(session.userId, patch, requestOrigin(r).change);
      return envelope(r, client, fapiUserJson(user));
    }
  }
  if (path === "/v1/me/sessions/active" && method === "GET") {
    const session = activeSessionFor(r, client);
    const user = requireUser(r.ctx.store, session.userId);
    const list = sessions.activeSessions(client).map((s) => ({
      ...sessionJson(s, user, null),
      user: null,
      latest_activity: { object: "session_activity", id: `sess_activity_${s.id}`, is_mobile: false },
    }));
    sendJson(r.res, 200, list, r.cors);
    return true;
  }
  return false;
}

// --- responses ----------------------------------------------------------------

/** `{ response, client }`: clerk-js updates its whole state from `client` after every call. */
async function envelope(
  r: FapiRequest,
  client: ClientRecord,
  response: unknown,
  opts: { clientAsResponse?: boolean } = {},
): Promise<true> {
  const clientBody = await buildClientJson(r, client);
  setAuthCookies(r, client);
  const body = opts.clientAsResponse ? { response: clientBody, client: null } : { response, client: clientBody };
  sendJson(r.res, 200, body, r.cors);
  return true;
}

async function buildClientJson(r: FapiRequest, client: ClientRecord): Promise<Record<string, unknown>> {
  const { sessions, flows } = r.state;
  const azp = requestOrigin(r).authorizedParty;
  const sessionBodies = await Promise.all(
    sessions.activeSessions(client).map(async (session) => {
      const user = requireUser(r.ctx.store, session.userId);
      const jwt = await sessions.mintSessionToken(session, { authorizedParty: azp });
      return sessionJson(session, user, jwt);
    }),
  );
  return clientJson(client, { sessions: sessionBodies, signIn: flows.currentSignIn(client), signUp: flows.currentSignUp(client) });
}

async function sessionResponse(r: FapiRequest, session: SessionRecord): Promise<Record<string, unknown>> {
  const user = requireUser(r.ctx.store, session.userId);
  const jwt =
    session.status === "active"
      ? await r.state.sessions.mintSessionToken(session, { authorizedParty: requestOrigin(r).authorizedParty })
      : null;
  return sessionJson(session, user, jwt);
}

/**
 * `__client` identifies the browser to the stand-in only (HttpOnly, scoped to
 * the mount path). `__client_uat` is what @clerk/backend compares with the
 * session token's `iat`; in production Clerk's Frontend API sets it, not clerk-js.
 */
function setAuthCookies(r: FapiRequest, client: ClientRecord): void {
  const cookies = [
    serializeCookie("__client", client.id, { path: FAPI_MOUNT, httpOnly: true, maxAge: COOKIE_MAX_AGE_SECONDS }),
    serializeCookie("__client_uat", String(client.uatSeconds), { path: "/", maxAge: COOKIE_MAX_AGE_SECONDS }),
  ];
  // A signed-out client must not be signed back in by a handshake payload still waiting in a cookie.
  if (client.uatSeconds === 0) cookies.push(serializeCookie("__clerk_handshake", "", { path: "/", maxAge: 0 }));
  if (r.state.developmentKey && !readCookie(r.req, DEV_BROWSER_COOKIE)) {
    cookies.push(serializeCookie(DEV_BROWSER_COOKIE, DEV_BROWSER_TOKEN, { path: "/", maxAge: COOKIE_MAX_AGE_SECONDS }));
  }
  appendSetCookie(r.res, cookies);
}

/**
 * `GET /v1/client/handshake?redirect_url=…`: @clerk/backend sends a document
 * request here when the cookies cannot tell whether the browser is signed in
 * (e.g. the 60 s token expired while the tab was closed). Answers as Clerk's
 * production Frontend API does: the payload — the cookies to set — in a
 * `__clerk_handshake` cookie, then a 307 back to the page. The fresh
 * `__session`/`__client_uat` are also set directly, so the app is signed in
 * even if a route drops the loader's Set-Cookie headers.
 */
async function handshake(r: FapiRequest): Promise<void> {
  const redirectUrl = r.url.searchParams.get("redirect_url") ?? "";
  let target: URL;
  try {
    target = new URL(redirectUrl);
  } catch {
    throw new StandInError(400, "url_invalid", "is invalid", "redirect_url must be an absolute URL.", { param_name: "redirect_url" });
  }
  if (!isLoopbackHost(target.hostname)) {
    throw new StandInError(400, "url_invalid", "is invalid", "The stand-in only redirects to loopback hosts.", {
      param_name: "redirect_url",
    });
  }
  const { sessions } = r.state;
  const client = sessions.ensureClient(readCookie(r.req, "__client"));
  const active = sessions.activeSessions(client).find((s) => s.id === client.lastActiveSessionId);
  const jwt = active ? await sessions.mintSessionToken(active, { authorizedParty: target.origin }) : null;
  const sessionCookie = jwt
    ? serializeCookie("__session", jwt, { path: "/" })
    : serializeCookie("__session", "", { path: "/", maxAge: 0 });
  const uatCookie = serializeCookie("__client_uat", String(active ? client.uatSeconds : 0), {
    path: "/",
    maxAge: COOKIE_MAX_AGE_SECONDS,
  });
  // The app applies these; the last one removes the handshake cookie once read.
  const directives = [sessionCookie, uatCookie, serializeCookie("__clerk_handshake", "", { path: "/", maxAge: 0 })];
  const handshakeJwt = r.ctx.keys.signJwt({ handshake: directives });
  appendSetCookie(r.res, [
    serializeCookie("__client", client.id, { path: FAPI_MOUNT, httpOnly: true, maxAge: COOKIE_MAX_AGE_SECONDS }),
    sessionCookie,
    uatCookie,
    serializeCookie("__clerk_handshake", handshakeJwt, { path: "/", maxAge: sessions.tokenLifetimeSeconds }),
  ]);
  r.res.writeHead(307, { Location: target.href, "Cache-Control": "no-store" });
  r.res.end();
}

/**
 * `POST /fapi/_testing/sign-in { user_id | identifier, password?, origin?, domain? }`
 * signs a browser in without the UI, for fast e2e set-up. Answers the cookies
 * a signed-in browser holds, shaped for Playwright's `context.addCookies`
 * (domain: the browser host name, `localhost` unless given; `origin` becomes
 * the token's `azp`).
 * Stand-in only: Clerk's own answer to this is testing tokens.
 */
async function testingSignIn(r: FapiRequest): Promise<void> {
  const { store } = r.ctx;
  const { sessions } = r.state;
  const { user_id: userId, identifier, password } = r.params;
  const user = userId ? store.get(userId) : identifier ? store.findByIdentifier(identifier) : undefined;
  if (!user) {
    throw new StandInError(422, "form_identifier_not_found", "Couldn't find your account.", "Couldn't find your account.", {
      param_name: userId ? "user_id" : "identifier",
    });
  }
  if (password !== undefined && !store.verifyPassword(user.id, password)) {
    const message = "Password is incorrect. Try again, or use another method.";
    throw new StandInError(422, "form_password_incorrect", message, message, { param_name: "password" });
  }
  const client = sessions.ensureClient(readCookie(r.req, "__client"));
  const session = sessions.createSession(client, user.id, r.params.origin ?? null);
  const jwt = await sessions.mintSessionToken(session);
  const domain = r.params.domain ?? r.ctx.options.frontend?.browserHostname ?? "localhost";
  const cookie = (name: string, value: string, path: string, httpOnly: boolean) => ({
    name,
    value,
    domain,
    path,
    httpOnly,
    secure: false,
    sameSite: "Lax" as const,
  });
  const cookies = [
    cookie("__client", client.id, FAPI_MOUNT, true),
    cookie("__client_uat", String(client.uatSeconds), "/", false),
    cookie("__session", jwt, "/", false),
    ...(r.state.developmentKey ? [cookie(DEV_BROWSER_COOKIE, DEV_BROWSER_TOKEN, "/", false)] : []),
  ];
  appendSetCookie(r.res, [
    serializeCookie("__client", client.id, { path: FAPI_MOUNT, httpOnly: true, maxAge: COOKIE_MAX_AGE_SECONDS }),
    serializeCookie("__client_uat", String(client.uatSeconds), { path: "/", maxAge: COOKIE_MAX_AGE_SECONDS }),
    serializeCookie("__session", jwt, { path: "/" }),
  ]);
  sendJson(r.res, 200, { session_id: session.id, user_id: user.id, client_id: client.id, cookies }, r.cors);
}

// --- helpers ------------------------------------------------------------------

function environmentSettings(options: FrontendOptions) {
  return {
    applicationName: options.applicationName ?? "clerk-sync (offline Clerk stand-in)",
    emailVerification: options.emailVerification ?? "off",
    signInUrl: options.signInUrl ?? "/sign-in",
    signUpUrl: options.signUpUrl ?? "/sign-up",
    afterSignInUrl: options.afterSignInUrl ?? "/profile",
    afterSignUpUrl: options.afterSignUpUrl ?? "/profile",
    homeUrl: options.homeUrl ?? "/",
  };
}

function requestOrigin(r: FapiRequest): RequestOrigin {
  const origin = headerValue(r.req.headers.origin);
  const forwardedFor = headerValue(r.req.headers["x-forwarded-for"]);
  return {
    authorizedParty: origin && origin !== "null" ? origin : null,
    change: {
      source: "fapi",
      userAgent: headerValue(r.req.headers["user-agent"]) ?? undefined,
      clientIp: forwardedFor?.split(",")[0]?.trim() || r.req.socket.remoteAddress || undefined,
    },
  };
}

function activeSessionFor(r: FapiRequest, client: ClientRecord): SessionRecord {
  const wanted = r.url.searchParams.get("_clerk_session_id") ?? client.lastActiveSessionId;
  const session = r.state.sessions.activeSessions(client).find((s) => s.id === wanted);
  if (!session) throw new StandInError(401, "authentication_invalid", "Unauthorized request", "You are signed out.");
  return session;
}

function requireClientSession(sessions: SessionManager, client: ClientRecord, id: string): SessionRecord {
  const session = sessions.getSession(id);
  if (!session || session.clientId !== client.id) {
    throw new StandInError(404, "resource_not_found", "not found", `No session ${id} on this client.`);
  }
  return session;
}

function requireUser(store: UserStore, id: string): ClerkUserJSON {
  const user = store.get(id);
  if (!user) throw new StandInError(404, "resource_not_found", "not found", `No user ${id}.`);
  return user;
}

/** Form-encoded (what clerk-js sends) or JSON bodies, plus the query string minus clerk-js' bookkeeping. */
async function readParams(req: IncomingMessage, url: URL): Promise<Record<string, string>> {
  const params: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (!key.startsWith("_clerk") && !key.startsWith("__clerk") && key !== "_method") params[key] = value;
  }
  if (req.method === "GET" || req.method === "HEAD") return params;
  const text = await readBody(req);
  if (!text.trim()) return params;
  const type = headerValue(req.headers["content-type"]) ?? "";
  if (type.includes("application/json")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new StandInError(400, "malformed_request", "Request body is not valid JSON", "The request body could not be parsed as JSON.");
    }
    if (parsed && typeof parsed === "object") {
      for (const [key, value] of Object.entries(parsed)) {
        if (value === null || value === undefined) continue;
        params[key] = typeof value === "string" ? value : JSON.stringify(value);
      }
    }
    return params;
  }
  for (const [key, value] of new URLSearchParams(text)) params[key] = value;
  return params;
}

/** Credentialed CORS for loopback origins only: the app runs on another port of the same machine. */
function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = headerValue(req.headers.origin);
  if (!origin) return {};
  try {
    if (!isLoopbackHost(new URL(origin).hostname)) return {};
  } catch {
    return {};
  }
  return { "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", Vary: "Origin" };
}

function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === "localhost" ||
    hostname.endsWith(".localhost") ||
    /^127(?:\.\d{1,3}){3}$/.test(hostname) ||
    hostname === "[::1]"
  );
}

function headerValue(value: string | string[] | undefined): string | null {
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

export function readCookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(";")) {
    const index = part.indexOf("=");
    if (index < 0 || part.slice(0, index).trim() !== name) continue;
    const raw = part.slice(index + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return null;
}

function serializeCookie(name: string, value: string, opts: { path: string; httpOnly?: boolean; maxAge?: number }): string {
  const parts = [`${name}=${value}`, `Path=${opts.path}`, "SameSite=Lax"];
  if (opts.maxAge !== undefined) parts.push(`Max-Age=${opts.maxAge}`);
  if (opts.httpOnly) parts.push("HttpOnly");
  return parts.join("; ");
}

function appendSetCookie(res: ServerResponse, cookies: string[]): void {
  const existing = res.getHeader("Set-Cookie");
  const list = Array.isArray(existing) ? existing : existing ? [String(existing)] : [];
  res.setHeader("Set-Cookie", [...list, ...cookies]);
}
