import assert from "node:assert/strict";

/** What a tombstone keeps: which user, the version that orders writes, and the writer's bookkeeping. */
const KEPT = new Set([
  "id",
  "clerk_id",
  "clerk_created_at",
  "clerk_updated_at",
  "deleted_at",
  "synced_at",
  "sync_source",
]);

/**
 * Asserts that a `users` row (`select *`, as outside tools read it) is a tombstone: `deleted_at` set and every
 * other column null, so a column added later is covered too (docs/decisions/004). Plain node:assert, so the
 * vitest and Playwright suites share it.
 */
export function assertTombstone(row: Record<string, unknown> | undefined): void {
  assert.ok(row, "no row: a deletion keeps the user's row as a tombstone");
  assert.equal(typeof row.deleted_at, "number", "deleted_at is set");
  const personal = Object.entries(row).filter(([column]) => !KEPT.has(column));
  assert.deepEqual(
    Object.fromEntries(personal),
    Object.fromEntries(personal.map(([column]) => [column, null])),
    "a tombstone keeps no personal data",
  );
}
