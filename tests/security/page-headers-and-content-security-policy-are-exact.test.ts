import { describe, expect, it } from "vitest";
import { getEnv, type AppEnv } from "~/env.server";
import {
  applySecurityHeaders,
  cameOverHttps,
  clerkOrigins,
  contentSecurityPolicy,
  newNonce,
} from "~/security-headers.server";

/**
 * Every directive of the Content-Security-Policy and every page header, exactly,
 * in process: the built server's test (html-carries-security-headers) checks that
 * pages carry them; this one pins what they say.
 */

const FAPI = "https://clerk.example.test";
const CLOUDFLARE = "https://challenges.cloudflare.com";

function directives(policy: string): Record<string, string[]> {
  return Object.fromEntries(
    policy.split(";").map((directive) => {
      const [name, ...values] = directive.trim().split(" ");
      return [name, values];
    }),
  );
}

const withFrontendApi = (frontendApiHost: string) => ({ clerk: { frontendApiHost } }) as Pick<AppEnv, "clerk">;

describe("the Content-Security-Policy names every directive exactly", () => {
  it("allows the app itself, its nonce and Clerk, and nothing else", () => {
    expect(directives(contentSecurityPolicy("n0nce", [FAPI]))).toEqual({
      "default-src": ["'self'"],
      "script-src": ["'self'", "'nonce-n0nce'", FAPI, CLOUDFLARE],
      "connect-src": ["'self'", FAPI],
      "img-src": ["'self'", "data:", "https://img.clerk.com", FAPI],
      "style-src": ["'self'", "'unsafe-inline'"],
      "font-src": ["'self'", "data:"],
      "worker-src": ["'self'", "blob:"],
      "frame-src": [CLOUDFLARE],
      "object-src": ["'none'"],
      "base-uri": ["'self'"],
      "form-action": ["'self'"],
      "frame-ancestors": ["'none'"],
    });
  });

  it("separates directives with '; ' and values with one space", () => {
    expect(contentSecurityPolicy("n", [FAPI])).toMatch(/^default-src 'self'; script-src 'self' 'nonce-n' /);
  });

  it("adds ws: to connect-src in development only (Remix's live reload), and changes nothing else", () => {
    const production = directives(contentSecurityPolicy("n", [FAPI]));
    const development = directives(contentSecurityPolicy("n", [FAPI], true));
    expect(development).toEqual({ ...production, "connect-src": ["'self'", FAPI, "ws:"] });
  });
});

describe("Clerk's origins for the policy", () => {
  it("is https only for a Frontend API on the internet", () => {
    expect(clerkOrigins(withFrontendApi("clerk.example.test"), {})).toEqual([FAPI]);
  });

  it.each(["localhost", "localhost:4010", "127.0.0.1:4010", "127.10.20.30:4010", "[::1]:4010"])(
    "is http and https for a Frontend API on this machine (%s)",
    (host) => {
      expect(clerkOrigins(withFrontendApi(host), {})).toEqual([`http://${host}`, `https://${host}`]);
    },
  );

  it.each(["localhost.evil.example", "notlocalhost:4010", "127.0.0.1.evil.example"])(
    "is https only for a name that merely contains a loopback one (%s)",
    (host) => {
      expect(clerkOrigins(withFrontendApi(host), {})).toEqual([`https://${host}`]);
    },
  );

  it("drops the Frontend API's path (a proxy-style host) and keeps its host", () => {
    expect(clerkOrigins(withFrontendApi("127.0.0.1:4010/fapi"), {})).toEqual([
      "http://127.0.0.1:4010",
      "https://127.0.0.1:4010",
    ]);
  });

  it("adds the proxy's and clerk-js's origins once, and skips a relative proxy (the app's own origin)", () => {
    const env = withFrontendApi("clerk.example.test");
    expect(
      clerkOrigins(env, {
        CLERK_PROXY_URL: "https://proxy.example.com/__clerk",
        CLERK_JS: "https://proxy.example.com/npm/clerk.browser.js",
      }),
    ).toEqual([FAPI, "https://proxy.example.com"]);
    expect(clerkOrigins(env, { CLERK_PROXY_URL: "/__clerk" })).toEqual([FAPI]);
    expect(clerkOrigins(env, { CLERK_PROXY_URL: "", CLERK_JS: undefined })).toEqual([FAPI]);
  });
});

describe("every page's headers, as applySecurityHeaders sets them", () => {
  const env = (nodeEnv: string): AppEnv => ({ ...getEnv(), nodeEnv });
  const headersFor = (request: Request, nodeEnv = "production") => {
    const headers = new Headers();
    applySecurityHeaders(headers, request, "n0nce", env(nodeEnv));
    return headers;
  };

  it("sets the policy for the configured Clerk, framing, referrer, sniffing and caching headers, exactly", () => {
    const headers = headersFor(new Request("http://localhost:3000/"));
    expect(Object.fromEntries(headers)).toEqual({
      "content-security-policy": contentSecurityPolicy("n0nce", [FAPI]),
      "x-frame-options": "DENY",
      "referrer-policy": "strict-origin-when-cross-origin",
      "x-content-type-options": "nosniff",
      "cache-control": "private, no-store",
    });
  });

  it("lets the development server's WebSocket through only when NODE_ENV is development", () => {
    const policy = (nodeEnv: string) =>
      directives(headersFor(new Request("http://localhost:3000/"), nodeEnv).get("content-security-policy")!);
    expect(policy("development")["connect-src"]).toContain("ws:");
    expect(policy("production")["connect-src"]).not.toContain("ws:");
    expect(policy("test")["connect-src"]).not.toContain("ws:");
  });

  it("sends Strict-Transport-Security only over HTTPS, direct or through a TLS-terminating proxy", () => {
    const hsts = (request: Request) => headersFor(request).get("strict-transport-security");
    expect(hsts(new Request("https://clerk-sync.example.com/"))).toBe("max-age=31536000");
    expect(hsts(new Request("http://localhost:3000/", { headers: { "x-forwarded-proto": "https" } }))).toBe(
      "max-age=31536000",
    );
    expect(hsts(new Request("http://localhost:3000/"))).toBeNull();
  });
});

describe("a request came over HTTPS", () => {
  const via = (proto: string) =>
    cameOverHttps(new Request("http://localhost:3000/", { headers: { "x-forwarded-proto": proto } }));

  it("when its own URL is https, or the first proxy says so in any case and spacing", () => {
    expect(cameOverHttps(new Request("https://clerk-sync.example.com/"))).toBe(true);
    expect(via("https")).toBe(true);
    expect(via("HTTPS")).toBe(true);
    expect(via("https , http")).toBe(true);
  });

  it("not when the URL is http and no proxy, or only a later one, says https", () => {
    expect(cameOverHttps(new Request("http://localhost:3000/"))).toBe(false);
    expect(via("http")).toBe(false);
    expect(via("http, https")).toBe(false);
  });
});

describe("the nonce", () => {
  it("is 16 random bytes in base64, new for every response", () => {
    const nonces = new Set(Array.from({ length: 20 }, newNonce));
    expect(nonces.size).toBe(20);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });
});
