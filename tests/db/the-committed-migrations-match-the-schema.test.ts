import { is } from "drizzle-orm";
import { getTableConfig, SQLiteSyncDialect, SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { openDatabase } from "~/db/db.server";
import * as schema from "~/db/schema";

/**
 * The app queries through `app/db/schema.ts`, but every database is built by
 * the SQL in `drizzle/`: a column, index or check added to one and not the
 * other (a forgotten `npm run db:generate`, a hand-edited migration) is caught
 * here, not by the first write that needs it.
 */

const dialect = new SQLiteSyncDialect();
const tables = Object.values(schema as Record<string, unknown>).filter((value): value is SQLiteTable =>
  is(value, SQLiteTable),
);
const db = openDatabase({ path: ":memory:", synchronous: "NORMAL", busyTimeoutMs: 1000 }).$client;

interface IndexShape {
  name: string;
  unique: boolean;
  columns: string[];
  where: string | null;
}

const sortByName = <T extends { name: string }>(rows: T[]) => [...rows].sort((a, b) => a.name.localeCompare(b.name));

function declared(table: SQLiteTable) {
  const config = getTableConfig(table);
  const indexes: IndexShape[] = [
    ...config.indexes.map(({ config: index }) => ({
      name: index.name,
      unique: index.unique,
      columns: index.columns.map((column) => (column as { name: string }).name),
      where: index.where ? dialect.sqlToQuery(index.where).sql : null,
    })),
    ...config.columns
      .filter((column) => column.isUnique)
      .map((column) => ({
        name: column.uniqueName ?? `${config.name}_${column.name}_unique`,
        unique: true,
        columns: [column.name],
        where: null,
      })),
  ];
  return {
    // By name: a column added by ALTER TABLE comes last in the table, wherever the schema declares it.
    columns: sortByName(
      config.columns.map((column) => ({
        name: column.name,
        type: column.getSQLType(),
        notNull: column.notNull,
        primaryKey: column.primary,
      })),
    ),
    indexes: sortByName(indexes),
    checks: config.checks.map((check) => `CONSTRAINT "${check.name}" CHECK(${dialect.sqlToQuery(check.value).sql})`),
  };
}

function migrated(table: string) {
  const columns = db.prepare(`select name, type, "notnull", pk from pragma_table_info(?)`).all(table) as Array<{
    name: string;
    type: string;
    notnull: number;
    pk: number;
  }>;
  // Origin `c`: made by CREATE INDEX, as drizzle-kit writes every index and unique column.
  const names = db.prepare(`select name from pragma_index_list(?) where origin = 'c'`).all(table) as Array<{
    name: string;
  }>;
  const indexes: IndexShape[] = names.map(({ name }) => {
    const { sql } = db.prepare("select sql from sqlite_schema where type = 'index' and name = ?").get(name) as {
      sql: string;
    };
    return {
      name,
      unique: /^CREATE UNIQUE INDEX/i.test(sql),
      columns: (
        db.prepare("select name from pragma_index_info(?) order by seqno").all(name) as Array<{ name: string }>
      ).map((column) => column.name),
      where: / WHERE (.*)$/s.exec(sql)?.[1] ?? null,
    };
  });
  const { sql } = db.prepare("select sql from sqlite_schema where type = 'table' and name = ?").get(table) as {
    sql: string;
  };
  return {
    columns: sortByName(
      columns.map((column) => ({
        name: column.name,
        type: column.type.toLowerCase(),
        notNull: column.notnull === 1,
        primaryKey: column.pk === 1,
      })),
    ),
    indexes: sortByName(indexes),
    checks: sql.match(/CONSTRAINT "[^"]+" CHECK\(.*\)(?=,?\n|\n?\)$)/g) ?? [],
    checkCount: sql.match(/\bCHECK\s*\(/gi)?.length ?? 0,
  };
}

describe("the committed migrations build exactly the tables app/db/schema.ts declares", () => {
  it("the same tables, and no other of the app's", () => {
    const built = (
      db
        .prepare("select name from sqlite_schema where type = 'table' and name not like 'sqlite_%' and name != ?")
        .all("__drizzle_migrations") as Array<{ name: string }>
    ).map((row) => row.name);
    expect(built.sort()).toEqual(tables.map((table) => getTableConfig(table).name).sort());
  });

  it.each(tables.map((table) => [getTableConfig(table).name, table] as const))(
    "%s: its columns, indexes (unique, partial) and checks",
    (name, table) => {
      const want = declared(table);
      const have = migrated(name);
      expect(have.columns).toEqual(want.columns);
      expect(have.indexes).toEqual(want.indexes);
      expect(have.checks).toEqual(want.checks);
      expect(have.checkCount).toBe(want.checks.length);
    },
  );
});
