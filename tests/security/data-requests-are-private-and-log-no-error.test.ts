import { mkdtempSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_USER, startOfflineClerk, type OfflineClerk } from "../../scripts/offline-env";
import { freePort, startBuiltApp, type RunningApp } from "../support/app-server";

/**
 * Remix still answers the legacy `?_data=<route id>` data requests with single
 * fetch on, straight from the loader: no route `headers` export applies, and
 * Remix reports each one to handleError as a "should not be making ?_data
 * requests" warning. The production build, signed in by the stand-in as the
 * demo user (whose row the stand-in's webhook stored).
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
    DATABASE_URL: join(mkdtempSync(join(tmpdir(), "clerk-sync-data-requests-")), "app.db"),
    // Debug: the quiet line a legacy data request gets must show, so that its absence could fail the test.
    LOG_LEVEL: "debug",
  });
  offline.seedDemoUser();
  await offline.standIn.deliveries.waitForIdle();
});
afterAll(async () => {
  await app?.stop();
  await offline?.close();
});

/** The Cookie header of a browser the stand-in signed in as the demo user. */
async function signedInCookie(): Promise<string> {
  const response = await fetch(`${offline.standIn.url}/fapi/_testing/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${offline.standIn.controlToken}` },
    body: JSON.stringify({ identifier: DEMO_USER.email, origin: offline.appUrl }),
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
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET to the app under its own name (APP_URL's host), which fetch cannot set as Host. */
function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, path, headers: { host: new URL(offline.appUrl).host, ...headers } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const dataOf = (path: string, routeId: string) => `${path}?_data=${encodeURIComponent(routeId)}`;

/** Our JSON log lines written since `from`. */
const linesSince = (from: number) =>
  app
    .output()
    .slice(from)
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe("every answer with personal data is Cache-Control: private, no-store", () => {
  it("signed in, ?_data=routes/profile answers the email and the name, and is never stored", async () => {
    const cookie = await signedInCookie();
    const answer = await get(dataOf("/profile", "routes/profile"), { cookie });
    expect(answer.status).toBe(200);
    const data = JSON.parse(answer.body);
    expect(data.profile).toMatchObject({ email: DEMO_USER.email, firstName: DEMO_USER.firstName });
    const cacheControl = String(answer.headers["cache-control"]);
    expect(cacheControl).toContain("no-store");
    expect(cacheControl).toContain("private");
  });

  it("so do the root loader's data (the session's Clerk state), the single-fetch data and the pages", async () => {
    const cookie = await signedInCookie();
    const root = await get(dataOf("/", "root"), { cookie });
    expect(root.status).toBe(200);
    expect(root.body).toContain(offline.demoUser!.id);
    for (const answer of [root, await get("/profile.data", { cookie }), await get("/profile", { cookie })]) {
      expect(answer.body).toContain(offline.demoUser!.id);
      expect(answer.headers["cache-control"]).toBe("private, no-store");
    }
    for (const path of ["/", "/sign-in"]) {
      const page = await get(path, { cookie });
      expect(page.status).toBe(200);
      expect(page.headers["cache-control"]).toBe("private, no-store");
    }
  });
});

describe("a legacy ?_data request logs no error, signed in or not", () => {
  it.each([
    ["/", "root"],
    ["/", "routes/_index"],
    ["/profile", "routes/profile"],
    ["/sign-in", "routes/sign-in.$"],
  ])("signed out, %s?_data=%s gets its ordinary answer and one quiet line, no error and no stack", async (path, id) => {
    const before = app.output().length;
    const answer = await get(dataOf(path, id));
    expect(answer.status).toBeLessThan(500);
    if (path === "/profile") {
      // requireUserId's redirect to sign in, as Remix answers it to a data request.
      expect(answer.status).toBe(204);
      expect(answer.headers["x-remix-redirect"]).toMatch(/^\/sign-in\?redirect_url=%2Fprofile/);
      // Back to the page after signing in, not to the data request's JSON.
      expect(answer.headers["x-remix-redirect"]).not.toMatch(/_data/);
    }
    await expect
      .poll(() => linesSince(before).filter((line) => line.event === "legacy_data_request"))
      .toEqual([expect.objectContaining({ level: "debug", path })]);
    expect(linesSince(before).filter((line) => line.level === "error")).toEqual([]);
    expect(app.output().slice(before)).not.toMatch(/\n\s+at /);
  });

  it("signed in, ?_data=routes/profile logs no error either", async () => {
    const cookie = await signedInCookie();
    const before = app.output().length;
    expect((await get(dataOf("/profile", "routes/profile"), { cookie })).status).toBe(200);
    await expect.poll(() => linesSince(before).map((line) => line.event)).toContain("legacy_data_request");
    expect(linesSince(before).filter((line) => line.level === "error")).toEqual([]);
  });
});
