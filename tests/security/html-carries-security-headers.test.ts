import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clerkOrigins, contentSecurityPolicy } from "~/security-headers.server";
import { loadAppEnv } from "~/env.server";
import { startBuiltApp, type RunningApp } from "../support/app-server";
import { signBody } from "../support/clerk-webhooks";
import { TEST_WEBHOOK_SECRET } from "../support/test-env";

let app: RunningApp;

beforeAll(async () => {
  app = await startBuiltApp({
    DATABASE_URL: `${process.env.DATABASE_URL}-headers`,
    CLERK_WEBHOOK_SIGNING_SECRET: TEST_WEBHOOK_SECRET,
    CLERK_PUBLISHABLE_KEY: process.env.CLERK_PUBLISHABLE_KEY,
    CLERK_SECRET_KEY: process.env.CLERK_SECRET_KEY,
    LOG_LEVEL: "info",
  });
});
afterAll(async () => {
  await app?.stop();
});

const directive = (csp: string, name: string) =>
  csp
    .split(";")
    .map((d) => d.trim().split(/\s+/))
    .find(([n]) => n === name)
    ?.slice(1) ?? [];

describe("every HTML response carries security headers (the production server)", () => {
  it("GET / has the CSP with a fresh nonce on every inline script, and the framing, referrer and sniffing headers", async () => {
    const response = await fetch(`${app.url}/`);
    const html = await response.text();
    expect(response.headers.get("content-type")).toMatch(/text\/html/);
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toBeTruthy();
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    expect(directive(csp, "frame-ancestors")).toEqual(["'none'"]);
    expect(directive(csp, "script-src")).not.toContain("'unsafe-inline'");
    expect(directive(csp, "script-src")).toContain("https://clerk.example.test");
    expect(directive(csp, "connect-src")).toContain("https://clerk.example.test");
    expect(directive(csp, "img-src")).toContain("https://img.clerk.com");
    expect(directive(csp, "worker-src")).toEqual(["'self'", "blob:"]);
    expect(directive(csp, "style-src")).toContain("'unsafe-inline'");
    expect(directive(csp, "object-src")).toEqual(["'none'"]);
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    // Plain HTTP: HSTS would be ignored, and must not be sent.
    expect(response.headers.get("strict-transport-security")).toBeNull();

    const inlineScripts = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((m) => m[1]);
    expect(inlineScripts.length).toBeGreaterThan(0);
    for (const attributes of inlineScripts) expect(attributes).toContain(`nonce="${nonce}"`);

    const again = await fetch(`${app.url}/`);
    expect(again.headers.get("content-security-policy")).not.toContain(nonce);
  });

  it("a 404 page carries them too", async () => {
    const response = await fetch(`${app.url}/no-such-page`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
  });

  it("sends Strict-Transport-Security when the request came over HTTPS through a proxy (X-Forwarded-Proto)", async () => {
    const response = await fetch(`${app.url}/`, { headers: { "x-forwarded-proto": "https" } });
    expect(response.headers.get("strict-transport-security")).toMatch(/^max-age=\d{7,}/);
  });
});

describe("logs: a 404 is one line, an unexpected error its stack once, never a secret or an email", () => {
  // remix-serve's own access log (morgan "tiny") also prints one plain-text line per request; ours are JSON.
  const ourLines = (output: string) => output.split("\n").filter((line) => line.startsWith("{"));

  it("GET /apple-touch-icon.png and a crawler's probe each log one line and no stack trace", async () => {
    const before = app.output().length;
    expect((await fetch(`${app.url}/wp-login.php`)).status).toBe(404);
    expect((await fetch(`${app.url}/apple-touch-icon.png`)).status).toBe(404);
    await expect.poll(() => app.output().slice(before)).toContain("/apple-touch-icon.png");
    const lines = app.output().slice(before).split("\n").filter(Boolean);
    expect(lines.filter((line) => line.includes("/wp-login.php"))).toHaveLength(1);
    expect(lines.filter((line) => line.includes("/apple-touch-icon.png"))).toHaveLength(1);
    expect(app.output().slice(before)).not.toMatch(/\n\s+at |Error: No route matches/);
  });

  // Where <Form> posts with JavaScript on: /profile.data with Remix's single fetch, else
  // ?_data (which Remix still serves with single fetch on, skipping its own Origin check).
  const legacyData = `/profile?_data=${encodeURIComponent("routes/profile")}`;
  let singleFetchOn = false;
  let dataPath = legacyData;
  beforeAll(async () => {
    singleFetchOn = (await (await fetch(`${app.url}/`)).text()).includes("streamController");
    dataPath = singleFetchOn ? "/profile.data" : legacyData;
  });

  it("a text/plain POST to the profile action is a 400 with a message, not a 500 with a stack", async () => {
    const before = app.output().length;
    const response = await fetch(`${app.url}${dataPath}`, {
      method: "POST",
      headers: { "content-type": "text/plain", origin: app.url },
      body: "intent=sync",
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/takes a form post/);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect(app.output().slice(before)).not.toMatch(/\n\s+at |TypeError|unexpected_error/);
  });

  it("a cross-origin POST never reaches the action: 403 from the app, or Remix's own refusal logged as one line", async () => {
    const form = { "content-type": "application/x-www-form-urlencoded", origin: "http://localhost:4888" };
    const legacy = await fetch(`${app.url}${legacyData}`, { method: "POST", headers: form, body: "intent=sync" });
    expect(legacy.status).toBe(403);
    const otherScheme = await fetch(`${app.url}${dataPath}`, {
      method: "POST",
      headers: { ...form, origin: app.url.replace("http:", "https:") },
      body: "intent=sync",
    });
    expect(otherScheme.status).toBe(403);

    const before = app.output().length;
    // Remix refuses a POST whose Origin names another host itself, before any action runs.
    const refusedByRemix = singleFetchOn ? ["/profile", "/profile.data"] : ["/profile"];
    for (const path of refusedByRemix) {
      const refused = await fetch(`${app.url}${path}`, {
        method: "POST",
        headers: form,
        body: "intent=sync",
        redirect: "manual",
      });
      expect(refused.status).toBe(500);
    }
    await expect
      .poll(
        () =>
          app
            .output()
            .slice(before)
            .match(/cross_origin_post_refused/g)?.length,
      )
      .toBe(refusedByRemix.length);
    expect(app.output().slice(before)).not.toMatch(/\n\s+at |unexpected_error/);
  });

  it("the new paths (refused deliveries, 404s, refused posts) never log a secret, an email or a signature", async () => {
    const email = "someone.private@example.com";
    const body = JSON.stringify({
      type: "user.created",
      data: { id: "user_x", email_addresses: [{ email_address: email }] },
    });
    const headers = signBody(body, { secret: "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCE=" });
    await fetch(`${app.url}/api/webhooks/clerk`, { method: "POST", headers, body });
    await fetch(`${app.url}/nothing-here?email=${encodeURIComponent(email)}&token=sk_live_leak`);
    await fetch(`${app.url}${legacyData}`, {
      method: "POST",
      headers: { "content-type": "text/plain", origin: app.url },
      body: email,
    });
    await fetch(`${app.url}/profile`, {
      method: "POST",
      headers: { "content-type": "text/plain", origin: "https://evil.example" },
      body: email,
    });
    await expect.poll(() => app.output()).toContain("/nothing-here");
    const ours = ourLines(app.output()).join("\n");
    for (const secretOrPersonal of [
      email,
      encodeURIComponent(email),
      TEST_WEBHOOK_SECRET,
      headers["svix-signature"],
      "sk_live_leak",
      process.env.CLERK_SECRET_KEY!,
    ]) {
      expect(ours).not.toContain(secretOrPersonal);
    }
  });
});

describe("the CSP lets Clerk work wherever its Frontend API is", () => {
  it("allows the Frontend API host from the key, the proxy and clerk-js origins", () => {
    const pk = `pk_live_${Buffer.from("127.0.0.1:4010$").toString("base64")}`;
    const env = loadAppEnv({
      CLERK_PUBLISHABLE_KEY: pk,
      CLERK_SECRET_KEY: "sk_live_abcdefghijklmnop",
      CLERK_WEBHOOK_SIGNING_SECRET: TEST_WEBHOOK_SECRET,
      OFFLINE_MODE: "1",
    });
    const origins = clerkOrigins(env, {
      CLERK_PROXY_URL: "http://localhost:4010/fapi",
      CLERK_JS: "http://localhost:4010/clerk-js/clerk.browser.js",
    });
    expect(origins).toEqual(["http://127.0.0.1:4010", "https://127.0.0.1:4010", "http://localhost:4010"]);
    expect(directive(contentSecurityPolicy("n", origins), "connect-src")).toEqual(["'self'", ...origins]);
    expect(directive(contentSecurityPolicy("n", origins, true), "connect-src")).toContain("ws:");
  });
});
