import { mkdtempSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_USER, startOfflineClerk, type OfflineClerk } from "../../scripts/offline-env";
import { freePort, startBuiltApp, type RunningApp } from "../support/app-server";

/**
 * A Clerk session token names the origin it was made for (`azp`). One made
 * for another site is no session here: the production build, on tokens the
 * stand-in signs with its real keys, differing only in `azp`.
 */

let offline: OfflineClerk;
let app: RunningApp;
let port: number;

beforeAll(async () => {
  port = await freePort();
  offline = await startOfflineClerk({ port: 0, appPort: port, seedDemoUser: false, timeScale: 0.001 });
  app = await startBuiltApp({
    ...offline.env,
    PORT: String(port),
    DATABASE_URL: join(mkdtempSync(join(tmpdir(), "clerk-sync-azp-")), "app.db"),
    LOG_LEVEL: "warn",
  });
  offline.seedDemoUser();
  await offline.standIn.deliveries.waitForIdle();
});
afterAll(async () => {
  await app?.stop();
  await offline?.close();
});

/** The Cookie header of a browser the stand-in signed in as the demo user, with a token whose `azp` is `origin`. */
async function sessionFor(origin: string): Promise<string> {
  const response = await fetch(`${offline.standIn.url}/fapi/_testing/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${offline.standIn.controlToken}` },
    body: JSON.stringify({ identifier: DEMO_USER.email, origin }),
  });
  expect(response.status).toBe(200);
  const { cookies } = (await response.json()) as { cookies: { name: string; value: string; path: string }[] };
  return cookies
    .filter((cookie) => cookie.path === "/")
    .map((cookie) => `${cookie.name}=${cookie.value}`)
    .join("; ");
}

interface Answer {
  status: number;
  location: string | undefined;
  body: string;
}

/** A request to the app on 127.0.0.1 carrying any Host (fetch will not set one). */
function send(path: string, headers: Record<string, string>, method = "GET", body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("a session token is honoured only on the origin it was made for", () => {
  const own = () => `http://localhost:${port}`;

  it("the app's own azp: /profile shows the user", async () => {
    const answer = await send("/profile", { host: `localhost:${port}`, cookie: await sessionFor(own()) });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(DEMO_USER.email);
  });

  it("azp https://evil.example: /profile is signed out, sent to sign in, and shows nothing", async () => {
    const cookie = await sessionFor("https://evil.example");
    const page = await send("/profile", { host: `localhost:${port}`, cookie });
    expect(page.status).toBe(302);
    expect(page.location).toBe("/sign-in?redirect_url=%2Fprofile");
    expect(page.body).not.toContain(DEMO_USER.email);

    // Remix's single-fetch data request for the same page: a redirect, not the loader's data.
    const data = await send("/profile.data", { host: `localhost:${port}`, cookie });
    expect(data.body).toContain("/sign-in?redirect_url=%2Fprofile");
    expect(data.body).not.toContain(DEMO_USER.email);
  });

  it("azp https://evil.example: the sync action does not run either", async () => {
    const answer = await send(
      "/profile",
      {
        host: `localhost:${port}`,
        origin: own(),
        cookie: await sessionFor("https://evil.example"),
        "content-type": "application/x-www-form-urlencoded",
      },
      "POST",
      "intent=sync",
    );
    expect(answer.status).toBe(302);
    expect(answer.location).toBe("/sign-in?redirect_url=%2Fprofile");
  });

  it("another port on localhost is another origin: its token is refused too", async () => {
    const answer = await send("/profile", {
      host: `localhost:${port}`,
      cookie: await sessionFor("http://localhost:1"),
    });
    expect(answer.status).toBe(302);
  });

  it("the origin a tunnel forwarded (X-Forwarded-Host/-Proto) is the app's own", async () => {
    const answer = await send("/profile", {
      host: `localhost:${port}`,
      "x-forwarded-host": "abc123.ngrok.app",
      "x-forwarded-proto": "https",
      cookie: await sessionFor("https://abc123.ngrok.app"),
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(DEMO_USER.email);
  });

  it("APP_URL is the app's own behind a proxy that rewrites Host and forwards nothing", async () => {
    expect(offline.env.APP_URL).toBe(own());
    const answer = await send("/profile", { host: "app.internal", cookie: await sessionFor(own()) });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(DEMO_USER.email);
  });
});
