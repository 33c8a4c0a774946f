import { mkdtempSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalUrlFor } from "~/canonical-origin.server";
import { startOfflineClerk, type OfflineClerk } from "../../scripts/offline-env";
import { freePort, startBuiltApp, type RunningApp } from "../support/app-server";

/**
 * Offline, the stand-in serves one app origin (APP_URL, `http://localhost:<port>`).
 * A page opened under another name of this machine on that port, such as the
 * `127.0.0.1` remix-serve prints, is redirected there with its path and query,
 * instead of loading a sign-in form whose every Clerk call fails CORS.
 */

const at = (url: string, headers: Record<string, string> = {}) => new Request(url, { headers });

describe("which requests belong at APP_URL", () => {
  it.each([
    ["http://127.0.0.1:3000/sign-in?x=1", "http://localhost:3000", "http://localhost:3000/sign-in?x=1"],
    ["http://[::1]:3000/profile", "http://localhost:3000", "http://localhost:3000/profile"],
    ["http://0.0.0.0:3000/", "http://localhost:3000", "http://localhost:3000/"],
    ["http://localhost:3000/sign-in", "http://127.0.0.1:3000", "http://127.0.0.1:3000/sign-in"],
    ["http://app.localhost/", "http://localhost", "http://localhost/"],
  ])("%s with APP_URL %s → %s", (url, appUrl, expected) => {
    expect(canonicalUrlFor(at(url), appUrl)).toBe(expected);
  });

  it.each([
    ["already at APP_URL", "http://localhost:3000/sign-in", "http://localhost:3000"],
    ["the same name in another case", "http://LOCALHOST:3000/", "http://localhost:3000"],
    ["another port: another app", "http://127.0.0.1:3001/", "http://localhost:3000"],
    ["no APP_URL", "http://127.0.0.1:3000/", null],
    [
      "a public APP_URL behind a proxy that rewrites Host to 127.0.0.1",
      "http://127.0.0.1:3000/",
      "https://app.example.com",
    ],
    ["a public APP_URL on the same port", "http://127.0.0.1:443/", "https://app.example.com"],
    ["a request for a public name", "http://app.example.com:3000/", "http://localhost:3000"],
  ])("stays: %s", (_case, url, appUrl) => {
    expect(canonicalUrlFor(at(url), appUrl)).toBeNull();
  });

  it("a tunnel's forwarded public origin is where the browser is: it stays", () => {
    const tunnelled = at("http://127.0.0.1:3000/", {
      "x-forwarded-host": "abc.ngrok.app",
      "x-forwarded-proto": "https",
    });
    expect(canonicalUrlFor(tunnelled, "http://localhost:3000")).toBeNull();
    expect(
      canonicalUrlFor(at("http://127.0.0.1:3000/", { "x-forwarded-host": "not a host" }), "http://localhost:3000"),
    ).toBeNull();
  });
});

describe("the production build on the offline launcher's environment", () => {
  let offline: OfflineClerk;
  let app: RunningApp;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    offline = await startOfflineClerk({ port: 0, appPort: port, seedDemoUser: false });
    app = await startBuiltApp({
      ...offline.env,
      PORT: String(port),
      DATABASE_URL: join(mkdtempSync(join(tmpdir(), "clerk-sync-canonical-")), "app.db"),
      LOG_LEVEL: "warn",
    });
  });
  afterAll(async () => {
    await app?.stop();
    await offline?.close();
  });

  function get(path: string, host: string) {
    return new Promise<{ status: number; location: string | undefined; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, path, headers: { host } }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
      });
      req.on("error", reject);
      req.end();
    });
  }

  it("the launcher gives the app APP_URL = the origin the stand-in serves", () => {
    expect(offline.env.APP_URL).toBe(`http://localhost:${port}`);
    expect(offline.appUrl).toBe(offline.env.APP_URL);
  });

  it.each(["127.0.0.1", "[::1]", "127.1"])(
    "a page on %s:<port> is redirected to localhost, path and query kept",
    async (name) => {
      const answer = await get("/sign-in?x=1", `${name}:${port}`);
      expect(answer.status).toBe(302);
      expect(answer.location).toBe(`http://localhost:${port}/sign-in?x=1`);
    },
  );

  it("a single-fetch data request on 127.0.0.1 is redirected the same way", async () => {
    const answer = await get("/sign-in.data?x=1", `127.0.0.1:${port}`);
    expect(answer.body).toContain(`http://localhost:${port}/sign-in?x=1`);
  });

  it("on localhost the page is served", async () => {
    const answer = await get("/sign-in?x=1", `localhost:${port}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain("Offline mode — local Clerk stand-in.");
  });

  it("machine endpoints on 127.0.0.1 are answered, not redirected (health checks, webhooks)", async () => {
    expect((await get("/healthz", `127.0.0.1:${port}`)).status).toBe(200);
  });
});
