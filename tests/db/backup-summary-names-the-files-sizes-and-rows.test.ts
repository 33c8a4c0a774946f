import { describe, expect, it } from "vitest";
import { defaultBackupFile, formatBackupSummary, type BackupResult } from "~/db/backup.server";
import { readDatabaseConfig } from "~/env.server";

const result = (bytes: number, rows: BackupResult["rows"]): BackupResult => ({
  source: "/srv/clerk-sync/data/app.db",
  file: "/srv/clerk-sync/data/backups/nightly.db",
  bytes,
  rows,
});

describe("the summary `npm run db:backup` prints", () => {
  it("names both files, and lines up each table's rows under the longest name", () => {
    const rows = [
      { table: "users", count: 1 },
      { table: "organization_memberships", count: 0 },
      { table: "webhook_events", count: 1_234_567 },
    ];
    expect(formatBackupSummary(result(20_480, rows))).toBe(
      [
        "Backed up /srv/clerk-sync/data/app.db",
        "       to /srv/clerk-sync/data/backups/nightly.db (20 KiB, mode 0600, integrity_check ok)",
        "  users                     1 row",
        "  organization_memberships  0 rows",
        "  webhook_events            1,234,567 rows",
        "",
      ].join("\n"),
    );
  });

  it("shows the paths the way the caller asks, e.g. relative to the working folder", () => {
    const summary = formatBackupSummary(result(4096, [{ table: "users", count: 2 }]), (path) =>
      path.replace("/srv/clerk-sync/", ""),
    );
    expect(summary.split("\n").slice(0, 2)).toEqual([
      "Backed up data/app.db",
      "       to data/backups/nightly.db (4 KiB, mode 0600, integrity_check ok)",
    ]);
  });

  it.each([
    [0, "1 KiB"],
    [1_535, "1 KiB"],
    [1_536, "2 KiB"],
    [1024 * 1024 - 1, "1024 KiB"],
    [1024 * 1024, "1.0 MiB"],
    [1024 * 1024 * 1.25, "1.3 MiB"],
    [1024 * 1024 * 300, "300.0 MiB"],
  ])("gives %i bytes as %s", (bytes, shown) => {
    expect(formatBackupSummary(result(bytes, [{ table: "users", count: 0 }])).split("\n")[1]).toBe(
      `       to /srv/clerk-sync/data/backups/nightly.db (${shown}, mode 0600, integrity_check ok)`,
    );
  });
});

describe("the default backup file", () => {
  it("is backups/<database name>-<UTC time>Z.db beside the database, with no colon in it", () => {
    const config = readDatabaseConfig({ DATABASE_URL: "file:/srv/clerk-sync/data/app.db" });
    expect(defaultBackupFile(config, new Date(Date.UTC(2026, 10, 29, 3, 41, 7, 999)))).toBe(
      "/srv/clerk-sync/data/backups/app-2026-11-29T03-41-07Z.db",
    );
  });
});
