import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, test } from "vitest";
import { formatReset } from "../src/cli-format.js";
import type { Logger } from "../src/logger.js";
import { OrganizationStore } from "../src/store/organizations.js";
import { STATE_SCHEMA_VERSION, StateFile } from "../src/store/state-file.js";
import { UserStore } from "../src/store/store.js";

const dirs: string[] = [];
const open: StateFile[] = [];

function statePath(): string {
  const dir = mkdtempSync(join(tmpdir(), "stand-in-orgs-"));
  dirs.push(dir);
  return join(dir, "data", "clerk-stand-in.db");
}

function recordingLogger() {
  const lines: string[] = [];
  const logger: Logger = { info: (line) => lines.push(line), warn: (line) => lines.push(line) };
  return { logger, lines };
}

function reopen(path: string, logger: Logger = recordingLogger().logger) {
  const file = StateFile.open(path, logger);
  open.push(file);
  const users = new UserStore(file);
  return { file, users, organizations: new OrganizationStore(users) };
}

afterEach(() => {
  for (const file of open.splice(0)) file.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * The schema of state files written before organizations (version 1), as that
 * version wrote it: frozen here, so the upgrade is tested against what is on
 * developers' disks rather than against the current code's idea of it.
 */
const VERSION_1_SCHEMA = `
  CREATE TABLE instance (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE users (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, json TEXT NOT NULL, password_hash TEXT);
  CREATE TABLE clients (id TEXT PRIMARY KEY, json TEXT NOT NULL);
  CREATE TABLE sessions (id TEXT PRIMARY KEY, json TEXT NOT NULL);
  CREATE TABLE webhook_endpoints (url TEXT PRIMARY KEY, position INTEGER NOT NULL);
  CREATE TABLE deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    json TEXT NOT NULL,
    payload TEXT NOT NULL,
    UNIQUE (message_id, endpoint)
  );
`;

describe("the state file keeps organizations", () => {
  test("organizations, slugs and memberships come back after a reopen; deletions stay deleted", () => {
    const path = statePath();
    const first = reopen(path);
    const ada = first.users.create({ email_address: ["ada@example.test"], first_name: "Ada" });
    const grace = first.users.create({ email_address: ["grace@example.test"], first_name: "Grace" });
    const acme = first.organizations.create({ name: "Acme", created_by: ada.id, private_metadata: { tier: 2 } });
    first.organizations.addMember(acme.id, grace.id, { role: "org:member" });
    first.organizations.updateMember(acme.id, grace.id, { role: "org:admin" });
    first.users.update(grace.id, { first_name: "Rear Admiral" });
    const gone = first.organizations.create({ name: "Gone", created_by: grace.id });
    first.organizations.delete(gone.id);
    const before = first.organizations.members(acme.id, { order_by: "created_at" });
    first.file.close();

    const second = reopen(path);
    expect(second.organizations.get(acme.slug)).toEqual(first.organizations.get(acme.id));
    expect(second.organizations.get(gone.id)).toBeUndefined();
    expect(second.organizations.members(acme.id, { order_by: "created_at" })).toEqual(before);
    expect(before.data[1]).toMatchObject({ role: "org:admin", public_user_data: { first_name: "Rear Admiral" } });
    expect(second.file.counts()).toMatchObject({ organizations: 1, memberships: 2 });
    // The restored indexes are live: the slug is taken and the membership exists.
    expect(() => second.organizations.create({ name: "Other", slug: acme.slug })).toThrow(/slug is taken/);
    expect(() => second.organizations.addMember(acme.id, ada.id, { role: "org:member" })).toThrow(/already/);
    // A new organization after the restart sorts after the old ones (the insertion counter goes on).
    const later = second.organizations.create({ name: "Later", created_at: acme.created_at });
    expect(second.organizations.list({ order_by: "created_at" }).data.map((org) => org.id)).toEqual([
      acme.id,
      later.id,
    ]);
  });

  test("a user's deletion and a reset leave no organization rows behind", () => {
    const path = statePath();
    const first = reopen(path);
    const ada = first.users.create({ email_address: ["ada@example.test"] });
    const acme = first.organizations.create({ name: "Acme", created_by: ada.id });
    first.users.delete(ada.id);
    expect(first.file.counts()).toMatchObject({ organizations: 1, memberships: 0 });
    first.organizations.addMember(acme.id, first.users.create({ first_name: "New" }).id, { role: "org:member" });
    first.users.reset();
    expect(first.file.counts()).toMatchObject({ users: 0, organizations: 0, memberships: 0 });
  });

  test("erasing the file counts the organizations and memberships, and names them only when there were some", () => {
    const path = statePath();
    const first = reopen(path);
    const ada = first.users.create({ email_address: ["ada@example.test"] });
    first.organizations.create({ name: "Acme", created_by: ada.id });
    first.organizations.create({ name: "Globex", created_by: ada.id });
    first.file.close();
    open.length = 0;

    const erased = StateFile.erase(path, recordingLogger().logger)!;
    expect(erased).toMatchObject({ users: 1, organizations: 2, memberships: 2 });
    expect(formatReset({ ok: true, stateFile: path, erased })).toMatch(
      /: 1 user, 2 organizations, 2 memberships, 0 clients, 0 sessions, \d+ deliveries, 0 key sets\./,
    );
    const again = StateFile.erase(path, recordingLogger().logger)!;
    expect(again).not.toHaveProperty("organizations");
    expect(formatReset({ ok: true, stateFile: path, erased: again })).toContain(": 0 users, 0 clients, 0 sessions");
  });

  test(`a state file written by version 1 is upgraded in place to version ${STATE_SCHEMA_VERSION}, keeping what it had`, () => {
    const path = statePath();
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const old = new Database(path);
    old.exec(VERSION_1_SCHEMA);
    const user = {
      object: "user",
      id: "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
      first_name: "Ada",
      last_name: null,
      username: null,
      external_id: null,
      email_addresses: [],
      primary_email_address_id: null,
      image_url: "data:image/svg+xml;base64,",
      has_image: false,
      created_at: 1_716_883_200_000,
      updated_at: 1_716_883_200_000,
    };
    old
      .prepare("INSERT INTO users (id, seq, json, password_hash) VALUES (?, 0, ?, NULL)")
      .run(user.id, JSON.stringify(user));
    old.prepare("INSERT INTO instance (key, value) VALUES ('instanceId', 'ins_kept')").run();
    old.prepare("INSERT INTO clients (id, json) VALUES ('client_kept', '{\"id\":\"client_kept\"}')").run();
    old.pragma("user_version = 1");
    old.close();

    const { logger, lines } = recordingLogger();
    const upgraded = reopen(path, logger);
    expect(lines).toEqual([]);
    expect(readdirSync(dirname(path)).filter((name) => name.includes(".unreadable-"))).toEqual([]);
    expect(upgraded.users.get(user.id)).toMatchObject({ first_name: "Ada" });
    expect(upgraded.file.instance().instanceId).toBe("ins_kept");
    expect(upgraded.file.load("clients")).toEqual([{ id: "client_kept" }]);
    const acme = upgraded.organizations.create({ name: "Acme", created_by: user.id });
    upgraded.file.close();

    const check = new Database(path, { readonly: true });
    expect(check.pragma("user_version", { simple: true })).toBe(STATE_SCHEMA_VERSION);
    check.close();
    const again = reopen(path);
    expect(again.organizations.getMembership(acme.id, user.id)).toMatchObject({ role: "org:admin" });
  });
});
