import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { expect, test, type Page } from "@playwright/test";
import { DEMO_USER, startOfflineClerk, type OfflineClerk } from "../../scripts/offline-env";
import { freePort, startBuiltApp, type RunningApp } from "../support/app-server";
import { uniqueEmail } from "./support/world";

/**
 * `npm run dev` stopped and started again: the stand-in comes back from its
 * state file on the same port, and the browser that signed up before the
 * restart is still signed in as the same Clerk user. Its own stand-in and app,
 * not the suite's shared world, because it stops the stand-in.
 */

let dir: string;
let app: RunningApp | undefined;
let offline: OfflineClerk | undefined;

test.afterEach(async () => {
  await app?.stop();
  await offline?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function profileClerkId(page: Page, appUrl: string): Promise<string> {
  // The row exists once the user.created webhook has landed: reload until it has.
  await expect(async () => {
    await page.goto(`${appUrl}/profile`);
    await expect(page.locator('[data-field="clerk-id"]')).toHaveText(/user_/, { timeout: 1_000 });
  }).toPass();
  return (await page.locator('[data-field="clerk-id"]').innerText()).trim();
}

function demoRows(databasePath: string): number {
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("select count(*) as n from users where email = ?").get(DEMO_USER.email) as { n: number }).n;
  } finally {
    db.close();
  }
}

test("after a restart of the stand-in on its state file, the same browser is still signed in as the same Clerk user", async ({
  page,
  context,
}) => {
  dir = mkdtempSync(join(tmpdir(), "clerk-sync-restart-"));
  const stateFile = join(dir, "data", "clerk-stand-in.db");
  const databasePath = join(dir, "app.db");
  const [port, appPort] = [await freePort(), await freePort()];
  const options = { port, appPort, stateFile, seedDemoUser: false, timeScale: 0.001 };

  offline = await startOfflineClerk(options);
  // The app keeps this environment across the stand-in's restart, as `remix dev` does.
  const env = offline.env;
  app = await startBuiltApp({ ...env, PORT: String(appPort), DATABASE_URL: databasePath, LOG_LEVEL: "warn" });
  const demoId = offline.seedDemoUser().id;
  await offline.standIn.deliveries.waitForIdle();

  const email = uniqueEmail("restart");
  await page.goto(`${offline.appUrl}/sign-up`);
  await page.getByLabel(/email address/i).fill(email);
  await page.getByLabel(/^password/i).fill("a-long-Sign-up-passw0rd");
  await page.getByRole("button", { name: "Continue", exact: true }).click();
  await expect(page).toHaveURL(/\/profile$/);
  const clerkId = await profileClerkId(page, offline.appUrl);

  await offline.close();
  offline = await startOfflineClerk(options);
  expect(offline.env).toEqual(env);
  expect(offline.seedDemoUser().id).toBe(demoId);

  // Without its session token the browser must ask the restarted stand-in, with its __client cookie, for a new one.
  await context.clearCookies({ name: "__session" });
  expect(await profileClerkId(page, offline.appUrl)).toBe(clerkId);
  await expect(page.locator('[data-field="email"]')).toHaveText(email);

  await offline.standIn.deliveries.waitForIdle();
  expect(demoRows(databasePath)).toBe(1);
});
