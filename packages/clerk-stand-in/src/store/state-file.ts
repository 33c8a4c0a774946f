import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Logger } from "../logger.js";
import type { MembershipRecord, OrganizationRecord } from "./organizations.js";
import { userJsonText } from "./user-json.js";
import type { UserRecord } from "./user-list.js";

/**
 * Bump when a table changes shape, and add the change to MIGRATIONS: a file
 * of an older version is brought up to date in place (users, keys and
 * sessions stay); one of an unknown version is moved aside and started
 * afresh, as this is a development tool's memory, not data anyone must keep.
 */
export const STATE_SCHEMA_VERSION = 2;

/** What each version adds, in order: a new file runs them all, an older file those it lacks. */
const MIGRATIONS: Record<number, string> = {
  1: `
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
  `,
  2: `
    CREATE TABLE organizations (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, json TEXT NOT NULL);
    CREATE TABLE organization_memberships (
      id TEXT PRIMARY KEY,
      organization_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      json TEXT NOT NULL,
      UNIQUE (organization_id, user_id)
    );
  `,
};

type Table =
  | "users"
  | "clients"
  | "sessions"
  | "deliveries"
  | "instance"
  | "webhook_endpoints"
  | "organizations"
  | "organization_memberships";

/** What a stand-in instance is, beyond its users: kept so the app's .env stays valid across restarts. */
export interface SavedInstance {
  instanceId?: string;
  webhookSecret?: string;
  secretKey?: string;
  kid?: string;
  privateKeyPem?: string;
}

export interface StateCounts {
  users: number;
  clients: number;
  sessions: number;
  deliveries: number;
  organizations: number;
  memberships: number;
}

/** What `erase` removed; organizations and memberships are named only when there were some. */
export type ErasedState = Omit<StateCounts, "organizations" | "memberships"> &
  Partial<Pick<StateCounts, "organizations" | "memberships">> & { keys: number };

/** Row shapes the owners (store, sessions, deliveries) hand over; kept structural so this module imports no classes. */
export interface SavedDelivery<T> {
  record: T;
  payload: string;
}

/**
 * The stand-in's memory on disk (`startClerkStandIn({ stateFile })`): one
 * SQLite file, written through synchronously by the in-memory owners, read
 * once at start. Held with an exclusive lock, so a second stand-in on the same
 * file fails at once instead of the two overwriting each other.
 */
export class StateFile {
  private readonly db: Database.Database;
  private readonly statements;

  private constructor(
    readonly path: string,
    db: Database.Database,
  ) {
    this.db = db;
    this.statements = {
      setInstance: db.prepare(
        "INSERT INTO instance (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
      saveUser: db.prepare(
        "INSERT INTO users (id, seq, json, password_hash) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (id) DO UPDATE SET json = excluded.json, password_hash = excluded.password_hash",
      ),
      deleteUser: db.prepare("DELETE FROM users WHERE id = ?"),
      saveClient: db.prepare(
        "INSERT INTO clients (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
      ),
      saveSession: db.prepare(
        "INSERT INTO sessions (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
      ),
      saveDelivery: db.prepare(
        "INSERT INTO deliveries (message_id, endpoint, json, payload) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (message_id, endpoint) DO UPDATE SET json = excluded.json",
      ),
      updateDelivery: db.prepare("UPDATE deliveries SET json = ? WHERE message_id = ? AND endpoint = ?"),
      deleteDelivery: db.prepare("DELETE FROM deliveries WHERE message_id = ? AND endpoint = ?"),
      saveOrganization: db.prepare(
        "INSERT INTO organizations (id, seq, json) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
      ),
      deleteOrganization: db.prepare("DELETE FROM organizations WHERE id = ?"),
      saveMembership: db.prepare(
        "INSERT INTO organization_memberships (id, organization_id, user_id, seq, json) VALUES (?, ?, ?, ?, ?) " +
          "ON CONFLICT (id) DO UPDATE SET json = excluded.json",
      ),
      deleteMembership: db.prepare("DELETE FROM organization_memberships WHERE id = ?"),
      deleteMembershipsOf: db.prepare("DELETE FROM organization_memberships WHERE organization_id = ?"),
    };
  }

  /** Opens (or creates) the file; an unreadable or other-version file is moved aside with one log line. */
  static open(path: string, logger: Logger): StateFile {
    const createdFolder = !existsSync(dirname(path));
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    if (createdFolder) chmodSync(dirname(path), 0o700);
    try {
      return StateFile.openChecked(path);
    } catch (error) {
      if (error instanceof StateFileInUse) throw error;
      const aside = `${path}.unreadable-${Date.now()}`;
      logger.warn(`state file ${path} ${describeUnusable(error)}: moved to ${aside}, starting with a fresh state`);
      renameSync(path, aside);
      for (const suffix of ["-wal", "-shm", "-journal"]) rmSync(`${path}${suffix}`, { force: true });
      return StateFile.openChecked(path);
    }
  }

  private static openChecked(path: string): StateFile {
    // Created 0600 before SQLite touches it; SQLite gives its -wal file the same mode.
    if (!existsSync(path)) closeSync(openSync(path, "a", 0o600));
    chmodSync(path, 0o600);
    const db = new Database(path, { timeout: 0 });
    try {
      db.pragma("locking_mode = EXCLUSIVE");
      db.pragma("journal_mode = WAL");
      // A lost last write after a power cut is fine for a development stand-in; an fsync per token refresh is not.
      db.pragma("synchronous = NORMAL");
      // Takes the lock now; in exclusive locking mode it is held until close.
      db.exec("BEGIN EXCLUSIVE; COMMIT;");
      const version = db.pragma("user_version", { simple: true }) as number;
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
      const fresh = version === 0 && tables.n === 0;
      if (!fresh && !(version >= 1 && version <= STATE_SCHEMA_VERSION)) throw new UnknownSchema(version);
      const missing = Object.keys(MIGRATIONS)
        .map(Number)
        .filter((step) => step > version)
        .sort((a, b) => a - b);
      if (missing.length) {
        db.exec(
          `BEGIN; ${missing.map((step) => MIGRATIONS[step]).join("")} PRAGMA user_version = ${STATE_SCHEMA_VERSION}; COMMIT;`,
        );
      }
      return new StateFile(path, db);
    } catch (error) {
      db.close();
      if ((error as { code?: string }).code === "SQLITE_BUSY") throw new StateFileInUse(path);
      throw error;
    }
  }

  /**
   * Starts over: empties every table of the file at `path`, keys and secrets
   * included; the counts name organizations and memberships only when there
   * were some. Null when there is no file. Throws StateFileInUse while a
   * stand-in runs on it (reset that one through its control API instead).
   */
  static erase(path: string, logger: Logger): ErasedState | null {
    if (!existsSync(path)) return null;
    const file = StateFile.open(path, logger);
    try {
      const keys = file.instance().kid ? 1 : 0;
      const erased = file.clear([
        "users",
        "clients",
        "sessions",
        "deliveries",
        "webhook_endpoints",
        "instance",
        "organizations",
        "organization_memberships",
      ]);
      const { organizations, memberships, ...rest } = erased as StateCounts;
      return { ...rest, ...(organizations || memberships ? { organizations, memberships } : {}), keys };
    } finally {
      file.close();
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  instance(): SavedInstance {
    const rows = this.db.prepare("SELECT key, value FROM instance").all() as Array<{
      key: keyof SavedInstance;
      value: string;
    }>;
    return Object.fromEntries(rows.map((row) => [row.key, row.value])) as SavedInstance;
  }

  saveInstance(values: SavedInstance): void {
    this.transaction(() => {
      for (const [key, value] of Object.entries(values))
        if (value !== undefined) this.statements.setInstance.run(key, value);
    });
  }

  loadUsers(): UserRecord[] {
    const rows = this.db.prepare("SELECT seq, json, password_hash FROM users").all() as Array<{
      seq: number;
      json: string;
      password_hash: string | null;
    }>;
    return rows.map((row) => ({ json: JSON.parse(row.json), passwordHash: row.password_hash, seq: row.seq }));
  }

  saveUsers(records: UserRecord[]): void {
    this.transaction(() => {
      for (const record of records) {
        this.statements.saveUser.run(record.json.id, record.seq, userJsonText(record.json), record.passwordHash);
      }
    });
  }

  deleteUser(id: string): void {
    this.statements.deleteUser.run(id);
  }

  loadOrganizations(): OrganizationRecord[] {
    const rows = this.db.prepare("SELECT seq, json FROM organizations").all() as Array<{ seq: number; json: string }>;
    return rows.map((row) => ({ json: JSON.parse(row.json), seq: row.seq }));
  }

  saveOrganizations(records: OrganizationRecord[]): void {
    this.transaction(() => {
      for (const record of records) {
        this.statements.saveOrganization.run(record.json.id, record.seq, JSON.stringify(record.json));
      }
    });
  }

  /** The organization and its memberships, at once. */
  deleteOrganization(id: string): void {
    this.transaction(() => {
      this.statements.deleteMembershipsOf.run(id);
      this.statements.deleteOrganization.run(id);
    });
  }

  loadMemberships(): MembershipRecord[] {
    const rows = this.db.prepare("SELECT json FROM organization_memberships").all() as Array<{ json: string }>;
    return rows.map((row) => JSON.parse(row.json) as MembershipRecord);
  }

  saveMemberships(records: MembershipRecord[]): void {
    this.transaction(() => {
      for (const record of records) {
        const { id, organization_id, user_id, seq } = record;
        this.statements.saveMembership.run(id, organization_id, user_id, seq, JSON.stringify(record));
      }
    });
  }

  deleteMembership(id: string): void {
    this.statements.deleteMembership.run(id);
  }

  load<T>(table: "clients" | "sessions"): T[] {
    return (this.db.prepare(`SELECT json FROM ${table}`).all() as Array<{ json: string }>).map(
      (row) => JSON.parse(row.json) as T,
    );
  }

  saveClient(client: { id: string }): void {
    this.statements.saveClient.run(client.id, JSON.stringify(client));
  }

  saveSession(session: { id: string }): void {
    this.statements.saveSession.run(session.id, JSON.stringify(session));
  }

  webhookEndpoints(): string[] {
    return (this.db.prepare("SELECT url FROM webhook_endpoints ORDER BY position").all() as Array<{ url: string }>).map(
      (row) => row.url,
    );
  }

  saveWebhookEndpoints(urls: string[]): void {
    this.transaction(() => {
      this.db.prepare("DELETE FROM webhook_endpoints").run();
      const insert = this.db.prepare("INSERT INTO webhook_endpoints (url, position) VALUES (?, ?)");
      urls.forEach((url, position) => insert.run(url, position));
    });
  }

  loadDeliveries<T>(): Array<SavedDelivery<T>> {
    const rows = this.db.prepare("SELECT json, payload FROM deliveries ORDER BY seq").all() as Array<{
      json: string;
      payload: string;
    }>;
    return rows.map((row) => ({ record: JSON.parse(row.json) as T, payload: row.payload }));
  }

  saveDelivery(record: { id: string; endpoint: string }, payload: string): void {
    this.statements.saveDelivery.run(record.id, record.endpoint, JSON.stringify(record), payload);
  }

  updateDelivery(record: { id: string; endpoint: string }): void {
    this.statements.updateDelivery.run(JSON.stringify(record), record.id, record.endpoint);
  }

  deleteDelivery(record: { id: string; endpoint: string }): void {
    this.statements.deleteDelivery.run(record.id, record.endpoint);
  }

  counts(): StateCounts {
    const count = (table: string) => (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      users: count("users"),
      clients: count("clients"),
      sessions: count("sessions"),
      deliveries: count("deliveries"),
      organizations: count("organizations"),
      memberships: count("organization_memberships"),
    };
  }

  /** Empties the given tables; returns what was there (memberships counted as `memberships`). */
  clear(tables: Table[]): Partial<StateCounts> {
    const before = this.counts();
    this.transaction(() => {
      for (const table of tables) this.db.prepare(`DELETE FROM ${table}`).run();
    });
    const counted = tables.map((table) => (table === "organization_memberships" ? "memberships" : table));
    return Object.fromEntries(
      counted.filter((key) => key in before).map((key) => [key, before[key as keyof StateCounts]]),
    );
  }

  transaction(work: () => void): void {
    this.db.transaction(work)();
  }
}

/** Another process (a running stand-in) holds the file. */
export class StateFileInUse extends Error {
  constructor(readonly path: string) {
    super(`${path} is in use by another Clerk stand-in: stop that one first`);
  }
}

class UnknownSchema extends Error {
  constructor(readonly version: number) {
    super(`has schema version ${version}, this stand-in writes version ${STATE_SCHEMA_VERSION}`);
  }
}

function describeUnusable(error: unknown): string {
  if (error instanceof UnknownSchema) return error.message;
  return `could not be read (${error instanceof Error ? error.message : String(error)})`;
}
