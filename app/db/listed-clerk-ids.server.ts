import type { AppDatabase } from "./db.server";

/**
 * The ids a full walk of Clerk's user list returned, kept in a SQLite temporary
 * table (private to this connection, gone when it closes) rather than in a
 * JavaScript Set, so that a reconcile over a million users still runs in flat
 * memory. Reads only: the writer module does the tombstoning.
 */
export class ListedClerkIds {
  constructor(private readonly db: AppDatabase) {
    db.$client.exec(
      "create temp table if not exists listed_clerk_ids (clerk_id text primary key) without rowid; delete from temp.listed_clerk_ids;",
    );
  }

  add(clerkIds: readonly string[]): void {
    const insert = this.db.$client.prepare("insert or ignore into temp.listed_clerk_ids (clerk_id) values (?)");
    this.db.$client.transaction(() => {
      for (const id of clerkIds) insert.run(id);
    })();
  }

  /** Users stored as live whose ids the walk did not return: candidates for a tombstone. */
  liveUsersNotListed(): string[] {
    const rows = this.db.$client
      .prepare(
        "select clerk_id from users where deleted_at is null and clerk_id not in (select clerk_id from temp.listed_clerk_ids) order by id",
      )
      .all() as { clerk_id: string }[];
    return rows.map((row) => row.clerk_id);
  }

  liveUserCount(): number {
    return (this.db.$client.prepare("select count(*) as n from users where deleted_at is null").get() as { n: number })
      .n;
  }

  dispose(): void {
    this.db.$client.exec("drop table if exists temp.listed_clerk_ids");
  }
}
