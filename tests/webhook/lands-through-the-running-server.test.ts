import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture, signBody } from "../support/clerk-webhooks";
import { runBuiltAppUntilExit, startBuiltApp, type RunningApp } from "../support/app-server";
import { TEST_WEBHOOK_SECRET } from "../support/test-env";

const dir = mkdtempSync(join(tmpdir(), "clerk-sync-http-"));
const databasePath = join(dir, "nested", "app.db");
const env = {
  DATABASE_URL: `file:${databasePath}`,
  CLERK_WEBHOOK_SIGNING_SECRET: TEST_WEBHOOK_SECRET,
  CLERK_PUBLISHABLE_KEY: process.env.CLERK_PUBLISHABLE_KEY,
  CLERK_SECRET_KEY: process.env.CLERK_SECRET_KEY,
  LOG_LEVEL: "info",
};
let app: RunningApp;

beforeAll(async () => {
  app = await startBuiltApp(env);
});
afterAll(async () => {
  await app?.stop();
});

describe("the production server (remix-serve) takes a signed delivery over HTTP", () => {
  it("stores Clerk's example user.created with its primary email, and logs one line without personal data", async () => {
    const event = loadFixture("seed-002-user-created");
    const body = JSON.stringify(event);
    const headers = signBody(body);
    const response = await fetch(`${app.url}/api/webhooks/clerk`, { method: "POST", headers, body });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, outcome: "created" });

    const db = new Database(databasePath, { readonly: true });
    const row = db.prepare("select email, sync_source from users where clerk_id = ?").get(event.data.id);
    db.close();
    expect(row).toEqual({ email: "example@example.org", sync_source: "webhook" });

    await expect.poll(() => app.output()).toContain(headers["svix-id"]);
    const line = app
      .output()
      .split("\n")
      .find((l) => l.includes(headers["svix-id"]))!;
    expect(JSON.parse(line)).toMatchObject({
      event: "clerk_webhook",
      type: "user.created",
      outcome: "created",
      status: 200,
    });
    expect(JSON.parse(line).ms).toEqual(expect.any(Number));
    for (const secretOrPersonal of ["example@example.org", "Example", TEST_WEBHOOK_SECRET, headers["svix-signature"]]) {
      expect(app.output()).not.toContain(secretOrPersonal);
    }
  });

  it("applies the committed migrations on start: the tables exist before any delivery", () => {
    const db = new Database(databasePath, { readonly: true });
    const tables = db.prepare("select name from sqlite_master where type = 'table' order by name").all();
    const journal = db.prepare("pragma journal_mode").get();
    db.close();
    expect(tables.map((t: any) => t.name)).toEqual(
      expect.arrayContaining(["users", "webhook_events", "__drizzle_migrations"]),
    );
    expect(journal).toEqual({ journal_mode: "wal" });
  });

  it("answers 413 over HTTP to a body over 1 MiB", async () => {
    const body = "x".repeat(1024 * 1024 + 1);
    const response = await fetch(`${app.url}/api/webhooks/clerk`, { method: "POST", headers: signBody(body), body });
    expect(response.status).toBe(413);
  });
});

describe("start-up refuses a missing or malformed setting with a message naming it", () => {
  it.each([
    ["CLERK_WEBHOOK_SIGNING_SECRET", { CLERK_WEBHOOK_SIGNING_SECRET: undefined }],
    ["CLERK_WEBHOOK_SIGNING_SECRET", { CLERK_WEBHOOK_SIGNING_SECRET: "whsec_???" }],
    ["CLERK_SECRET_KEY", { CLERK_SECRET_KEY: undefined }],
  ])("%s", async (name, override) => {
    const { code, output } = await runBuiltAppUntilExit({ ...env, ...override });
    expect(code).toBe(1);
    expect(output).toContain(`clerk-sync cannot start: ${name}`);
    expect(output).not.toContain("[remix-serve]");
  });
});
