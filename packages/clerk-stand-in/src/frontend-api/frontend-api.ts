import { malformedJson, StandInError } from "../errors.js";
import { AuthFlows, type RequestOrigin } from "./auth-flows.js";
import {
  clientJson,
  environmentJson,
  fapiUserJson,
  sessionJson,
  tokenJson,
  type EmailVerificationMode,
  type SessionOrganizations,
} from "./resources.js";
import { fapiMembershipsOf } from "./organization-resources.js";
import { readBody, remoteAddress, sendJson, type StandInContext } from "../http-util.js";
import { appendSetCookie, readCookie, serializeCookie } from "./cookies.js";
import type { InstanceKeys } from "../keys.js";
import { silentLogger, type Logger } from "../logger.js";
import { isLoopbackHost } from "../loopback.js";
import { SessionManager, type ClientRecord, type SessionRecord } from "./sessions.js";
import type { OrganizationStore } from "../store/organizations.js";
import type { ClerkUserJSON, UserStore } from "../store/store.js";

/**
 * The stand-in's Frontend API: what Clerk's browser SDK (clerk-js 5) talks
 * to, mounted at `<stand-in>/fapi` (the app's `CLERK_PROXY_URL`), plus the
 * clerk-js bundle at `<stand-in>/clerk-js/` (the app's `CLERK_JS`).
 * This module holds its settings, state and handlers; routes.ts maps paths to them.
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
  /**
   * The app's origins (`http://localhost:3000`): the only ones the Frontend
   * API answers CORS for. None by default; `ClerkStandIn.allowOrigin` adds one.
   */
  allowedOrigins?: string[];
}

export interface FrontendContext {
  store: UserStore;
  organizations: OrganizationStore;
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
    const sessions = new SessionManager({
      keys: ctx.keys,
      users: ctx.store,
      issuer: `https://${frontendHost}`,
      organizationOf: (userId, organizationId) => {
        const membership = ctx.organizations.getMembership(organizationId, userId);
        return (
          membership && { id: membership.organization.id, slug: membership.organization.slug, role: membership.role }
        );
      },
    });
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

/** One Frontend API call: the Hono context plus what every handler reads. */
export interface FapiRequest {
  c: StandInContext;
  url: URL;
  params: Record<string, string>;
  state: FrontendState;
  ctx: FrontendContext;
}

export type FapiHandler = (r: FapiRequest) => Response | Promise<Response>;

/** Wraps a handler: reads the form/JSON parameters once, before it runs. */
export function fapiHandler(ctx: FrontendContext, handler: FapiHandler) {
  return async (c: StandInContext): Promise<Response> => {
    const url = new URL(c.req.url);
    const params = await readParams(c);
    return handler({ c, url, params, state: frontendStateFor(ctx), ctx });
  };
}

export function clientOf(r: FapiRequest): ClientRecord {
  return r.state.sessions.ensureClient(readCookie(r.c.req.header("cookie"), "__client"));
}

// --- handlers -----------------------------------------------------------------

export const environment: FapiHandler = (r) =>
  sendJson(r.c, 200, environmentJson(environmentSettings(r.state.options)));

// Only development keys ask for it; answered anyway so a pk_test_ key still loads.
export const devBrowser: FapiHandler = (r) =>
  sendJson(r.c, 200, { object: "dev_browser", id: DEV_BROWSER_TOKEN, token: DEV_BROWSER_TOKEN });

export const getClient: FapiHandler = (r) => envelope(r, clientOf(r), null, { clientAsResponse: true });

export const endAllSessions: FapiHandler = (r) => {
  const client = clientOf(r);
  r.state.sessions.endAllSessions(client);
  return envelope(r, client, null, { clientAsResponse: true });
};

export const createSignIn: FapiHandler = (r) => {
  const client = clientOf(r);
  return envelope(r, client, r.state.flows.createSignIn(client, r.params, requestOrigin(r)));
};

// A password needs no preparation; other strategies are rejected by the attempt, so prepare answers the sign-in as is.
export const getSignIn: FapiHandler = (r) => {
  const client = clientOf(r);
  return envelope(r, client, r.state.flows.getSignIn(client, r.c.req.param("id")!));
};

export const attemptFirstFactor: FapiHandler = (r) => {
  const client = clientOf(r);
  return envelope(
    r,
    client,
    r.state.flows.attemptFirstFactor(client, r.c.req.param("id")!, r.params, requestOrigin(r)),
  );
};

export const createSignUp: FapiHandler = (r) => {
  const client = clientOf(r);
  return envelope(r, client, r.state.flows.createSignUp(client, r.params, requestOrigin(r)));
};

export const getSignUp: FapiHandler = (r) => {
  const client = clientOf(r);
  return envelope(r, client, r.state.flows.getSignUp(client, r.c.req.param("id")!));
};

export const updateSignUp: FapiHandler = (r) => {
  const client = clientOf(r);
  return envelope(r, client, r.state.flows.updateSignUp(client, r.c.req.param("id")!, r.params, requestOrigin(r)));
};

export const prepareVerification: FapiHandler = (r) => {
  const client = clientOf(r);
  return envelope(r, client, r.state.flows.prepareVerification(client, r.c.req.param("id")!, r.params));
};

export const attemptVerification: FapiHandler = (r) => {
  const client = clientOf(r);
  return envelope(
    r,
    client,
    r.state.flows.attemptVerification(client, r.c.req.param("id")!, r.params, requestOrigin(r)),
  );
};

export const getSession: FapiHandler = async (r) => {
  const client = clientOf(r);
  const session = requireClientSession(r.state.sessions, client, r.c.req.param("id")!);
  return envelope(r, client, await sessionResponse(r, session));
};

// clerk-js sends the organization it shows as active (`setActive({ organization })`) with every touch; none is personal.
export const touchSession: FapiHandler = async (r) => {
  const client = clientOf(r);
  const session = r.state.sessions.touchSession(client, r.c.req.param("id")!, requestOrigin(r).authorizedParty);
  r.state.sessions.setActiveOrganization(session, organizationParam(r.params.active_organization_id) ?? null);
  return envelope(r, client, await sessionResponse(r, session));
};

// JWT templates are not modelled: a template request gets the session token.
export const sessionToken: FapiHandler = async (r) => {
  const { sessions } = r.state;
  const client = clientOf(r);
  const session = sessions.touchSession(client, r.c.req.param("id")!, requestOrigin(r).authorizedParty);
  const jwt = await sessions.mintSessionToken(session, {
    authorizedParty: requestOrigin(r).authorizedParty,
    organizationId: organizationParam(r.params.organization_id),
  });
  setAuthCookies(r, client);
  return sendJson(r.c, 200, tokenJson(jwt));
};

export function endSession(how: "ended" | "removed"): FapiHandler {
  return async (r) => {
    const client = clientOf(r);
    const session = r.state.sessions.endSession(client, r.c.req.param("id")!, how);
    return envelope(r, client, await sessionResponse(r, session));
  };
}

// --- the signed-in user (UserButton / UserProfile) ---

export const getMe: FapiHandler = (r) => {
  const client = clientOf(r);
  const session = activeSessionFor(r, client);
  const user = requireUser(r.ctx.store, session.userId);
  return envelope(r, client, fapiUserJson(user, fapiMembershipsOf(r.ctx.organizations, user.id)));
};

// Goes through the store like any edit, so the app hears `user.updated`.
export const updateMe: FapiHandler = (r) => {
  const client = clientOf(r);
  const session = activeSessionFor(r, client);
  const patch: { first_name?: string | null; last_name?: string | null } = {};
  if (r.params.first_name !== undefined) patch.first_name = r.params.first_name.trim() || null;
  if (r.params.last_name !== undefined) patch.last_name = r.params.last_name.trim() || null;
  const user = r.ctx.store.update(session.userId, patch, requestOrigin(r).change);
  return envelope(r, client, fapiUserJson(user, fapiMembershipsOf(r.ctx.organizations, user.id)));
};

export const activeSessions: FapiHandler = (r) => {
  const { sessions } = r.state;
  const client = clientOf(r);
  const session = activeSessionFor(r, client);
  const user = requireUser(r.ctx.store, session.userId);
  const list = sessions.activeSessions(client).map((s) => ({
    ...sessionJson(s, user, null),
    user: null,
    latest_activity: { object: "session_activity", id: `sess_activity_${s.id}`, is_mobile: false },
  }));
  return sendJson(r.c, 200, list);
};

// --- responses ----------------------------------------------------------------

/** `{ response, client }`: clerk-js updates its whole state from `client` after every call. */
export async function envelope(
  r: FapiRequest,
  client: ClientRecord,
  response: unknown,
  opts: { clientAsResponse?: boolean } = {},
): Promise<Response> {
  const clientBody = await buildClientJson(r, client);
  setAuthCookies(r, client);
  const body = opts.clientAsResponse ? { response: clientBody, client: null } : { response, client: clientBody };
  return sendJson(r.c, 200, body);
}

async function buildClientJson(r: FapiRequest, client: ClientRecord): Promise<Record<string, unknown>> {
  const { sessions, flows } = r.state;
  const azp = requestOrigin(r).authorizedParty;
  const sessionBodies = await Promise.all(
    sessions.activeSessions(client).map(async (session) => {
      const user = requireUser(r.ctx.store, session.userId);
      const jwt = await sessions.mintSessionToken(session, { authorizedParty: azp });
      return sessionJson(session, user, jwt, sessionOrganizations(r, session));
    }),
  );
  return clientJson(client, {
    sessions: sessionBodies,
    signIn: flows.currentSignIn(client),
    signUp: flows.currentSignUp(client),
  });
}

async function sessionResponse(r: FapiRequest, session: SessionRecord): Promise<Record<string, unknown>> {
  const user = requireUser(r.ctx.store, session.userId);
  const jwt =
    session.status === "active"
      ? await r.state.sessions.mintSessionToken(session, { authorizedParty: requestOrigin(r).authorizedParty })
      : null;
  return sessionJson(session, user, jwt, sessionOrganizations(r, session));
}

/** The user's memberships, and the session's active organization while they still belong to it. */
function sessionOrganizations(r: FapiRequest, session: SessionRecord): SessionOrganizations {
  return {
    memberships: fapiMembershipsOf(r.ctx.organizations, session.userId),
    activeOrganizationId: r.state.sessions.activeOrganization(session)?.id ?? null,
  };
}

/** An organization id from clerk-js's form: empty (or "null") means none. */
function organizationParam(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  return value === "" || value === "null" ? null : value;
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
  if (r.state.developmentKey && !readCookie(r.c.req.header("cookie"), DEV_BROWSER_COOKIE)) {
    cookies.push(serializeCookie(DEV_BROWSER_COOKIE, DEV_BROWSER_TOKEN, { path: "/", maxAge: COOKIE_MAX_AGE_SECONDS }));
  }
  appendSetCookie(r.c, cookies);
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
export async function handshake(r: FapiRequest): Promise<Response> {
  const redirectUrl = r.url.searchParams.get("redirect_url") ?? "";
  let target: URL;
  try {
    target = new URL(redirectUrl);
  } catch {
    throw new StandInError(400, "url_invalid", "is invalid", "redirect_url must be an absolute URL.", {
      param_name: "redirect_url",
    });
  }
  if (!isLoopbackHost(target.hostname)) {
    throw new StandInError(400, "url_invalid", "is invalid", "The stand-in only redirects to loopback hosts.", {
      param_name: "redirect_url",
    });
  }
  const { sessions } = r.state;
  const client = clientOf(r);
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
  appendSetCookie(r.c, [
    serializeCookie("__client", client.id, { path: FAPI_MOUNT, httpOnly: true, maxAge: COOKIE_MAX_AGE_SECONDS }),
    sessionCookie,
    uatCookie,
    serializeCookie("__clerk_handshake", handshakeJwt, { path: "/", maxAge: sessions.tokenLifetimeSeconds }),
  ]);
  r.c.header("Cache-Control", "no-store");
  return r.c.redirect(target.href, 307);
}

/**
 * `POST /fapi/_testing/sign-in { user_id | identifier, password?, origin?, domain? }`
 * signs a browser in without the UI, for fast e2e set-up. Answers the cookies
 * a signed-in browser holds, shaped for Playwright's `context.addCookies`
 * (domain: the browser host name, `localhost` unless given; `origin` becomes
 * the token's `azp`).
 * Stand-in only: Clerk's own answer to this is testing tokens.
 */
export async function testingSignIn(r: FapiRequest): Promise<Response> {
  const { store } = r.ctx;
  const { sessions } = r.state;
  const { user_id: userId, identifier, password } = r.params;
  const user = userId ? store.get(userId) : identifier ? store.findByIdentifier(identifier) : undefined;
  if (!user) {
    throw new StandInError(
      422,
      "form_identifier_not_found",
      "Couldn't find your account.",
      "Couldn't find your account.",
      {
        param_name: userId ? "user_id" : "identifier",
      },
    );
  }
  if (password !== undefined && !store.verifyPassword(user.id, password)) {
    const message = "Password is incorrect. Try again, or use another method.";
    throw new StandInError(422, "form_password_incorrect", message, message, { param_name: "password" });
  }
  const client = clientOf(r);
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
  appendSetCookie(r.c, [
    serializeCookie("__client", client.id, { path: FAPI_MOUNT, httpOnly: true, maxAge: COOKIE_MAX_AGE_SECONDS }),
    serializeCookie("__client_uat", String(client.uatSeconds), { path: "/", maxAge: COOKIE_MAX_AGE_SECONDS }),
    serializeCookie("__session", jwt, { path: "/" }),
  ]);
  return sendJson(r.c, 200, { session_id: session.id, user_id: user.id, client_id: client.id, cookies });
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

export function requestOrigin(r: FapiRequest): RequestOrigin {
  const origin = r.c.req.header("origin");
  const forwardedFor = r.c.req.header("x-forwarded-for");
  return {
    authorizedParty: origin && origin !== "null" ? origin : null,
    change: {
      source: "fapi",
      userAgent: r.c.req.header("user-agent") ?? undefined,
      clientIp: forwardedFor?.split(",")[0]?.trim() || remoteAddress(r.c) || undefined,
    },
  };
}

export function activeSessionFor(r: FapiRequest, client: ClientRecord): SessionRecord {
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

/**
 * A write's fields: its form-encoded (what clerk-js sends) or JSON body. Never
 * the query string: a link or an `<img>` on any page can put anything there,
 * and clerk-js only puts its own bookkeeping (`__clerk_api_version`,
 * `_clerk_js_version`, `_clerk_session_id`, `_method`) there.
 */
async function readParams(c: StandInContext): Promise<Record<string, string>> {
  const params: Record<string, string> = {};
  if (c.req.method === "GET" || c.req.method === "HEAD") return params;
  const text = await readBody(c);
  if (!text.trim()) return params;
  const type = c.req.header("content-type") ?? "";
  if (type.includes("application/json")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw malformedJson();
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
