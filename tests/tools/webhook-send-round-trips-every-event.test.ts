import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookSend } from "../../scripts/lib/webhook-send-command";
import { freePort, ROOT, startBuiltApp, type RunningApp } from "../support/app-server";
import { TEST_SECOND_WEBHOOK_SECRET, TEST_WEBHOOK_SECRET } from "../support/test-env";
import { startTunnelProxy, type TunnelProxy } from "../support/tunnel-proxy";

const dir = mkdtempSync(join(tmpdir(), "clerk-sync-trigger-"));
const databasePath = join(dir, "app.db");
let app: RunningApp;
let proxy: TunnelProxy;

beforeAll(async () => {
  app = await startBuiltApp({
    DATABASE_URL: databasePath,
    CLERK_WEBHOOK_SIGNING_SECRET: TEST_WEBHOOK_SECRET,
    CLERK_PUBLISHABLE_KEY: process.env.CLERK_PUBLISHABLE_KEY,
    CLERK_SECRET_KEY: process.env.CLERK_SECRET_KEY,
  });
  proxy = await startTunnelProxy(app.url);
});
afterAll(async () => {
  await proxy?.close();
  await app?.stop();
});

/** Runs the command in-process with the developer's environment: the app's secret first in the list. */
async function send(args: string[], env: Record<string, string | undefined> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await webhookSend(args, {
    env: {
      CLERK_WEBHOOK_SIGNING_SECRET: `${TEST_WEBHOOK_SECRET} ${TEST_SECOND_WEBHOOK_SECRET}`,
      DATABASE_URL: databasePath,
      PORT: new URL(app.url).port,
      ...env,
    },
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    // No stand-in to fall back on unless a test starts one: a developer's running `npm run dev` must not answer.
    standInControlFile: join(tmpdir(), "no-stand-in-here.control.json"),
  });
  return { code, stdout, stderr };
}

function userRow(clerkId: string) {
  const db = new Database(databasePath, { readonly: true });
  try {
    return db
      .prepare("select email, first_name, last_name, deleted_at, sync_source from users where clerk_id = ?")
      .get(clerkId);
  } finally {
    db.close();
  }
}

describe("npm run webhook:send", () => {
  it("round-trips user.created, user.updated and user.deleted, printing the status and the outcome in webhook_events", async () => {
    const created = await send(["user.created", "--user", "user_trigger_1", "--to", `${app.url}/api/webhooks/clerk`]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(
      /^Clerk: your instance's webhook signing secret \(from the shell\)\n→ POST http:\/\/127\.0\.0\.1:\d+\/api\/webhooks\/clerk\n {2}user\.created for user_trigger_1 · svix-id msg_\w+ · signed with CLERK_WEBHOOK_SIGNING_SECRET\n← 200 OK {2}\{"ok":true,"outcome":"created"\}\n {2}webhook_events: processed, outcome created \(attempt 1\)\n$/,
    );
    expect(userRow("user_trigger_1")).toEqual({
      email: "user_trigger_1@example.com",
      first_name: "Ada",
      last_name: "Lovelace",
      deleted_at: null,
      sync_source: "webhook",
    });

    // No --to: http://localhost:$PORT/api/webhooks/clerk.
    const updated = await send(["user.updated", "--user", "user_trigger_1"]);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain(`→ POST http://localhost:${new URL(app.url).port}/api/webhooks/clerk\n`);
    expect(updated.stdout).toContain("webhook_events: processed, outcome updated (attempt 1)");
    expect(userRow("user_trigger_1")).toMatchObject({ last_name: "King" });

    const deleted = await send(["user.deleted", "--user", "user_trigger_1"]);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('← 200 OK  {"ok":true,"outcome":"deleted"}');
    expect(deleted.stdout).toContain("webhook_events: processed, outcome deleted (attempt 1)");
    expect(userRow("user_trigger_1")).toMatchObject({ email: null, deleted_at: expect.any(Number) });
  });

  it("shows the rejection of a bad signature, with nothing written", async () => {
    const rejected = await send(["user.created", "--user", "user_trigger_bad", "--bad-signature"]);
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toContain("signed with a wrong secret, on purpose");
    expect(rejected.stdout).toContain('← 400 Bad Request  {"error":"invalid_signature"}');
    expect(rejected.stdout).toContain(
      "webhook_events: no row: the app rejected it before writing anything, as it should",
    );
    expect(userRow("user_trigger_bad")).toBeUndefined();
  });

  it("sends a saved payload with --file: a whole event as is, or bare user data wrapped in the given type", async () => {
    const event = join(ROOT, "tests/fixtures/clerk/openapi-user-created.json");
    const whole = await send(["--file", event]);
    expect(whole.code).toBe(0);
    expect(whole.stdout).toMatch(/user\.created for user_\w+ · svix-id/);
    expect(whole.stdout).toContain("webhook_events: processed, outcome created");

    const bare = join(dir, "bare-user.json");
    writeFileSync(
      bare,
      JSON.stringify({
        id: "user_from_file",
        object: "user",
        email_addresses: [],
        first_name: "Grace",
        created_at: 1,
        updated_at: 2,
      }),
    );
    const wrapped = await send(["user.updated", "--file", bare]);
    expect(wrapped.code).toBe(0);
    expect(wrapped.stdout).toContain("user.updated for user_from_file");
    expect(userRow("user_from_file")).toMatchObject({ first_name: "Grace" });
  });

  it("sends each organization and membership event type, and the app stores each in turn", async () => {
    const subjects = ["--org", "org_trigger_1", "--user", "user_trigger_member", "--membership", "orgmem_trigger_1"];
    const expected: [string, string][] = [
      ["organization.created", "created"],
      ["organizationMembership.created", "created"],
      ["organizationMembership.updated", "updated"],
      ["organization.updated", "updated"],
      ["organizationMembership.deleted", "deleted"],
      ["organization.deleted", "deleted"],
    ];
    const stored = () => {
      const db = new Database(databasePath, { readonly: true });
      try {
        return {
          organization: db
            .prepare("select name, deleted_at from organizations where clerk_id = ?")
            .get("org_trigger_1"),
          membership: db
            .prepare("select role, deleted_at from organization_memberships where clerk_id = ?")
            .get("orgmem_trigger_1"),
        };
      } finally {
        db.close();
      }
    };
    for (const [type, outcome] of expected) {
      const sent = await send([type, ...subjects]);
      expect(sent.code, `${type}: ${sent.stderr}`).toBe(0);
      expect(sent.stdout).toContain(`webhook_events: processed, outcome ${outcome} (attempt 1)`);
      if (type === "organization.updated") {
        expect(stored()).toEqual({
          organization: { name: "Acme Inc", deleted_at: null },
          membership: { role: "org:admin", deleted_at: null },
        });
      }
    }
    expect(stored()).toMatchObject({
      organization: { deleted_at: expect.any(Number) },
      membership: { deleted_at: expect.any(Number) },
    });
  });

  it("is verified behind a tunnel-like reverse proxy that rewrites Host and adds X-Forwarded-*", async () => {
    const through = await send([
      "user.created",
      "--user",
      "user_behind_proxy",
      "--to",
      `${proxy.url}/api/webhooks/clerk`,
    ]);
    expect(through.code).toBe(0);
    expect(through.stdout).toContain("webhook_events: processed, outcome created");
    expect(proxy.forwarded.at(-1)).toMatchObject({ method: "POST", path: "/api/webhooks/clerk", status: 200 });
  });

  it("explains what is wrong: unknown type, nothing listening, missing secret", async () => {
    const unknown = await send(["user.banned"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      'Unknown event type "user.banned": use user.created, user.updated, user.deleted, organization.created, ' +
        "organization.updated, organization.deleted, organizationMembership.created, organizationMembership.updated, " +
        "organizationMembership.deleted, or --file for any other event.",
    );

    const closedPort = await freePort();
    const nobody = await send(["user.created"], { PORT: String(closedPort) });
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain(`Nothing answered at http://localhost:${closedPort}/api/webhooks/clerk`);
    expect(nobody.stderr).toContain("Is the app running?");

    const noSecret = await send(["user.created"], { CLERK_WEBHOOK_SIGNING_SECRET: undefined });
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain("CLERK_WEBHOOK_SIGNING_SECRET is not set (neither in the shell nor in");
    expect(noSecret.stderr).toContain("no offline Clerk stand-in is running");
  });

  it("is wired as an npm script", async () => {
    const child = spawn(
      "npm",
      ["run", "-s", "webhook:send", "--", "user.created", "--to", `${app.url}/api/webhooks/clerk`],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NODE_ENV: "development",
          CLERK_WEBHOOK_SIGNING_SECRET: TEST_WEBHOOK_SECRET,
          DATABASE_URL: databasePath,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    const code = await new Promise((resolve) => child.once("close", resolve));
    expect(code).toBe(0);
    expect(stdout).toContain("webhook_events: processed, outcome created (attempt 1)");
  });
});
