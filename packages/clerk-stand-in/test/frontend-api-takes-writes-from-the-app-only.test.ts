import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "../src/index.js";

/**
 * What another web page can make a signed-in developer's browser send the
 * Frontend API: links and `<img>` (GETs with the query it likes, `SameSite=Lax`
 * cookies included on a navigation), auto-submitting forms and `no-cors`
 * fetches (POSTs with a form body and its own `Origin`). None of them may
 * rename the user, create one, sign the browser in as someone else or sign it
 * out. clerk-js on the app's origin, and tools that name no origin, still can.
 * The same attacks in Chromium: `another-web-page-cannot-drive-the-frontend-api.pw.ts`.
 */

const APP = "http://localhost:3000";
const VICTIM = { email: "victim@example.test", password: "victim-password-1", first_name: "Vic", last_name: "Tim" };
const ATTACKER = { email: "attacker@example.test", password: "attacker-password-1" };
const FOREIGN_ORIGINS = ["http://localhost:4888", "http://127.0.0.1:3000", "https://evil.example", "null"];

let standIn: ClerkStandIn;
let victimId: string;
/** The victim browser's `Cookie` header: its `__client`, signed in as the victim. */
let victimCookie: string;

beforeAll(async () => {
  standIn = await startClerkStandIn({
    publishableKeyKind: "live",
    frontendHost: (url) => new URL(url).host,
    frontend: { allowedOrigins: [APP] },
  });
  const [victim] = standIn.store.seed([
    { email_address: [VICTIM.email], password: VICTIM.password, first_name: "Vic", last_name: "Tim" },
    { email_address: [ATTACKER.email], password: ATTACKER.password, first_name: "Mallory" },
  ]);
  victimId = victim!.id;
});
afterAll(() => standIn.close());

beforeEach(async () => {
  // Each test starts from the same victim: named as seeded, signed in on a browser of its own.
  standIn.store.update(victimId, { first_name: VICTIM.first_name, last_name: VICTIM.last_name });
  const signIn = await call("/v1/client/sign_ins", {
    origin: APP,
    form: { identifier: VICTIM.email, password: VICTIM.password, strategy: "password" },
  });
  expect(signIn.status).toBe(200);
  victimCookie = `__client=${clientCookieOf(signIn.setCookie)}`;
});

interface Call {
  /** The method on the wire; PATCH and DELETE go as POST with `?_method=`, as clerk-js sends them. */
  method?: "GET" | "POST";
  query?: Record<string, string>;
  form?: Record<string, string>;
  origin?: string;
  secFetchSite?: "cross-site" | "same-site" | "same-origin" | "none";
  cookie?: string;
}

/** A Frontend API request with clerk-js' own query parameters, and whatever else the caller adds. */
async function call(path: string, init: Call = {}) {
  const url = new URL(`${standIn.env().CLERK_PROXY_URL}${path}`);
  url.searchParams.set("__clerk_api_version", "2025-11-10");
  url.searchParams.set("_clerk_js_version", "5.128.0");
  for (const [key, value] of Object.entries(init.query ?? {})) url.searchParams.set(key, value);
  const headers: Record<string, string> = {};
  if (init.origin !== undefined) headers.origin = init.origin;
  if (init.secFetchSite !== undefined) headers["sec-fetch-site"] = init.secFetchSite;
  if (init.cookie !== undefined) headers.cookie = init.cookie;
  if (init.form) headers["content-type"] = "application/x-www-form-urlencoded";
  const response = await fetch(url, {
    method: init.method ?? "POST",
    headers,
    body: init.form ? new URLSearchParams(init.form).toString() : undefined,
    redirect: "manual",
  });
  const text = await response.text();
  return { status: response.status, setCookie: response.headers.getSetCookie(), json: text ? JSON.parse(text) : null };
}

function clientCookieOf(setCookie: string[]): string {
  const header = setCookie.find((cookie) => cookie.startsWith("__client="));
  if (!header) throw new Error("no __client cookie was set");
  return header.slice("__client=".length).split(";")[0]!;
}

/** Everything the attacks aim at: the victim's name, who exists, who the victim browser is signed in as. */
async function worldState() {
  const victim = standIn.store.get(victimId)!;
  const client = await call("/v1/client", { method: "GET", origin: APP, cookie: victimCookie });
  expect(client.status).toBe(200);
  const response = client.json.response as {
    sessions: { id: string; user: { id: string } }[];
    last_active_session_id: string;
  };
  return {
    victim: { first_name: victim.first_name, last_name: victim.last_name, updated_at: victim.updated_at },
    users: standIn.store.list({ limit: 500 }).map((user) => user.id),
    sessions: response.sessions.map((session) => `${session.id} ${session.user.id}`),
    lastActiveSessionId: response.last_active_session_id,
  };
}

/** The writes that were reproduced against the stand-in, each as a page would send it. */
function attacks(
  sessionId: string,
): { name: string; path: string; query?: Record<string, string>; form: Record<string, string>; withCookie: boolean }[] {
  return [
    {
      name: "rename the user",
      path: "/v1/me",
      query: { _method: "PATCH" },
      form: { first_name: "Renamed", last_name: "ByEvilPage" },
      withCookie: true,
    },
    {
      name: "create an account",
      path: "/v1/client/sign_ups",
      form: { email_address: "made-by-a-page@example.test", password: "made-by-a-page-1" },
      withCookie: false,
    },
    {
      name: "sign the browser in as the attacker",
      path: "/v1/client/sign_ins",
      form: { identifier: ATTACKER.email, password: ATTACKER.password, strategy: "password" },
      withCookie: false,
    },
    {
      name: "add the attacker to the victim's client",
      path: "/v1/client/sign_ins",
      form: { identifier: ATTACKER.email, password: ATTACKER.password, strategy: "password" },
      withCookie: true,
    },
    { name: "sign out (client)", path: "/v1/client", query: { _method: "DELETE" }, form: {}, withCookie: true },
    {
      name: "sign out (sessions)",
      path: "/v1/client/sessions",
      query: { _method: "DELETE" },
      form: {},
      withCookie: true,
    },
    { name: "end the session", path: `/v1/client/sessions/${sessionId}/end`, form: {}, withCookie: true },
  ];
}

describe("another web page cannot drive the Frontend API", () => {
  it("a GET carrying `?_method=` stays a GET: it renames, creates, signs in and signs out nobody", async () => {
    const before = await worldState();
    const sessionId = before.lastActiveSessionId;
    const gets: Record<string, string>[] = [
      { path: "/v1/me", _method: "PATCH", first_name: "Renamed", last_name: "ByEvilPage" },
      { path: "/v1/client/sign_ups", _method: "POST", email_address: "img@example.test", password: "made-by-an-img-1" },
      {
        path: "/v1/client/sign_ins",
        _method: "POST",
        identifier: ATTACKER.email,
        password: ATTACKER.password,
        strategy: "password",
      },
      { path: "/v1/client", _method: "DELETE" },
      { path: "/v1/client/sessions", _method: "DELETE" },
      { path: `/v1/client/sessions/${sessionId}/end`, _method: "POST" },
      { path: `/v1/client/sessions/${sessionId}`, _method: "DELETE" },
    ];
    // A link is a navigation (cookies sent, no Origin); a tool sends neither header.
    const senders: Call[] = [{ secFetchSite: "cross-site", cookie: victimCookie }, { cookie: victimCookie }, {}];
    for (const { path, ...query } of gets) {
      for (const sender of senders) {
        const response = await call(path!, { ...sender, method: "GET", query });
        expect(response.status, `GET ${path} ${JSON.stringify(query)}`).not.toBe(500);
      }
    }
    expect(await worldState()).toEqual(before);
    expect(standIn.store.findByIdentifier("img@example.test")).toBeUndefined();
  });

  it("a write takes its fields from the body only, never from the query string", async () => {
    const before = await worldState();
    const patched = await call("/v1/me", {
      origin: APP,
      cookie: victimCookie,
      query: { _method: "PATCH", last_name: "FromTheQuery" },
      form: { first_name: "Ada" },
    });
    expect(patched.status).toBe(200);
    expect(standIn.store.get(victimId)).toMatchObject({ first_name: "Ada", last_name: VICTIM.last_name });

    const signUp = await call("/v1/client/sign_ups", {
      origin: APP,
      query: { email_address: "from-the-query@example.test", password: "from-the-query-1" },
      form: {},
    });
    expect(signUp.status).toBe(200);
    expect(signUp.json.response).toMatchObject({ status: "missing_requirements", email_address: null });
    expect(standIn.store.findByIdentifier("from-the-query@example.test")).toBeUndefined();

    const signIn = await call("/v1/client/sign_ins", {
      origin: APP,
      cookie: victimCookie,
      query: { identifier: ATTACKER.email, password: ATTACKER.password, strategy: "password" },
      form: {},
    });
    expect(signIn.status).toBe(200);
    expect(signIn.json.response).toMatchObject({ status: "needs_identifier", identifier: null });

    const after = await worldState();
    expect(after.users).toEqual(before.users);
    expect(after.sessions).toEqual(before.sessions);
    expect(after.lastActiveSessionId).toBe(before.lastActiveSessionId);
  });

  it("a write from a foreign Origin is refused with 403 in Clerk's error shape, sets no cookie and changes nothing", async () => {
    const before = await worldState();
    for (const origin of FOREIGN_ORIGINS) {
      for (const attack of attacks(before.lastActiveSessionId)) {
        const response = await call(attack.path, {
          origin,
          query: attack.query,
          form: attack.form,
          cookie: attack.withCookie ? victimCookie : undefined,
        });
        const what = `${attack.name} from ${origin}`;
        expect(response.status, what).toBe(403);
        expect(response.json.errors, what).toHaveLength(1);
        expect(response.json.errors[0], what).toMatchObject({
          code: "origin_invalid",
          message: expect.any(String),
          long_message: expect.stringContaining(origin),
          meta: { param_name: "Origin" },
        });
        expect(response.setCookie, what).toEqual([]);
      }
    }
    expect(await worldState()).toEqual(before);
  });

  it("a write marked `Sec-Fetch-Site: cross-site` is refused, whatever its Origin says", async () => {
    const before = await worldState();
    for (const origin of [APP, undefined]) {
      for (const attack of attacks(before.lastActiveSessionId)) {
        const response = await call(attack.path, {
          origin,
          secFetchSite: "cross-site",
          query: attack.query,
          form: attack.form,
          cookie: attack.withCookie ? victimCookie : undefined,
        });
        const what = `${attack.name} from ${origin ?? "no origin"}`;
        expect(response.status, what).toBe(403);
        expect(response.json.errors[0], what).toMatchObject({
          code: "origin_invalid",
          meta: { param_name: "Sec-Fetch-Site" },
        });
        expect(response.setCookie, what).toEqual([]);
      }
    }
    expect(await worldState()).toEqual(before);
  });

  it("a browser's write that names no origin is refused; a tool's (no Origin, no Sec-Fetch-Site) is not", async () => {
    const before = await worldState();
    const browser = await call("/v1/me", {
      secFetchSite: "same-site",
      cookie: victimCookie,
      query: { _method: "PATCH" },
      form: { first_name: "Renamed" },
    });
    expect(browser.status).toBe(403);
    expect(browser.json.errors[0]).toMatchObject({ code: "origin_invalid", meta: { param_name: "Origin" } });
    expect(await worldState()).toEqual(before);

    const tool = await call("/v1/me", {
      cookie: victimCookie,
      query: { _method: "PATCH" },
      form: { last_name: "Lovelace" },
    });
    expect(tool.status).toBe(200);
    expect(standIn.store.get(victimId)?.last_name).toBe("Lovelace");
  });
});

describe("clerk-js on the app's own origin still writes", () => {
  it("renames through the tunnelled PATCH, signs up, signs in and signs out", async () => {
    const fromApp = { origin: APP, secFetchSite: "same-site" as const };
    const renamed = await call("/v1/me", {
      ...fromApp,
      cookie: victimCookie,
      query: { _method: "PATCH", _clerk_session_id: (await worldState()).lastActiveSessionId },
      form: { first_name: "Grace", last_name: "Hopper" },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.json.response).toMatchObject({ first_name: "Grace", last_name: "Hopper" });
    expect(standIn.store.get(victimId)).toMatchObject({ first_name: "Grace", last_name: "Hopper" });

    const signUp = await call("/v1/client/sign_ups", {
      ...fromApp,
      form: { email_address: "signed-up-on-the-app@example.test", password: "a-long-enough-password" },
    });
    expect(signUp.status).toBe(200);
    expect(signUp.json.response.status).toBe("complete");
    expect(standIn.store.findByIdentifier("signed-up-on-the-app@example.test")).toBeDefined();

    const browser = await call("/v1/client/sign_ins", {
      ...fromApp,
      form: { identifier: VICTIM.email, password: VICTIM.password, strategy: "password" },
    });
    expect(browser.status).toBe(200);
    const cookie = `__client=${clientCookieOf(browser.setCookie)}`;
    const signedOut = await call("/v1/client/sessions", { ...fromApp, cookie, query: { _method: "DELETE" } });
    expect(signedOut.status).toBe(200);
    const client = await call("/v1/client", { method: "GET", origin: APP, cookie });
    expect(client.json.response.sessions).toEqual([]);
  });
});
