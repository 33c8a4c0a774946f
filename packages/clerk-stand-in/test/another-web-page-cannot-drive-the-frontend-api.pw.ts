import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import { startClerkStandIn, type ClerkStandIn } from "../src/server.js";
import { startClerkTestPage, type ClerkTestPage } from "./frontend-browser-page.js";

/**
 * A developer signed in through clerk-js on the app's origin visits another
 * page, which drives their browser at the stand-in's Frontend API the ways
 * that worked before: a link with `?_method=PATCH`, `<img>` tags, forms that
 * submit themselves, `no-cors` fetches. The page is served twice: from
 * `127.0.0.1` (another site: the browser sends `Sec-Fetch-Site: cross-site`)
 * and from `localhost` on another port (the same site, so `SameSite=Lax`
 * cookies ride along; only `Origin` tells it apart). Afterwards the user has
 * the same name, nobody new exists, and the browser is signed in as before.
 * The same requests at the HTTP level: `frontend-api-takes-writes-from-the-app-only.test.ts`.
 */

const DEMO = { email: "demo@clerk-sync.local", password: "clerk-sync-demo" };
const ATTACKER = { email: "attacker@example.test", password: "attacker-password-1" };

let standIn: ClerkStandIn;
let app: ClerkTestPage;
let hostile: HostileSite;
let outsideRequests: string[] = [];

test.beforeAll(async () => {
  standIn = await startClerkStandIn({
    publishableKeyKind: "live",
    frontendHost: (url) => new URL(url).host,
  });
  standIn.store.seed([
    { email_address: [DEMO.email], password: DEMO.password, first_name: "Demo", last_name: "User", username: "demo" },
    { email_address: [ATTACKER.email], password: ATTACKER.password, first_name: "Mallory" },
  ]);
  const env = standIn.env();
  app = await startClerkTestPage({
    publishableKey: env.CLERK_PUBLISHABLE_KEY,
    proxyUrl: env.CLERK_PROXY_URL,
    clerkJsUrl: env.CLERK_JS,
  });
  standIn.allowOrigin(app.origin);
  hostile = await startHostileSite(env.CLERK_PROXY_URL!);
});

test.afterAll(async () => {
  await hostile?.close();
  await app?.close();
  await standIn?.close();
});

test.beforeEach(async ({ context }) => {
  outsideRequests = [];
  // The offline promise, as in frontend-browser.pw.ts: nothing leaves loopback.
  await context.route(
    (url) => !["localhost", "127.0.0.1", "[::1]"].includes(url.hostname) && url.protocol !== "data:",
    (route) => {
      outsideRequests.push(route.request().url());
      return route.abort();
    },
  );
});

test.afterEach(() => {
  expect(outsideRequests, "requests that tried to leave the machine").toEqual([]);
});

interface HostileSite {
  /** The same pages from another site and from another port of the app's site. */
  origins: { crossSite: string; sameSite: string };
  close(): Promise<void>;
}

/** What each page of the hostile site does to `<fapi>`, the stand-in's Frontend API as the browser reaches it. */
function hostilePages(fapi: string): Record<string, string> {
  const json = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");
  const form = (action: string, fields: Record<string, string>) => `
    <form id="attack" method="POST" action="${action}">
      ${Object.entries(fields)
        .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
        .join("")}
    </form>
    <script>document.getElementById("attack").submit();</script>`;
  const imgs = [
    `${fapi}/v1/me?_method=PATCH&first_name=Renamed&last_name=ByAnImg`,
    `${fapi}/v1/client/sign_ups?_method=POST&email_address=made-by-an-img%40example.test&password=made-by-an-img-1`,
    `${fapi}/v1/client/sign_ins?_method=POST&identifier=${encodeURIComponent(ATTACKER.email)}&password=${ATTACKER.password}&strategy=password`,
    `${fapi}/v1/client?_method=DELETE`,
    `${fapi}/v1/client/sessions?_method=DELETE`,
  ];
  const fetches = [
    { url: `${fapi}/v1/me?_method=PATCH`, body: "first_name=Renamed&last_name=ByAFetch" },
    {
      url: `${fapi}/v1/client/sign_ups`,
      body: "email_address=made-by-a-fetch%40example.test&password=made-by-a-fetch-1",
    },
    { url: `${fapi}/v1/client/sessions?_method=DELETE`, body: "" },
    { url: `${fapi}/v1/client?_method=DELETE`, body: "" },
  ];
  return {
    "/link": `<script>location.href = ${json(`${fapi}/v1/me?_method=PATCH&first_name=Renamed&last_name=ByEvilPage`)};</script>`,
    "/img": `
      <p id="done"></p>
      <script>
        const sources = ${json(imgs)};
        let settled = 0;
        for (const src of sources) {
          const img = new Image();
          img.onload = img.onerror = () => {
            if (++settled === sources.length) document.getElementById("done").textContent = "done";
          };
          img.src = src;
        }
      </script>`,
    "/form-sign-in": form(`${fapi}/v1/client/sign_ins`, {
      identifier: ATTACKER.email,
      password: ATTACKER.password,
      strategy: "password",
    }),
    "/form-rename": form(`${fapi}/v1/me?_method=PATCH`, { first_name: "Renamed", last_name: "ByAForm" }),
    "/fetch": `
      <p id="done"></p>
      <script>
        (async () => {
          for (const { url, body } of ${json(fetches)}) {
            const headers = { "content-type": "application/x-www-form-urlencoded" };
            await fetch(url, { method: "POST", mode: "no-cors", credentials: "include", headers, body }).catch(() => {});
          }
          document.getElementById("done").textContent = "done";
        })();
      </script>`,
  };
}

async function startHostileSite(fapi: string): Promise<HostileSite> {
  const pages = hostilePages(fapi);
  const server: Server = createServer((req, res) => {
    const body = pages[new URL(req.url ?? "/", "http://localhost").pathname];
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>a page</title></head><body>${body}</body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origins: { crossSite: `http://127.0.0.1:${port}`, sameSite: `http://localhost:${port}` },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface ClerkState {
  userId: string | null;
  sessionId: string | null;
  email: string | null;
}

async function clerkState(page: Page): Promise<ClerkState> {
  const state = page.locator("#clerk-state[data-loaded='true']");
  await expect(state).toBeVisible();
  return JSON.parse((await state.textContent()) ?? "{}") as ClerkState;
}

async function clientCookie(context: BrowserContext): Promise<string | undefined> {
  const cookies = await context.cookies(standIn.env().CLERK_PROXY_URL);
  return cookies.find((cookie) => cookie.name === "__client")?.value;
}

/** Clerk's own SignIn component on the app's origin, in two steps. */
async function signInThroughClerkJs(page: Page): Promise<ClerkState> {
  await page.goto(`${app.origin}/sign-in`);
  await page.getByLabel("Email address").fill(DEMO.email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel("Password", { exact: true }).fill(DEMO.password);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.waitForURL(`${app.origin}/user`);
  const demoId = standIn.store.findByIdentifier(DEMO.email)!.id;
  await expect.poll(async () => (await clerkState(page)).userId).toBe(demoId);
  return clerkState(page);
}

/** Visits one page of the hostile site and waits until what it does is done. */
async function visit(page: Page, origin: string, path: string): Promise<void> {
  const fapi = standIn.env().CLERK_PROXY_URL!;
  // The page navigates away at once; "commit" does not wait for a load event that may never come.
  await page.goto(`${origin}${path}`, { waitUntil: "commit" });
  if (path === "/img" || path === "/fetch") {
    await expect(page.locator("#done")).toHaveText("done");
    return;
  }
  await page.waitForURL((url) => url.href.startsWith(`${fapi}/v1/`));
}

test("a page on another origin renames nobody, creates nobody, and signs the browser neither in nor out", async ({
  page,
  context,
}) => {
  const signedIn = await signInThroughClerkJs(page);
  const demoBefore = standIn.store.findByIdentifier(DEMO.email)!;
  const usersBefore = standIn.store.size;
  const clientBefore = await clientCookie(context);
  expect(clientBefore).toMatch(/^client_/);

  for (const origin of [hostile.origins.crossSite, hostile.origins.sameSite]) {
    for (const path of ["/link", "/img", "/form-sign-in", "/form-rename", "/fetch"]) {
      await test.step(`${origin}${path}`, () => visit(page, origin, path));
    }
  }

  // Soft: a failure names every way the page got through, not only the first.
  const demoAfter = standIn.store.findByIdentifier(DEMO.email)!;
  expect.soft(demoAfter).toMatchObject({
    first_name: demoBefore.first_name,
    last_name: demoBefore.last_name,
    updated_at: demoBefore.updated_at,
  });
  expect.soft(standIn.store.size).toBe(usersBefore);
  for (const email of ["made-by-an-img@example.test", "made-by-a-fetch@example.test"]) {
    expect.soft(standIn.store.findByIdentifier(email), email).toBeUndefined();
  }
  expect.soft(await clientCookie(context)).toBe(clientBefore);

  await page.goto(`${app.origin}/user`);
  expect(await clerkState(page)).toEqual(signedIn);
  await expect(page.locator(".cl-userButtonTrigger")).toBeVisible();
});

test("clerk-js on the app's own origin still signs in, renames the user, and signs out", async ({ page }) => {
  const signedIn = await signInThroughClerkJs(page);
  // UserProfile's "Update profile" calls this: POST /v1/me?_method=PATCH with a form body.
  const renamed = await page.evaluate(async () => {
    const clerk = (window as unknown as { Clerk: { user: { update(p: object): Promise<{ firstName: string }> } } })
      .Clerk;
    return (await clerk.user.update({ firstName: "Grace", lastName: "Hopper" })).firstName;
  });
  expect(renamed).toBe("Grace");
  expect(standIn.store.get(signedIn.userId!)).toMatchObject({ first_name: "Grace", last_name: "Hopper" });

  await page.locator(".cl-userButtonTrigger").click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect.poll(async () => (await clerkState(page)).userId).toBeNull();
});
