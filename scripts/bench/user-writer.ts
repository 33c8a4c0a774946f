/**
 * In-process microbenchmark of the user writer, no HTTP and no Clerk: what a
 * page of 500 users costs the backfill (all new, all newer, all unchanged), and
 * what one user costs the webhook and the Sync button (its own transaction).
 * Each round writes into a fresh SQLite file with the app's pragmas; the median
 * of the rounds is printed. Compare two versions of the writer by running this
 * on each, back to back (docs/benchmarks.md).
 *
 *   node --import tsx scripts/bench/user-writer.ts [pages=200] [rounds=7]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { openDatabase } from "~/db/db.server";
import { upsertUserFromClerk, upsertUsersFromClerk } from "~/db/user-writer.server";
import { describeMachine, fmt } from "./support";

const PAGE = 500;
const pages = Number(process.argv[2] ?? 200);
const rounds = Number(process.argv[3] ?? 7);

const T = Date.now() - 3_600_000;
// Time-ordered ids, as Clerk's are: SQLite appends to the index instead of splitting pages at random.
const user = (n: number, clerkUpdatedAt: number, firstName: string): ClerkUserFields => ({
  clerkId: `user_${String(n).padStart(12, "0")}`,
  email: `u${n}@example.com`,
  firstName,
  lastName: "Lovelace",
  username: `u${n}`,
  imageUrl: `https://img.example.com/${n}.png`,
  // As the stand-in serves a user who never signed in.
  publicMetadata: "{}",
  privateMetadata: "{}",
  lastSignInAt: null,
  banned: false,
  externalId: null,
  clerkCreatedAt: T + n,
  clerkUpdatedAt,
});
const page = (p: number, updatedAt: number, name: string) =>
  Array.from({ length: PAGE }, (_, i) => user(p * PAGE + i, updatedAt, name));

const results = new Map<string, number[]>();
function time(label: string, per: number, work: () => void) {
  const started = performance.now();
  work();
  const list = results.get(label) ?? [];
  list.push(((performance.now() - started) * 1000) / per);
  results.set(label, list);
}

for (let round = 0; round < rounds; round++) {
  const db = openDatabase({
    path: join(mkdtempSync(join(tmpdir(), "clerk-sync-writer-bench-")), "app.db"),
    synchronous: "NORMAL",
    busyTimeoutMs: 1000,
  });
  const created = Array.from({ length: pages }, (_, p) => page(p, T, "Ada"));
  const newer = Array.from({ length: pages }, (_, p) => page(p, T + 1000, "Grace"));
  time("page of 500, all new", pages, () => created.forEach((users) => upsertUsersFromClerk(users, "backfill", db)));
  time("page of 500, all newer", pages, () => newer.forEach((users) => upsertUsersFromClerk(users, "backfill", db)));
  time("page of 500, all unchanged", pages, () =>
    newer.forEach((users) => upsertUsersFromClerk(users, "backfill", db)),
  );
  // What the webhook bench sends: three of four create a user, the fourth updates the one created three before.
  const base = pages * PAGE;
  const ones = Array.from({ length: 20_000 }, (_, i) =>
    i % 4 === 3 ? user(base + i - 3, T + 1000, "Grace") : user(base + i, T, "Ada"),
  );
  time("one user in its own transaction", ones.length, () =>
    ones.forEach((one) => upsertUserFromClerk(one, "webhook", db)),
  );
  db.$client.close();
}

console.log(`user writer, ${pages} pages of ${PAGE} and 20,000 single users, median of ${rounds} rounds`);
console.log(describeMachine());
for (const [label, list] of results) {
  const median = [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  console.log(`  ${label.padEnd(34)} ${fmt(median).padStart(7)} µs`);
}
