import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, test } from "vitest";
import { FaultSwitches } from "../src/control/faults.js";
import { SessionManager } from "../src/frontend-api/sessions.js";
import { openInstance } from "../src/instance.js";
import type { Logger } from "../src/logger.js";
import { StateFile, StateFileInUse } from "../src/store/state-file.js";
import { UserStore } from "../src/store/store.js";
import { WebhookDeliveries } from "../src/webhooks/deliveries.js";
import { startWebhookReceiver } from "./support/webhook-receiver.js";

const dirs: string[] = [];
const open: Array<{ close(): void }> = [];

function statePath(): string {
  const dir = mkdtempSync(join(tmpdir(), "stand-in-state-"));
  dirs.push(dir);
  return join(dir, "data", "clerk-stand-in.db");
}

function recordingLogger() {
  const lines: string[] = [];
  const logger: Logger = { info: (line) => lines.push(line), warn: (line) => lines.push(line) };
  return { logger, lines };
}

function openState(path: string, logger: Logger = recordingLogger().logger): StateFile {
  const state = StateFile.open(path, logger);
  open.push(state);
  return state;
}

afterEach(() => {
  for (const item of open.splice(0)) item.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the state file", () => {
  test("is created 0600 in a 0700 folder", () => {
    const path = statePath();
    openState(path).close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, "..")).mode & 0o777).toBe(0o700);
  });

  test("users, password hashes and identifiers come back after a reopen", () => {
    const path = statePath();
    const first = new UserStore(openState(path));
    const ada = first.create({ email_address: ["ada@example.test"], password: "correct horse", username: "ada_l" });
    first.update(ada.id, { first_name: "Ada" });
    first.seed([{ email_address: ["grace@example.test"] }, { email_address: ["alan@example.test"] }]);
    const gone = first.create({ email_address: ["gone@example.test"] });
    first.delete(gone.id);
    first.stateFile!.close();

    const second = new UserStore(openState(path));
    expect(second.size).toBe(3);
    expect(second.get(ada.id)).toEqual(first.get(ada.id));
    expect(second.verifyPassword(ada.id, "correct horse")).toBe(true);
    expect(second.verifyPassword(ada.id, "wrong horse!")).toBe(false);
    expect(second.findByIdentifier("ADA_L")?.id).toBe(ada.id);
    expect(second.get(gone.id)).toBeUndefined();
    expect(second.list({ order_by: "+created_at" }).map((user) => user.id)).toEqual(
      first.list({ order_by: "+created_at" }).map((user) => user.id),
    );
    // The identifiers are taken again: the restored indexes are live.
    expect(() => second.create({ email_address: ["grace@example.test"] })).toThrow(/taken|exists/i);
  });

  test("a seed batch that fails half-way keeps in the file what it kept in memory", () => {
    const path = statePath();
    const store = new UserStore(openState(path));
    expect(() =>
      store.seed([{ email_address: ["one@example.test"] }, { email_address: ["one@example.test"] }]),
    ).toThrow();
    store.stateFile!.close();
    expect(new UserStore(openState(path)).size).toBe(store.size);
  });

  test("reset erases the users and the sessions hanging off them, and says how many", () => {
    const path = statePath();
    const store = new UserStore(openState(path));
    const instance = { signJwt: () => "token" };
    const sessions = new SessionManager({ keys: instance, users: store, issuer: "https://stand-in.test" });
    const user = store.create({ email_address: ["ada@example.test"] });
    sessions.createSession(sessions.ensureClient(null), user.id);

    expect(store.reset()).toBe(1);
    store.stateFile!.close();
    expect(openState(path).counts()).toMatchObject({ users: 0, sessions: 0, clients: 0 });
  });

  test("reset empties the sessions in the file even before anything has loaded them", () => {
    const path = statePath();
    const store = new UserStore(openState(path));
    const sessions = new SessionManager({
      keys: { signJwt: () => "token" },
      users: store,
      issuer: "https://stand-in.test",
    });
    sessions.createSession(sessions.ensureClient(null), store.create({ email_address: ["ada@example.test"] }).id);
    sessions.close();
    store.stateFile!.close();

    // A restarted stand-in whose Frontend API has not been called yet: no session manager listens.
    const restarted = new UserStore(openState(path));
    restarted.reset();
    restarted.stateFile!.close();
    expect(openState(path).counts()).toMatchObject({ users: 0, clients: 0, sessions: 0 });
  });

  test("clients and sessions survive, so the browser's __client cookie still names a signed-in client", async () => {
    const path = statePath();
    const keys = { signJwt: (payload: Record<string, unknown>) => JSON.stringify(payload) };
    const store = new UserStore(openState(path));
    const sessions = new SessionManager({ keys, users: store, issuer: "https://stand-in.test" });
    const user = store.create({ email_address: ["ada@example.test"] });
    const client = sessions.ensureClient(null);
    const session = sessions.createSession(client, user.id, "http://localhost:3000");
    sessions.close();
    store.stateFile!.close();

    const restoredStore = new UserStore(openState(path));
    const restored = new SessionManager({ keys, users: restoredStore, issuer: "https://stand-in.test" });
    const restoredClient = restored.getClient(client.id)!;
    expect(restoredClient).toMatchObject({ lastActiveSessionId: session.id, uatSeconds: client.uatSeconds });
    expect(restored.activeSessions(restoredClient).map((s) => s.id)).toEqual([session.id]);
    expect(JSON.parse(await restored.mintSessionToken(restored.getSession(session.id)!))).toMatchObject({
      sub: user.id,
      sid: session.id,
    });
    // A sign-out after the restart is kept too.
    restored.endAllSessions(restoredClient);
    restoredStore.stateFile!.close();
    const again = new SessionManager({ keys, users: new UserStore(openState(path)), issuer: "https://stand-in.test" });
    expect(again.activeSessions(again.getClient(client.id)!)).toEqual([]);
  });

  test("keys, kid, secret key, webhook secret and instance id are the same after a reopen", () => {
    const path = statePath();
    const { logger } = recordingLogger();
    const first = openInstance({ stateFile: path }, logger);
    const firstKeys = first.createKeys({ frontendHost: "127.0.0.1:4010", live: true });
    first.stateFile!.close();

    const second = openInstance({ stateFile: path }, logger);
    open.push(second.stateFile!);
    const secondKeys = second.createKeys({ frontendHost: "127.0.0.1:4011", live: true });
    expect(second.webhookSecret).toBe(first.webhookSecret);
    expect(second.instanceId).toBe(first.instanceId);
    expect(secondKeys.kid).toBe(firstKeys.kid);
    expect(secondKeys.secretKey).toBe(firstKeys.secretKey);
    expect(secondKeys.jwks()).toEqual(firstKeys.jwks());
    expect(secondKeys.publicKeyPem).toBe(firstKeys.publicKeyPem);
    // The publishable key names this start's host.
    expect(secondKeys.publishableKey).not.toBe(firstKeys.publishableKey);
  });

  test("a webhook secret given at start replaces the saved one", () => {
    const path = statePath();
    const { logger } = recordingLogger();
    openInstance({ stateFile: path }, logger).stateFile!.close();
    openInstance({ stateFile: path, webhookSecret: "whsec_Z2l2ZW4=" }, logger).stateFile!.close();
    const third = openInstance({ stateFile: path }, logger);
    open.push(third.stateFile!);
    expect(third.webhookSecret).toBe("whsec_Z2l2ZW4=");
  });

  test("the delivery log and the endpoints survive; a delivery pending at shutdown is sent on the next start", async () => {
    const path = statePath();
    const receiver = await startWebhookReceiver();
    try {
      const options = { secret: "whsec_c2VjcmV0", instanceId: "ins_test", timeScale: 0 };
      const store = new UserStore(openState(path));
      const faults = new FaultSwitches();
      const deliveries = new WebhookDeliveries({
        ...options,
        faults,
        endpoints: [receiver.url],
        stateFile: store.stateFile,
      });
      deliveries.attach(store);
      const sent = store.create({ email_address: ["sent@example.test"] });
      await deliveries.waitForIdle();
      // The reorder fault holds the next message back: it is still pending when the stand-in stops.
      faults.setDeliveryFaults({ reorder: 2 });
      const held = store.create({ email_address: ["held@example.test"] });
      expect(deliveries.records({ state: "pending" })).toHaveLength(1);
      deliveries.close();
      store.stateFile!.close();
      expect(receiver.received).toHaveLength(1);

      const restoredStore = new UserStore(openState(path));
      // No endpoints named at this start: the remembered one is used.
      const restored = new WebhookDeliveries({
        ...options,
        faults: new FaultSwitches(),
        stateFile: restoredStore.stateFile,
      });
      expect(restored.endpoints).toEqual([receiver.url]);
      await restored.waitForIdle();
      expect(receiver.received).toHaveLength(2);
      expect(restored.records()).toMatchObject([
        { user_id: sent.id, state: "succeeded", attempts: [{ status: 204 }] },
        { user_id: held.id, state: "succeeded", attempts: [{ status: 204 }] },
      ]);
      expect(JSON.parse(receiver.received[1].rawBody)).toMatchObject({ type: "user.created", data: { id: held.id } });
      restored.close();
      restoredStore.stateFile!.close();
      expect(openState(path).counts().deliveries).toBe(2);
    } finally {
      await receiver.close();
    }
  });

  test("a second stand-in on the same file is refused, naming the file", () => {
    const path = statePath();
    openState(path);
    expect(() => StateFile.open(path, recordingLogger().logger)).toThrow(StateFileInUse);
  });

  test("a file of another schema version is moved aside with one log line, not a crash", () => {
    const path = statePath();
    openState(path).close();
    const old = new Database(path);
    old.pragma("user_version = 0");
    old.exec("DROP TABLE sessions");
    old.close();
    const { logger, lines } = recordingLogger();

    const store = new UserStore(openState(path, logger));
    expect(store.size).toBe(0);
    store.create({ email_address: ["ada@example.test"] });
    expect(lines).toEqual([
      expect.stringMatching(/schema version 0.*moved to .*unreadable.*starting with a fresh state/),
    ]);
    expect(readdirSync(join(path, "..")).some((name) => name.includes(".unreadable-"))).toBe(true);
  });

  test("a file that is not SQLite at all is moved aside too", () => {
    const path = statePath();
    openState(path).close();
    writeFileSync(path, "not a database, just text that happens to be here\n".repeat(100));
    const { logger, lines } = recordingLogger();
    expect(new UserStore(openState(path, logger)).size).toBe(0);
    expect(lines).toEqual([expect.stringMatching(/could not be read/)]);
  });
});
