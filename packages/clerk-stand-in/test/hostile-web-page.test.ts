import { mkdtempSync, readFileSync, statSync, existsSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "../src/index.js";
import { startWebhookReceiver } from "./support/webhook-receiver.js";

/**
 * What a web page the developer happens to visit can send the stand-in:
 * requests under a rebound host name, "simple" cross-site POSTs, CORS reads.
 * Each is refused; tools holding the per-run token still get through.
 */

const APP = "http://localhost:3000";
let standIn: ClerkStandIn;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  standIn = await startClerkStandIn({
    publishableKeyKind: "live",
    frontendHost: (url) => new URL(url).host,
    webhookUrls: [receiver.url],
    timeScale: 0.001,
    frontend: { allowedOrigins: [APP] },
  });
});
afterAll(async () => {
  await standIn.close();
  await receiver.close();
});

/** node:http, because fetch will not send a Host header other than the URL's. */
function send(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: any }>(
    (resolve, reject) => {
      const req = httpRequest(
        `${standIn.url}${path}`,
        { method: init.method ?? "GET", headers: init.headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let json: unknown = null;
            try {
              json = JSON.parse(text);
            } catch {
              json = text;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
          });
        },
      );
      req.on("error", reject);
      req.end(init.body);
    },
  );
}

const token = () => ({ authorization: `Bearer ${standIn.controlToken}` });

describe("DNS rebinding: a Host that is not loopback", () => {
  it("is refused with 421 and Clerk's error shape on every surface", async () => {
    const paths = ["/_control/config", "/v1/users", "/fapi/v1/environment", "/clerk-js/clerk.browser.js", "/nowhere"];
    for (const path of paths) {
      const response = await send(path, { headers: { host: `attacker.example:${standIn.port}`, ...token() } });
      expect(response.status, path).toBe(421);
      expect(response.json.errors[0]).toMatchObject({ code: "host_invalid", meta: { param_name: "Host" } });
      expect(JSON.stringify(response.json)).not.toContain(standIn.keys.secretKey);
    }
  });

  it("is refused for look-alikes of loopback names", async () => {
    for (const host of ["localhost.attacker.example", "127.0.0.1.nip.io", "127.0.0.999", "0.0.0.0", "[::2]"]) {
      const response = await send("/_control/config", { headers: { host: `${host}:${standIn.port}`, ...token() } });
      expect(response.status, host).toBe(421);
    }
  });

  it("lets every loopback name and address through", async () => {
    for (const host of ["localhost", "127.0.0.1", "127.1.2.3", "app.localhost", "[::1]"]) {
      const response = await send("/_control/config", { headers: { host: `${host}:${standIn.port}`, ...token() } });
      expect(response.status, host).toBe(200);
    }
  });
});

describe("the control API and the testing sign-in", () => {
  it("do not show the config, keys included, without the per-run token", async () => {
    for (const headers of [{}, { authorization: "Bearer sct_guessed" }] as Record<string, string>[]) {
      const response = await send("/_control/config", { headers });
      expect(response.status).toBe(401);
      expect(response.json.errors[0].code).toBe("authentication_invalid");
      expect(JSON.stringify(response.json)).not.toContain(standIn.keys.secretKey);
    }
    const withToken = await send("/_control/config", { headers: token() });
    expect(withToken.status).toBe(200);
    expect(withToken.json.secretKey).toBe(standIn.keys.secretKey);
  });

  it("refuse the cross-site text/plain POST that used to add a webhook endpoint", async () => {
    const before = standIn.deliveries.endpoints.slice();
    const body = JSON.stringify({ url: "http://127.0.0.1:4999/steal" });
    const attempts: { headers: Record<string, string>; status: number }[] = [
      { headers: { origin: "https://evil.example", "content-type": "text/plain" }, status: 403 },
      { headers: { "content-type": "text/plain" }, status: 401 },
      { headers: { origin: "http://localhost:4888", "content-type": "application/json", ...token() }, status: 403 },
      { headers: { "content-type": "text/plain", ...token() }, status: 415 },
      { headers: { "content-type": "application/x-www-form-urlencoded", ...token() }, status: 415 },
    ];
    for (const attempt of attempts) {
      const response = await send("/_control/webhook-endpoints", { method: "POST", headers: attempt.headers, body });
      expect(response.status, JSON.stringify(attempt.headers)).toBe(attempt.status);
      expect(response.json.errors).toHaveLength(1);
    }
    expect(standIn.deliveries.endpoints).toEqual(before);
  });

  it("accept the token with a JSON body, from a tool or from the stand-in's own origin", async () => {
    const own = `http://localhost:${standIn.port}`;
    const response = await send("/_control/faults", {
      method: "POST",
      headers: { ...token(), origin: own, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ deliveries: { fail: 0 } }),
    });
    expect(response.status).toBe(200);
    expect((await send("/_control/reset", { method: "POST", headers: token() })).status).toBe(200);
  });

  it("mint no session for a user id without the token", async () => {
    const user = standIn.store.create({ email_address: ["victim@example.com"], password: "correct horse battery" });
    const attempt = await send("/fapi/_testing/sign-in", {
      method: "POST",
      headers: { "content-type": "application/json", origin: APP },
      body: JSON.stringify({ user_id: user.id }),
    });
    expect(attempt.status).toBe(403);
    const noToken = await send("/fapi/_testing/sign-in", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user_id: user.id }),
    });
    expect(noToken.status).toBe(401);
    expect(noToken.headers["set-cookie"]).toBeUndefined();
    const allowed = await send("/fapi/_testing/sign-in", {
      method: "POST",
      headers: { "content-type": "application/json", ...token() },
      body: JSON.stringify({ user_id: user.id }),
    });
    expect(allowed.status).toBe(200);
    expect(allowed.json.user_id).toBe(user.id);
  });
});

describe("the Frontend API's CORS", () => {
  const environment = () => `/fapi/v1/environment`;

  it("allows the configured app origin, with credentials, and no other origin, loopback or not", async () => {
    const fromApp = await send(environment(), { headers: { origin: APP } });
    expect(fromApp.headers["access-control-allow-origin"]).toBe(APP);
    expect(fromApp.headers["access-control-allow-credentials"]).toBe("true");
    for (const origin of ["http://localhost:4888", "http://127.0.0.1:3000", "https://evil.example", "null"]) {
      const response = await send(environment(), { headers: { origin } });
      expect(response.headers["access-control-allow-origin"], origin).toBeUndefined();
      const preflight = await send(environment(), {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
      expect(preflight.headers["access-control-allow-origin"], origin).toBeUndefined();
      expect(preflight.headers["access-control-allow-credentials"], origin).toBeUndefined();
    }
  });

  it("allows an origin added after start (an app that starts later)", async () => {
    const later = "http://localhost:4777";
    expect(
      (await send(environment(), { headers: { origin: later } })).headers["access-control-allow-origin"],
    ).toBeUndefined();
    standIn.allowOrigin(`${later}/`);
    expect((await send(environment(), { headers: { origin: later } })).headers["access-control-allow-origin"]).toBe(
      later,
    );
  });
});

describe("the control token file", () => {
  it("is written for the CLI, readable by its owner only, and removed on close", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "stand-in-token-")), "data", "control.json");
    const launched = await startClerkStandIn({ controlTokenFile: file, controlToken: "sct_from_the_launcher" });
    try {
      expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ url: launched.url, token: "sct_from_the_launcher" });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(file, "..")).mode & 0o777).toBe(0o700);
      expect(launched.controlToken).toBe("sct_from_the_launcher");
    } finally {
      await launched.close();
    }
    expect(existsSync(file)).toBe(false);
  });
});
