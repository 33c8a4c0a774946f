import { createClerkClient } from "@clerk/backend";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn, type StandInOptions } from "../src/server.js";
import type { FrontendOptions } from "../src/frontend-api/frontend-api.js";
import type { UserChange } from "../src/store/store.js";

/**
 * The Frontend API over HTTP, as clerk-js calls it, and the cookies it
 * leaves behind as @clerk/backend (the app's server SDK) reads them.
 */

const APP = "http://localhost:3000";
const DEMO = { email: "demo@clerk-sync.local", password: "clerk-sync-demo" };

/** A browser's cookies for `localhost`, ports ignored, as Chromium keeps them. */
class CookieJar {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(";").map((part) => part.trim());
      const index = pair.indexOf("=");
      const name = pair.slice(0, index);
      const path = attributes.find((a) => a.toLowerCase().startsWith("path="))?.slice(5) ?? "/";
      if (/max-age=0\b/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, { value: pair.slice(index + 1), path });
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name)?.value;
  }

  set(name: string, value: string, path = "/"): void {
    this.cookies.set(name, { value, path });
  }

  headerFor(url: string): string {
    const { pathname } = new URL(url);
    return [...this.cookies]
      .filter(([, c]) => pathname === c.path || pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`))
      .map(([name, c]) => `${name}=${c.value}`)
      .join("; ");
  }
}

async function startStandIn(kind: "live" | "test", frontend: FrontendOptions = {}) {
  const options: StandInOptions = {
    publishableKeyKind: kind,
    frontendHost: (url) => new URL(url).host,
    frontend: { allowedOrigins: [APP], ...frontend },
  };
  const standIn = await startClerkStandIn(options);
  standIn.store.seed([{ email_address: [DEMO.email], password: DEMO.password, first_name: "Demo", last_name: "User" }]);
  return standIn;
}

/** A clerk-js-shaped call: form body, `_method` override, API version, credentials, app origin. */
async function fapi(
  standIn: ClerkStandIn,
  jar: CookieJar,
  method: string,
  path: string,
  body?: Record<string, string>,
) {
  const url = new URL(`${standIn.env().CLERK_PROXY_URL}${path}`);
  url.searchParams.set("__clerk_api_version", "2025-11-10");
  url.searchParams.set("_clerk_js_version", "5.128.0");
  const httpMethod = method === "GET" ? "GET" : "POST";
  if (method !== httpMethod && method !== "POST") url.searchParams.set("_method", method);
  const response = await fetch(url, {
    method: httpMethod,
    headers: {
      origin: APP,
      cookie: jar.headerFor(url.href),
      ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}),
    },
    body: body ? new URLSearchParams(body).toString() : undefined,
    redirect: "manual",
  });
  jar.store(response);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as any) : null };
}

async function signIn(standIn: ClerkStandIn, jar: CookieJar) {
  const created = await fapi(standIn, jar, "POST", "/v1/client/sign_ins", { identifier: DEMO.email });
  const attempt = await fapi(
    standIn,
    jar,
    "POST",
    `/v1/client/sign_ins/${created.body.response.id}/attempt_first_factor`,
    {
      strategy: "password",
      password: DEMO.password,
    },
  );
  // clerk-js writes the session's token into __session itself.
  const session = attempt.body.client.sessions[0];
  jar.set("__session", session.last_active_token.jwt);
  return { attempt, session };
}

/** The app's server side: @clerk/backend configured from the stand-in's env, as @clerk/remix would be. */
function authenticate(standIn: ClerkStandIn, jar: CookieJar, url = `${APP}/profile`) {
  const env = standIn.env();
  const clerk = createClerkClient({
    secretKey: env.CLERK_SECRET_KEY,
    publishableKey: env.CLERK_PUBLISHABLE_KEY,
    jwtKey: env.CLERK_JWT_KEY,
    apiUrl: env.CLERK_API_URL,
  });
  const request = new Request(url, {
    headers: { cookie: jar.headerFor(url), accept: "text/html", "sec-fetch-dest": "document" },
  });
  return clerk.authenticateRequest(request, { proxyUrl: env.CLERK_PROXY_URL, authorizedParties: [APP] });
}

describe("Frontend API with a production (pk_live_) key", () => {
  let standIn: ClerkStandIn;
  beforeAll(async () => {
    standIn = await startStandIn("live");
  });
  afterAll(() => standIn.close());

  it("answers CORS with credentials for the configured app origin only", async () => {
    const base = `${standIn.env().CLERK_PROXY_URL}/v1/environment`;
    const fromApp = await fetch(base, { headers: { origin: APP } });
    expect(fromApp.headers.get("access-control-allow-origin")).toBe(APP);
    expect(fromApp.headers.get("access-control-allow-credentials")).toBe("true");
    const preflight = await fetch(base, {
      method: "OPTIONS",
      headers: {
        origin: APP,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toBe("content-type");
    const fromElsewhere = await fetch(base, { headers: { origin: "https://evil.example" } });
    expect(fromElsewhere.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("describes an email + password instance with no captcha and no outside assets", async () => {
    const { body } = await fapi(standIn, new CookieJar(), "GET", "/v1/environment");
    expect(body.object).toBe("environment");
    expect(body.display_config.captcha_public_key).toBeNull();
    expect(body.display_config.instance_environment_type).toBe("production");
    expect(body.user_settings.attributes.email_address).toMatchObject({ enabled: true, used_for_first_factor: true });
    expect(body.user_settings.attributes.password).toMatchObject({ enabled: true, required: true });
    expect(body.user_settings.social).toEqual({});
  });

  it("signs in with a password, sets __client_uat, and the app's SDK sees the user", async () => {
    const jar = new CookieJar();
    const { attempt, session } = await signIn(standIn, jar);
    expect(attempt.body.response).toMatchObject({
      object: "sign_in",
      status: "complete",
      created_session_id: session.id,
    });
    expect(Number(jar.get("__client_uat"))).toBeGreaterThan(0);
    expect(jar.get("__client")).toMatch(/^client_/);

    const state = await authenticate(standIn, jar);
    expect(state.status).toBe("signed-in");
    expect(state.toAuth()).toMatchObject({
      userId: standIn.store.findByIdentifier(DEMO.email)!.id,
      sessionId: session.id,
    });
  });

  it("answers Clerk's 422 errors for an unknown identifier and a wrong password", async () => {
    const jar = new CookieJar();
    const unknown = await fapi(standIn, jar, "POST", "/v1/client/sign_ins", { identifier: "nobody@example.test" });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0]).toMatchObject({
      code: "form_identifier_not_found",
      meta: { param_name: "identifier" },
    });

    const created = await fapi(standIn, jar, "POST", "/v1/client/sign_ins", { identifier: DEMO.email });
    const wrong = await fapi(
      standIn,
      jar,
      "POST",
      `/v1/client/sign_ins/${created.body.response.id}/attempt_first_factor`,
      {
        strategy: "password",
        password: "not-the-password",
      },
    );
    expect(wrong.status).toBe(422);
    expect(wrong.body.errors[0]).toMatchObject({ code: "form_password_incorrect", meta: { param_name: "password" } });
  });

  it("refreshes tokens through /tokens for the session's client only", async () => {
    const jar = new CookieJar();
    const { session } = await signIn(standIn, jar);
    const token = await fapi(standIn, jar, "POST", `/v1/client/sessions/${session.id}/tokens`);
    expect(token.body).toMatchObject({ object: "token", jwt: expect.stringMatching(/^ey/) });

    const otherBrowser = await fapi(standIn, new CookieJar(), "POST", `/v1/client/sessions/${session.id}/tokens`);
    expect(otherBrowser.status).toBe(404);
  });

  it("hand-shakes an expired or missing token back into a signed-in request", async () => {
    const jar = new CookieJar();
    await signIn(standIn, jar);
    // The tab was closed long enough for __session to lapse; __client_uat says a session exists.
    jar.set("__session", "");
    const first = await authenticate(standIn, jar);
    expect(first.status).toBe("handshake");
    const location = first.headers.get("location")!;
    expect(location.startsWith(`${standIn.env().CLERK_PROXY_URL}/v1/client/handshake?`)).toBe(true);

    const handshake = await fetch(location, { headers: { cookie: jar.headerFor(location) }, redirect: "manual" });
    jar.store(handshake);
    expect(handshake.status).toBe(307);
    expect(handshake.headers.get("location")).toBe(`${APP}/profile`);
    expect(jar.get("__clerk_handshake")).toMatch(/^ey/);

    const back = await authenticate(standIn, jar);
    expect(back.status).toBe("signed-in");
    // The resolved handshake tells the app to drop the one-shot handshake cookie.
    expect(back.headers.getSetCookie().some((c) => c.startsWith("__clerk_handshake=;"))).toBe(true);
  });

  it("sign-out (DELETE /v1/client/sessions) makes the old token useless", async () => {
    const jar = new CookieJar();
    await signIn(standIn, jar);
    const staleToken = jar.get("__session")!;

    const out = await fapi(standIn, jar, "DELETE", "/v1/client/sessions");
    expect(out.status).toBe(200);
    expect(out.body.response).toMatchObject({ object: "client", sessions: [], last_active_session_id: null });
    expect(jar.get("__client_uat")).toBe("0");

    // A browser that still holds the old token is hand-shaken and comes back signed out.
    jar.set("__session", staleToken);
    const state = await authenticate(standIn, jar);
    expect(state.status).toBe("handshake");
    const location = state.headers.get("location")!;
    const handshake = await fetch(location, { headers: { cookie: jar.headerFor(location) }, redirect: "manual" });
    jar.store(handshake);
    expect(jar.get("__session")).toBeUndefined();
    expect((await authenticate(standIn, jar)).status).toBe("signed-out");
  });

  it("sign-up goes through store.create (source fapi), then signs the new user in", async () => {
    const changes: UserChange[] = [];
    const unsubscribe = standIn.store.on((change) => changes.push(change));
    const jar = new CookieJar();
    const email = "grace@example.test";
    const taken = await fapi(standIn, jar, "POST", "/v1/client/sign_ups", {
      email_address: DEMO.email,
      password: "long-enough",
    });
    expect(taken.body.errors[0]).toMatchObject({
      code: "form_identifier_exists",
      meta: { param_name: "email_address" },
    });

    const started = await fapi(standIn, jar, "POST", "/v1/client/sign_ups", { email_address: email });
    expect(started.body.response).toMatchObject({ status: "missing_requirements", missing_fields: ["password"] });
    const done = await fapi(standIn, jar, "PATCH", `/v1/client/sign_ups/${started.body.response.id}`, {
      password: "long-enough",
      first_name: "Grace",
    });
    unsubscribe();

    expect(done.body.response).toMatchObject({ status: "complete", created_user_id: expect.stringMatching(/^user_/) });
    expect(done.body.client.sessions[0].user).toMatchObject({
      id: done.body.response.created_user_id,
      first_name: "Grace",
    });
    expect(changes).toEqual([
      expect.objectContaining({ type: "user.created", context: expect.objectContaining({ source: "fapi" }) }),
    ]);
  });

  it("POST /fapi/_testing/sign-in returns Playwright-ready cookies the SDK accepts", async () => {
    const response = await fetch(`${standIn.env().CLERK_PROXY_URL}/_testing/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${standIn.controlToken}` },
      body: JSON.stringify({ identifier: DEMO.email, password: DEMO.password, origin: APP }),
    });
    const body = (await response.json()) as {
      cookies: Array<{ name: string; value: string; path: string; domain: string }>;
    };
    expect(body.cookies.map((c) => c.name).sort()).toEqual(["__client", "__client_uat", "__session"]);
    // Scoped to the host name browsers use for app and stand-in alike.
    expect(body.cookies.every((c) => c.domain === "localhost")).toBe(true);
    const jar = new CookieJar();
    for (const cookie of body.cookies) jar.set(cookie.name, cookie.value, cookie.path);
    expect((await authenticate(standIn, jar)).status).toBe("signed-in");

    const wrong = await fetch(`${standIn.env().CLERK_PROXY_URL}/_testing/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${standIn.controlToken}` },
      body: JSON.stringify({ identifier: DEMO.email, password: "nope" }),
    });
    expect(wrong.status).toBe(422);
  });

  it("serves the installed clerk-js and its chunks, and nothing outside dist/", async () => {
    const script = await fetch(standIn.env().CLERK_JS);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    const escape = await fetch(`${standIn.url}/clerk-js/..%2Fpackage.json`);
    expect(escape.status).toBe(404);
  });
});

describe("Frontend API with email verification by code", () => {
  let standIn: ClerkStandIn;
  beforeAll(async () => {
    standIn = await startStandIn("live", { emailVerification: "email_code" });
  });
  afterAll(() => standIn.close());

  it("needs prepare_verification + attempt_verification with 424242 before the user exists", async () => {
    const jar = new CookieJar();
    const email = "verify@example.test";
    const created = await fapi(standIn, jar, "POST", "/v1/client/sign_ups", {
      email_address: email,
      password: "long-enough",
    });
    expect(created.body.response).toMatchObject({
      status: "missing_requirements",
      unverified_fields: ["email_address"],
    });
    const id = created.body.response.id;
    await fapi(standIn, jar, "POST", `/v1/client/sign_ups/${id}/prepare_verification`, { strategy: "email_code" });

    const wrong = await fapi(standIn, jar, "POST", `/v1/client/sign_ups/${id}/attempt_verification`, {
      strategy: "email_code",
      code: "000000",
    });
    expect(wrong.body.errors[0]).toMatchObject({ code: "form_code_incorrect", meta: { param_name: "code" } });
    expect(standIn.store.findByIdentifier(email)).toBeUndefined();

    const right = await fapi(standIn, jar, "POST", `/v1/client/sign_ups/${id}/attempt_verification`, {
      strategy: "email_code",
      code: "424242",
    });
    expect(right.body.response).toMatchObject({ status: "complete" });
    expect(standIn.store.findByIdentifier(email)?.email_addresses[0].verification.strategy).toBe("email_code");
  });
});

describe("Frontend API with a development (pk_test_) key", () => {
  let standIn: ClerkStandIn;
  beforeAll(async () => {
    standIn = await startStandIn("test");
  });
  afterAll(() => standIn.close());

  it("sets the __clerk_db_jwt cookie @clerk/backend requires of development instances", async () => {
    const jar = new CookieJar();
    await signIn(standIn, jar);
    expect(jar.get("__clerk_db_jwt")).toBeTruthy();
    expect((await authenticate(standIn, jar)).status).toBe("signed-in");
  });
});
