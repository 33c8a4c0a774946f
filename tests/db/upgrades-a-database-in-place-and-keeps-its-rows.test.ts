import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { describe, expect, it } from "vitest";
import { findMigrationsFolder, openDatabase } from "~/db/db.server";
import { upsertUserFromClerk } from "~/db/user-writer.server";
import { clerkUserFields } from "../support/clerk-user-fields";

/**
 * The committed migrations up to and including `tag`, as a release that
 * shipped them would have had them: a database made from these is one an
 * existing installation has on disk.
 */
function migrationsUpTo(tag: string): string {
  const source = findMigrationsFolder();
  const journal = JSON.parse(readFileSync(join(source, "meta", "_journal.json"), "utf8")) as {
    entries: { idx: number; tag: string }[];
  };
  const last = journal.entries.findIndex((entry) => entry.tag === tag);
  expect(last).toBeGreaterThanOrEqual(0);
  const folder = mkdtempSync(join(tmpdir(), "clerk-sync-migrations-"));
  mkdirSync(join(folder, "meta"));
  const entries = journal.entries.slice(0, last + 1);
  writeFileSync(join(folder, "meta", "_journal.json"), JSON.stringify({ ...journal, entries }));
  for (const entry of entries) copyFileSync(join(source, `${entry.tag}.sql`), join(folder, `${entry.tag}.sql`));
  return folder;
}

/** `before`'s rows, each with every column it did not have (one a later migration added) null. */
function keptWithAddedColumnsNull(db: Database.Database, table: string, before: unknown[]): Record<string, unknown>[] {
  const columns = (db.prepare(`select name from pragma_table_info('${table}')`).all() as { name: string }[]).map(
    (column) => column.name,
  );
  return (before as Record<string, unknown>[]).map((row) => ({
    ...Object.fromEntries(columns.map((column) => [column, null])),
    ...row,
  }));
}

const tables = (db: Database.Database) =>
  (db.prepare("select name from sqlite_schema where type = 'table' order by name").all() as { name: string }[]).map(
    (row) => row.name,
  );

describe("a database made before organizations were mirrored", () => {
  it("upgrades in place when the app opens it, and keeps its users and its ledger", () => {
    const path = join(mkdtempSync(join(tmpdir(), "clerk-sync-upgrade-")), "app.db");
    const old = new Database(path);
    migrate(drizzle(old), { migrationsFolder: migrationsUpTo("0000_init") });
    expect(tables(old)).not.toContain("organizations");
    old
      .prepare(
        "insert into users (clerk_id, email, first_name, clerk_created_at, clerk_updated_at, synced_at, sync_source) values (?, ?, ?, ?, ?, ?, ?)",
      )
      .run("user_before_upgrade", "ada@example.com", "Ada", 1_000, 2_000, 3_000, "webhook");
    old
      .prepare(
        "insert into users (clerk_id, deleted_at, synced_at, sync_source) values ('user_deleted_before', 4000, 4000, 'webhook')",
      )
      .run();
    old
      .prepare(
        "insert into webhook_events (svix_id, event_type, clerk_user_id, received_at, status, outcome) values (?, ?, ?, ?, ?, ?)",
      )
      .run("msg_before_upgrade", "user.created", "user_before_upgrade", 3_000, "processed", "created");
    const usersBefore = old.prepare("select * from users order by id").all();
    const eventsBefore = old.prepare("select * from webhook_events").all();
    old.close();

    const db = openDatabase({ path, synchronous: "NORMAL", busyTimeoutMs: 1000 });
    try {
      const sqlite = db.$client;
      expect(tables(sqlite)).toEqual(expect.arrayContaining(["organizations", "organization_memberships", "users"]));
      expect(sqlite.prepare("select * from users order by id").all()).toEqual(
        keptWithAddedColumnsNull(sqlite, "users", usersBefore),
      );
      expect(sqlite.prepare("select * from webhook_events").all()).toEqual(eventsBefore);
      // The new tables work, including the rule of one live membership per person and organization.
      const insertMembership = sqlite.prepare(
        "insert into organization_memberships (clerk_id, organization_clerk_id, user_clerk_id, deleted_at, synced_at, sync_source) values (?, 'org_1', 'user_before_upgrade', ?, 1, 'webhook')",
      );
      insertMembership.run("orgmem_old", 5_000);
      insertMembership.run("orgmem_live", null);
      expect(() => insertMembership.run("orgmem_second_live", null)).toThrow(/UNIQUE/);
    } finally {
      db.$client.close();
    }

    // Opening it again applies nothing twice.
    const again = openDatabase({ path, synchronous: "NORMAL", busyTimeoutMs: 1000 });
    expect(again.$client.prepare("select count(*) as n from organization_memberships").get()).toEqual({ n: 2 });
    again.$client.close();
  });
});

describe("a database made before users had metadata, last sign-in, banned and external id", () => {
  it("upgrades in place: every user, organization, membership and ledger row kept, the new columns null until Clerk fills them", () => {
    const path = join(mkdtempSync(join(tmpdir(), "clerk-sync-upgrade-")), "app.db");
    const old = new Database(path);
    migrate(drizzle(old), { migrationsFolder: migrationsUpTo("0001_organizations") });
    const insertUser = old.prepare(
      "insert into users (clerk_id, email, first_name, clerk_created_at, clerk_updated_at, deleted_at, synced_at, sync_source) values (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    insertUser.run("user_live", "ada@example.com", "Ada", 1_000, 2_000, null, 3_000, "backfill");
    insertUser.run("user_tombstone", null, null, null, null, 4_000, 4_000, "webhook");
    old
      .prepare(
        "insert into organizations (clerk_id, name, slug, public_metadata, clerk_created_at, clerk_updated_at, synced_at, sync_source) values ('org_1', 'Acme', 'acme', '{\"tier\":\"gold\"}', 1000, 2000, 3000, 'webhook')",
      )
      .run();
    old
      .prepare(
        "insert into organization_memberships (clerk_id, organization_clerk_id, user_clerk_id, role, clerk_created_at, clerk_updated_at, synced_at, sync_source) values ('orgmem_1', 'org_1', 'user_live', 'org:admin', 1000, 2000, 3000, 'webhook')",
      )
      .run();
    old
      .prepare(
        "insert into webhook_events (svix_id, event_type, clerk_user_id, received_at, status, outcome) values ('msg_1', 'user.created', 'user_live', 3000, 'processed', 'created')",
      )
      .run();
    const before = (table: string) => old.prepare(`select * from ${table} order by 1`).all();
    const usersBefore = before("users");
    const organizationsBefore = before("organizations");
    const membershipsBefore = before("organization_memberships");
    const eventsBefore = before("webhook_events");
    old.close();

    const db = openDatabase({ path, synchronous: "NORMAL", busyTimeoutMs: 1000 });
    try {
      const sqlite = db.$client;
      const rows = (table: string) => sqlite.prepare(`select * from ${table} order by 1`).all();
      // The names outside tools read, each null: an old row has not been told yet (false would claim it was not banned).
      const added = {
        public_metadata: null,
        private_metadata: null,
        last_sign_in_at: null,
        banned: null,
        external_id: null,
      };
      expect(rows("users")).toEqual(usersBefore.map((row) => ({ ...(row as object), ...added })));
      expect(rows("organizations")).toEqual(organizationsBefore);
      expect(rows("organization_memberships")).toEqual(membershipsBefore);
      expect(rows("webhook_events")).toEqual(eventsBefore);

      // The next word from Clerk fills them in the upgraded row, through the one writer.
      const outcome = upsertUserFromClerk(
        clerkUserFields({
          clerkId: "user_live",
          email: "ada@example.com",
          firstName: "Ada",
          publicMetadata: '{"plan":"pro"}',
          privateMetadata: "{}",
          lastSignInAt: 2_500,
          banned: false,
          externalId: "crm-1",
          clerkCreatedAt: 1_000,
          clerkUpdatedAt: 2_000,
        }),
        "manual",
        db,
      );
      expect(outcome).toMatchObject({
        outcome: "updated",
        changedFields: ["publicMetadata", "privateMetadata", "lastSignInAt", "banned", "externalId"],
      });
      expect(sqlite.prepare("select * from users where clerk_id = 'user_live'").get()).toMatchObject({
        id: 1,
        public_metadata: '{"plan":"pro"}',
        private_metadata: "{}",
        last_sign_in_at: 2_500,
        banned: 0,
        external_id: "crm-1",
      });
    } finally {
      db.$client.close();
    }
  });
});
