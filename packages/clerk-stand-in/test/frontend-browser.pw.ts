import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import type { FrontendOptions } from "../src/frontend-api/frontend-api.js";
import { startClerkStandIn, type ClerkStandIn, type StandInOptions } from "../src/server.js";
import { startClerkTestPage, type ClerkTestPage } from "./frontend-browser-page.js";

/**
 * Clerk's own browser SDK and components (clerk-js 5, served by the
 * stand-in) signing up, in and out against the stand-in's Frontend API.
 * The page is a bare HTML stand-in for the app, so this proves the Frontend
 * API alone; the app's own e2e tests cover the Remix side.
 */

const DEMO = { email: "demo@clerk-sync.local", password: "clerk-sync-demo" };

let standIn: ClerkStandIn;
let app: ClerkTestPage;
let webhookReceiver: Server;
let outsideRequests: string[] = [];

/** A stand-in with the demo user, and the bare page wired to it like the app is. */
async function startWorld(frontend: FrontendOptions = {}, webhookUrls: string[] = []) {
  const options: StandInOptions = {
    publishableKeyKind: "live",
    // A host with a dot, as Clerk's key format wants; the browser itself uses `localhost` (frontendEnv()).
    frontendHost: (url) => new URL(url).host,
    webhookUrls,
    frontend,
  };
  const world = await startClerkStandIn(options);
  world.store.seed([
    { email_address: [DEMO.email], password: DEMO.password, first_name: "Demo", last_name: "User", username: "demo" },
  ]);
  const env = world.env();
  const page = await startClerkTestPage({
    publishableKey: env.CLERK_PUBLISHABLE_KEY,
    proxyUrl: env.CLERK_PROXY_URL,
    clerkJsUrl: env.CLERK_JS,
  });
  world.allowOrigin(page.origin);
  return { standIn: world, app: page };
}

test.beforeAll(async () => {
  webhookReceiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => webhookReceiver.listen(0, "127.0.0.1", resolve));
  const webhookPort = (webhookReceiver.address() as AddressInfo).port;
  ({ standIn, app } = await startWorld({}, [`http://127.0.0.1:${webhookPort}/api/webhooks/clerk`]));
});

test.afterAll(async () => {
  await app?.close();
  await standIn?.close();
  await new Promise<void>((resolve) => (webhookReceiver ? webhookReceiver.close(() => resolve()) : resolve()));
});

test.beforeEach(async ({ context }) => {
  outsideRequests = [];
  await blockOutsideRequests(context);
});

test.afterEach(() => {
  expect(outsideRequests, "requests that tried to leave the machine").toEqual([]);
});

/** Records and aborts anything not addressed to loopback: the offline promise. */
async function blockOutsideRequests(context: BrowserContext) {
  await context.route(
    (url) => !["localhost", "127.0.0.1", "[::1]"].includes(url.hostname) && url.protocol !== "data:",
    (route) => {
      outsideRequests.push(route.request().url());
      return route.abort();
    },
  );
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

async function cookieValue(context: BrowserContext, name: string): Promise<string | undefined> {
  const cookies = await context.cookies(app.origin);
  return cookies.find((c) => c.name === name)?.value;
}

test("sign-up with email and password creates the user in the store and delivers user.created", async ({ page }) => {
  const email = `new-${Date.now()}@example.test`;
  await page.goto(`${app.origin}/sign-up`);
  await page.getByLabel("First name").fill("Grace");
  await page.getByLabel("Last name").fill("Hopper");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("a-long-enough-password");
  await page.getByRole("button", { name: "Continue", exact: true }).click();

  await page.waitForURL(`${app.origin}/user`);
  await expect.poll(async () => (await clerkState(page)).email).toBe(email);
  const user = standIn.store.findByIdentifier(email);
  expect(user).toMatchObject({ first_name: "Grace", last_name: "Hopper" });
  expect((await clerkState(page)).userId).toBe(user!.id);

  await expect
    .poll(() => standIn.deliveries.records({ type: "user.created", user_id: user!.id }).map((r) => r.state))
    .toEqual(["succeeded"]);
});

test("sign-up with a taken email shows Clerk's error", async ({ page }) => {
  await page.goto(`${app.origin}/sign-up`);
  await page.getByLabel("Email address").fill(DEMO.email);
  await page.getByLabel("Password", { exact: true }).fill("a-long-enough-password");
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await expect(page.locator(".cl-formFieldErrorText__emailAddress")).toHaveText(
    "That email address is taken. Please try another.",
  );
  expect((await clerkState(page)).userId).toBeNull();
});

test("sign-in in two steps, UserButton, then sign-out clears the session", async ({ page, context }) => {
  await page.goto(`${app.origin}/sign-in`);
  // The first screen carries a hidden password field: filling only the email exercises the two-step flow.
  await page.getByLabel("Email address").fill(DEMO.email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel("Password", { exact: true }).fill(DEMO.password);
  await page.getByRole("button", { name: "Continue", exact: true }).click();

  await page.waitForURL(`${app.origin}/user`);
  const demo = standIn.store.findByIdentifier(DEMO.email)!;
  await expect.poll(async () => (await clerkState(page)).userId).toBe(demo.id);
  const trigger = page.locator(".cl-userButtonTrigger");
  await expect(trigger).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("signed-in-user-button.png") });
  expect(Number(await cookieValue(context, "__client_uat"))).toBeGreaterThan(0);
  expect(await cookieValue(context, "__session")).toMatch(/^ey/);

  await trigger.click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();

  await expect.poll(async () => (await clerkState(page)).userId).toBeNull();
  await expect(trigger).toHaveCount(0);
  await expect.poll(() => cookieValue(context, "__client_uat")).toBe("0");
  await expect.poll(() => cookieValue(context, "__session")).toBeUndefined();
});

test("a wrong password shows Clerk's error and signs nobody in", async ({ page }) => {
  await page.goto(`${app.origin}/sign-in`);
  await page.getByLabel("Email address").fill(DEMO.email);
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await page.getByLabel("Password", { exact: true }).fill("not-the-password");
  await page.getByRole("button", { name: "Continue", exact: true }).click();

  await expect(page.locator(".cl-formFieldErrorText__password")).toHaveText(
    "Password is incorrect. Try again, or use another method.",
  );
  expect((await clerkState(page)).userId).toBeNull();
});

test("an unknown email shows Clerk's error", async ({ page }) => {
  await page.goto(`${app.origin}/sign-in`);
  await page.getByLabel("Email address").fill("nobody@example.test");
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await expect(page.locator(".cl-formFieldErrorText__identifier")).toHaveText("Couldn't find your account.");
});

test("POST /fapi/_testing/sign-in signs a browser in without the UI", async ({ page, context, request }) => {
  const response = await request.post(`${standIn.env().CLERK_PROXY_URL}/_testing/sign-in`, {
    data: { identifier: DEMO.email, origin: app.origin },
    headers: { authorization: `Bearer ${standIn.controlToken}` },
  });
  expect(response.status()).toBe(200);
  const body = (await response.json()) as { session_id: string; cookies: Parameters<BrowserContext["addCookies"]>[0] };
  await context.addCookies(body.cookies);

  await page.goto(`${app.origin}/user`);
  await expect.poll(async () => (await clerkState(page)).sessionId).toBe(body.session_id);
  await expect(page.locator(".cl-userButtonTrigger")).toBeVisible();
});

test.describe("with email verification by code", () => {
  let verifying: Awaited<ReturnType<typeof startWorld>>;
  test.beforeAll(async () => {
    verifying = await startWorld({ emailVerification: "email_code" });
  });
  test.afterAll(async () => {
    await verifying?.app.close();
    await verifying?.standIn.close();
  });

  test("sign-up asks for the emailed code and accepts 424242", async ({ page }) => {
    const email = `verify-${Date.now()}@example.test`;
    await page.goto(`${verifying.app.origin}/sign-up`);
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password", { exact: true }).fill("a-long-enough-password");
    await page.getByRole("button", { name: "Continue", exact: true }).click();

    await expect(page.getByRole("heading", { name: "Verify your email" })).toBeVisible();
    expect(verifying.standIn.store.findByIdentifier(email)).toBeUndefined();
    await page.getByRole("textbox").first().click();
    await page.keyboard.type("424242");

    await page.waitForURL(`${verifying.app.origin}/user`);
    await expect.poll(async () => (await clerkState(page)).email).toBe(email);
    expect(verifying.standIn.store.findByIdentifier(email)).toBeDefined();
  });
});
