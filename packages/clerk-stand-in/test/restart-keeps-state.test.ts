import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClerkClient, verifyToken } from "@clerk/backend";
import { afterEach, describe, expect, test } from "vitest";
import { startClerkStandIn, type ClerkStandIn, type StandInOptions } from "../src/server.js";
import { StateFile } from "../src/store/state-file.js";
import { silentLogger } from "../src/logger.js";
import { startWebhookReceiver } from "./support/webhook-receiver.js";

/** The stand-in with a state file, stopped and started again as `npm run dev` is. */

const APP = "http://localhost:3000";
const running: Array<{ close(): Promise<void> }> = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const item of running.splice(0).reverse()) await item.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function stateFilePath(): string {
  const dir = mkdtempSync(join(tmpdir(), "stand-in-restart-"));
  dirs.push(dir);
  return join(dir, "clerk-stand-in.db");
}

async function start(options: StandInOptions): Promise<ClerkStandIn> {
  const standIn = await startClerkStandIn({
    publishableKeyKind: "live",
    frontendHost: (url) => new URL(url).host,
    timeScale: 0,
    // clerk-js' token refreshes below come from the app's page, which the Frontend API only takes writes from.
    frontend: { allowedOrigins: [APP] },
    ...options,
  });
  running.push(standIn);
  return standIn;
}

async function stop(standIn: ClerkStandIn): Promise<void> {
  running.splice(running.indexOf(standIn), 1);
  await standIn.close();
}

async function testingSignIn(standIn: ClerkStandIn, body: Record<string, string>) {
  const response = await fetch(`${standIn.url}/fapi/_testing/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${standIn.controlToken}` },
    body: JSON.stringify({ origin: APP, ...body }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { session_id: string; client_id: string; user_id: string },
  };
}

/** What clerk-js does every minute: a fresh session token for the browser's `__client` cookie. */
async function refreshToken(standIn: ClerkStandIn, clientId: string, sessionId: string) {
  const response = await fetch(`${standIn.env().CLERK_PROXY_URL}/v1/client/sessions/${sessionId}/tokens`, {
    method: "POST",
    headers: { origin: APP, cookie: `__client=${clientId}` },
  });
  return { status: response.status, body: (await response.json()) as { jwt?: string } };
}

describe("a stand-in started again on the same state file", () => {
  test("keeps users, passwords, sessions, keys, secrets and the delivery log", async () => {
    const stateFile = stateFilePath();
    const receiver = await startWebhookReceiver();
    running.push(receiver);
    const first = await start({ stateFile, webhookUrls: [receiver.url] });
    const clerk = createClerkClient({ secretKey: first.keys.secretKey, apiUrl: first.url });
    const ada = await clerk.users.createUser({ emailAddress: ["ada@example.test"], password: "correct horse battery" });
    const signedIn = await testingSignIn(first, { identifier: "ada@example.test", password: "correct horse battery" });
    expect(signedIn.status).toBe(200);
    await first.deliveries.waitForIdle();
    const before = {
      env: first.env(),
      jwks: first.keys.jwks(),
      webhookSecret: first.webhookSecret,
      instanceId: first.instanceId,
      deliveries: first.deliveries.records(),
    };
    await stop(first);

    // Another port on purpose: only the publishable key (it names the host) and the URLs may change.
    const second = await start({ stateFile });
    expect(second.keys.jwks()).toEqual(before.jwks);
    expect(second.env().CLERK_JWT_KEY).toBe(before.env.CLERK_JWT_KEY);
    expect(second.env().CLERK_SECRET_KEY).toBe(before.env.CLERK_SECRET_KEY);
    expect(second.webhookSecret).toBe(before.webhookSecret);
    expect(second.instanceId).toBe(before.instanceId);
    expect(second.deliveries.endpoints).toEqual([receiver.url]);
    expect(second.deliveries.records()).toEqual(before.deliveries);
    expect(before.deliveries).toMatchObject([{ type: "user.created", user_id: ada.id, state: "succeeded" }]);

    const again = createClerkClient({ secretKey: second.keys.secretKey, apiUrl: second.url });
    expect((await again.users.getUser(ada.id)).emailAddresses[0].emailAddress).toBe("ada@example.test");
    expect(
      (await testingSignIn(second, { identifier: "ada@example.test", password: "correct horse battery" })).status,
    ).toBe(200);
    expect(
      (await testingSignIn(second, { identifier: "ada@example.test", password: "wrong horse battery" })).status,
    ).toBe(422);

    // The browser's session from before the restart still yields tokens the app accepts with its old CLERK_JWT_KEY.
    const refreshed = await refreshToken(second, signedIn.body.client_id, signedIn.body.session_id);
    expect(refreshed.status).toBe(200);
    const claims = await verifyToken(refreshed.body.jwt!, {
      jwtKey: before.env.CLERK_JWT_KEY,
      authorizedParties: [APP],
    });
    expect(claims).toMatchObject({ sub: ada.id, sid: signedIn.body.session_id });
  });

  test("reset erases users, sessions and deliveries for good, and keeps the keys the app was given", async () => {
    const stateFile = stateFilePath();
    const first = await start({ stateFile });
    const user = first.store.create({ email_address: ["grace@example.test"] });
    const signedIn = await testingSignIn(first, { user_id: user.id });
    const reset = await fetch(`${first.url}/_control/reset`, {
      method: "POST",
      headers: { authorization: `Bearer ${first.controlToken}` },
    });
    expect(await reset.json()).toEqual({ ok: true, erased: { users: 1, deliveries: 0 } });
    const kid = first.keys.kid;
    await stop(first);

    const second = await start({ stateFile });
    expect(second.store.size).toBe(0);
    expect(second.keys.kid).toBe(kid);
    expect((await refreshToken(second, signedIn.body.client_id, signedIn.body.session_id)).status).not.toBe(200);
  });

  test("with no stand-in running, erasing the file starts over entirely and counts what it erased", async () => {
    const stateFile = stateFilePath();
    const first = await start({ stateFile });
    first.store.seed([{ email_address: ["a@example.test"] }, { email_address: ["b@example.test"] }]);
    const kid = first.keys.kid;
    expect(() => StateFile.erase(stateFile, silentLogger)).toThrow(/in use by another Clerk stand-in/);
    await stop(first);

    expect(StateFile.erase(stateFile, silentLogger)).toEqual({
      users: 2,
      clients: 0,
      sessions: 0,
      deliveries: 0,
      keys: 1,
    });
    const second = await start({ stateFile });
    expect(second.store.size).toBe(0);
    expect(second.keys.kid).not.toBe(kid);
  });

  test("without a state file nothing is kept (what the tests and --ephemeral use)", async () => {
    const first = await start({});
    first.store.create({ email_address: ["ada@example.test"] });
    const kid = first.keys.kid;
    await stop(first);
    const second = await start({});
    expect(second.store.size).toBe(0);
    expect(second.keys.kid).not.toBe(kid);
  });
});
