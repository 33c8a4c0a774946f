import { createClerkClient } from "@clerk/backend";
import type { ClerkStandIn } from "../../src/server.js";

/**
 * The Frontend API as clerk-js calls it (form bodies, `_method`, the app's
 * origin, a browser's cookies for `localhost`), and the app's server reading
 * those cookies with @clerk/backend, for tests that run without a browser.
 */

export const APP = "http://localhost:3000";

/** A browser's cookies for `localhost`, ports ignored, as Chromium keeps them. */
export class CookieJar {
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

export async function fapi(
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
  if (method !== httpMethod) url.searchParams.set("_method", method);
  const response = await fetch(url, {
    method: httpMethod,
    headers: {
      origin: APP,
      cookie: jar.headerFor(url.href),
      ...(httpMethod === "POST" ? { "content-type": "application/x-www-form-urlencoded" } : {}),
    },
    body: httpMethod === "POST" ? new URLSearchParams(body ?? {}).toString() : undefined,
    redirect: "manual",
  });
  jar.store(response);
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as any) : null };
}

/** Signs `identifier` in with a password, as `<SignIn/>` does; clerk-js keeps the token in `__session` itself. */
export async function signIn(standIn: ClerkStandIn, jar: CookieJar, identifier: string, password: string) {
  const created = await fapi(standIn, jar, "POST", "/v1/client/sign_ins", { identifier });
  const attempt = await fapi(
    standIn,
    jar,
    "POST",
    `/v1/client/sign_ins/${created.body.response.id}/attempt_first_factor`,
    {
      strategy: "password",
      password,
    },
  );
  const session = attempt.body.client.sessions[0];
  jar.set("__session", session.last_active_token.jwt);
  return session as { id: string; last_active_token: { jwt: string } };
}

/** The app's server side: @clerk/backend configured from the stand-in's env, as @clerk/remix would be. */
export function authenticate(standIn: ClerkStandIn, jar: CookieJar, url = `${APP}/profile`) {
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

/** A JWT's claims, unverified (the tests check what the stand-in put there; @clerk/backend checks the signature). */
export function claimsOf(jwt: string): Record<string, any> {
  return JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8"));
}
