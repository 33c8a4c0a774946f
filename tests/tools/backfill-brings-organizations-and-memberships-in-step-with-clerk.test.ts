import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { backfillOrganizationsFromClerk } from "~/backfill/backfill-organizations.server";
import { BackfillStopped } from "~/backfill/backfill-users.server";
import { syncAllFromClerk } from "~/backfill/sync-all.server";
import {
  clerkMembershipSchema,
  clerkMembershipToRow,
  clerkOrganizationSchema,
  clerkOrganizationToRow,
} from "~/clerk/clerk-organization";
import { getDb } from "~/db/db.server";
import { organizationMemberships, organizations } from "~/db/schema";
import { ROOT } from "../support/app-server";
import { startFakeClerk } from "../support/fake-clerk";
import { clerkFor, clerkUsersAsRows, liveRows, recordingRetryPolicy, UNLIMITED } from "./support";

// Small pages, so that each kind takes several: 40 users, 12 organizations, 60 memberships, 7 a page.
const USERS = 40;
const ORGANIZATIONS = 12;
const MEMBERS = 5;
const PAGE = 7;
const ALL = Number.MAX_SAFE_INTEGER;
let standIn: ClerkStandIn;
const db = () => getDb();
const JSON_TYPE = { "content-type": "application/json" };

beforeAll(async () => {
  // No webhook endpoint is registered: every change below is a webhook that never arrived.
  standIn = await startClerkStandIn({ port: 0 });
  const users = Array.from({ length: USERS }, (_, i) =>
    standIn.store.create({ email_address: [`member-${i}@example.com`], first_name: `Member${i}` }),
  );
  for (let o = 0; o < ORGANIZATIONS; o++) {
    const organization = standIn.organizations.create({ name: `Team ${o}` });
    for (let m = 0; m < MEMBERS; m++) {
      const user = users[(o * 3 + m) % USERS];
      standIn.organizations.addMember(organization.id, user.id, { role: m === 0 ? "org:admin" : "org:member" });
    }
  }
});
afterAll(async () => {
  await standIn?.close();
});

function clerkOrganizations() {
  const { data } = standIn.organizations.list({ limit: ALL, order_by: "+created_at" }, { maxLimit: ALL });
  return new Map(data.map((json) => [json.id, clerkOrganizationToRow(clerkOrganizationSchema.parse(json))]));
}

function clerkMemberships() {
  const { data } = standIn.organizations.allMemberships({ limit: ALL, order_by: "+created_at" }, { maxLimit: ALL });
  return new Map(data.map((json) => [json.id, clerkMembershipToRow(clerkMembershipSchema.parse(json))]));
}

function storedOrganizations() {
  const rows = db().select().from(organizations).where(isNull(organizations.deletedAt)).all();
  return new Map(rows.map(({ id: _, deletedAt: __, syncedAt: ___, syncSource: ____, ...row }) => [row.clerkId, row]));
}

function storedMemberships() {
  const rows = db().select().from(organizationMemberships).where(isNull(organizationMemberships.deletedAt)).all();
  return new Map(rows.map(({ id: _, deletedAt: __, syncedAt: ___, syncSource: ____, ...row }) => [row.clerkId, row]));
}

function expectSqliteEqualToClerk() {
  expect(storedOrganizations()).toEqual(clerkOrganizations());
  expect(storedMemberships()).toEqual(clerkMemberships());
}

const snapshot = () =>
  JSON.stringify([
    db().$client.prepare("select * from organizations order by id").all(),
    db().$client.prepare("select * from organization_memberships order by id").all(),
  ]);

const tombstone = (table: "organizations" | "organization_memberships", clerkId: string) =>
  db().$client.prepare(`select deleted_at, sync_source from ${table} where clerk_id = ?`).get(clerkId);

/** Turns faults on mid-walk of the memberships, by the answers seen so far: `"200 1"` is the first page read. */
function membershipFaults(faults: Record<string, () => void>): () => void {
  const seen = new Map<number, number>();
  return standIn.observeBackendApi((event) => {
    if (event.phase !== "answered" || event.path !== "/v1/organization_memberships") return;
    const count = (seen.get(event.status) ?? 0) + 1;
    seen.set(event.status, count);
    faults[`${event.status} ${count}`]?.();
  });
}

const run = (options: Partial<Parameters<typeof syncAllFromClerk>[0]> = {}) =>
  syncAllFromClerk({ clerk: clerkFor(standIn), db: db(), limiter: UNLIMITED, pageSize: PAGE, ...options });

describe("npm run sync:all walks organizations and memberships after the users", () => {
  it("repairs organization and membership webhooks that never arrived, page after page, waiting out a 429 and retrying a 500", async () => {
    const { policy, waits } = recordingRetryPolicy();
    // The first page is read alone; the two first of the pages asked for next get 429s, their retries 500s.
    const stopFaults = membershipFaults({
      "200 1": () => standIn.faults.setApiFault("429", 2, 1),
      "429 2": () => standIn.faults.setApiFault("500", 2),
    });
    const summary = await run({ retry: policy }).finally(stopFaults);

    expect(summary.skipped).toBeNull();
    expect(summary.users).toMatchObject({ listed: USERS, created: USERS });
    expect(summary.organizations).toMatchObject({ listed: ORGANIZATIONS, created: ORGANIZATIONS, skipped: 0 });
    expect(summary.organizations.pages).toBe(Math.ceil(ORGANIZATIONS / PAGE));
    expect(summary.memberships).toMatchObject({ listed: ORGANIZATIONS * MEMBERS, created: ORGANIZATIONS * MEMBERS });
    expect(summary.memberships.pages).toBeGreaterThanOrEqual(Math.ceil((ORGANIZATIONS * MEMBERS) / PAGE));
    expect(summary.memberships.rateLimitWaits).toBe(2);
    expect(summary.memberships.retries).toBe(2);
    expect(waits.filter((ms) => ms === 1000)).toHaveLength(2);
    expectSqliteEqualToClerk();
    expect(liveRows(db()).size).toBe(clerkUsersAsRows(standIn).size);
    const sources = db()
      .$client.prepare(
        "select sync_source, count(*) as n from organizations group by 1 union all select sync_source, count(*) from organization_memberships group by 1",
      )
      .all();
    expect(sources).toEqual([
      { sync_source: "backfill", n: ORGANIZATIONS },
      { sync_source: "backfill", n: ORGANIZATIONS * MEMBERS },
    ]);
  });

  it("changes only what Clerk changed since: a rename, a new member, a role", async () => {
    const [renamed, joined, promoted] = [...clerkOrganizations().keys()];
    standIn.organizations.update(renamed, { name: "Renamed team" });
    const newcomer = standIn.store.create({ email_address: ["newcomer@example.com"] });
    standIn.organizations.addMember(joined, newcomer.id, { role: "org:member" });
    const member = standIn.organizations.members(promoted, { limit: 10 }).data[1].public_user_data!.user_id;
    standIn.organizations.updateMember(promoted, member, { role: "org:admin" });

    const summary = await run();

    expect(summary.organizations).toMatchObject({ updated: 1, unchanged: ORGANIZATIONS - 1, created: 0 });
    expect(summary.memberships).toMatchObject({ created: 1, updated: 1, unchanged: ORGANIZATIONS * MEMBERS - 1 });
    expectSqliteEqualToClerk();
  });

  it("keeps a membership that a deletion in Clerk pushed past a page boundary: the prune asks Clerk before tombstoning", async () => {
    const before = standIn.organizations.allMemberships({ limit: PAGE + 1, order_by: "+created_at" }).data;
    const [onFirstPage, pushedBack] = [before[0], before[PAGE]];
    let removed = false;
    const stop = standIn.observeBackendApi((event) => {
      if (removed || event.phase !== "answered" || event.path !== "/v1/organization_memberships") return;
      // After the first page is read and before the others are asked for: every later membership moves up one.
      removed = true;
      standIn.organizations.removeMember(onFirstPage.organization.id, onFirstPage.public_user_data!.user_id);
    });
    const summary = await run({ prune: true }).finally(stop);

    expect(removed).toBe(true);
    expect(summary.memberships.listed).toBe(clerkMemberships().size);
    expect(summary.memberships.pruned).toBe(0);
    expect(tombstone("organization_memberships", pushedBack.id)).toEqual({ deleted_at: null, sync_source: "backfill" });
    // Read on the first page before it went: its webhook, or the next run, tombstones it.
    const next = await run({ prune: true });
    expect(next.memberships.prunedIds).toEqual([onFirstPage.id]);
    expectSqliteEqualToClerk();
  });

  it("--prune --dry-run reports what is gone and writes nothing; --prune tombstones those organizations with their memberships, and memberships that ended", async () => {
    const [deletedOrganization, leftOrganization] = [...clerkOrganizations().keys()].slice(-2);
    const membershipsOfDeleted = [...clerkMemberships().values()]
      .filter((row) => row.organizationClerkId === deletedOrganization)
      .map((row) => row.clerkId);
    standIn.organizations.delete(deletedOrganization);
    const leaving = standIn.organizations.members(leftOrganization, { limit: 10 }).data[2];
    standIn.organizations.removeMember(leftOrganization, leaving.public_user_data!.user_id);

    const before = snapshot();
    const preview = await run({ prune: true, dryRun: true });
    expect(preview.organizations).toMatchObject({ dryRun: true, pruned: 1, prunedIds: [deletedOrganization] });
    // The deleted organization's memberships go with it; only the one that ended is a membership prune.
    expect(preview.memberships).toMatchObject({ dryRun: true, pruned: 1, prunedIds: [leaving.id] });
    expect(snapshot()).toBe(before);

    const applied = await run({ prune: true });
    expect(applied.organizations).toMatchObject({ dryRun: false, pruned: 1, prunedIds: [deletedOrganization] });
    expect(applied.memberships).toMatchObject({ dryRun: false, pruned: 1, prunedIds: [leaving.id] });
    const tombstoned = { deleted_at: expect.any(Number), sync_source: "backfill" };
    expect(tombstone("organizations", deletedOrganization)).toEqual(tombstoned);
    for (const id of [leaving.id, ...membershipsOfDeleted]) {
      expect(tombstone("organization_memberships", id), id).toEqual(tombstoned);
    }
    expect(membershipsOfDeleted).toHaveLength(MEMBERS);
    expectSqliteEqualToClerk();

    const again = await run({ prune: true });
    expect(again.organizations).toMatchObject({ pruned: 0, created: 0, updated: 0 });
    expect(again.memberships).toMatchObject({ pruned: 0, created: 0, updated: 0 });
  });

  it("refuses to tombstone most of the stored organizations (keys of another instance?) unless forced", async () => {
    const empty = await startClerkStandIn({ port: 0 });
    try {
      const before = snapshot();
      const refused = backfillOrganizationsFromClerk({
        clerk: clerkFor(empty),
        db: db(),
        limiter: UNLIMITED,
        prune: true,
      });
      await expect(refused).rejects.toThrow(BackfillStopped);
      await expect(refused).rejects.toThrow(/Refusing to tombstone \d+ of the \d+ stored organizations.*--force/);
      expect(snapshot()).toBe(before);

      const forced = await backfillOrganizationsFromClerk({
        clerk: clerkFor(empty),
        db: db(),
        limiter: UNLIMITED,
        prune: true,
        force: true,
        dryRun: true,
      });
      expect(forced.organizations.pruned).toBe(storedOrganizations().size);
      expect(snapshot()).toBe(before);
    } finally {
      await empty.close();
    }
  });
});

describe("one rate limit for the whole run", () => {
  it("lets users, organizations and memberships out through one limiter: never more than its burst plus its rate", async () => {
    // Enough pages of each kind (20 of users, 10 of organizations, 10 of memberships) that every walk is held
    // back by the rate, not by Clerk's latency: then a kind starting with a full bucket of its own would show.
    const limiter = { requestsPerSecond: 20, burst: 10 };
    const limited = await startClerkStandIn({ port: 0, rateLimit: { requests: 25, windowSeconds: 1 } });
    try {
      const users = Array.from({ length: 60 }, (_, i) =>
        limited.store.create({ email_address: [`u${i}@example.com`] }),
      );
      for (let o = 0; o < 30; o++) {
        const organization = limited.organizations.create({ name: `Org ${o}` });
        limited.organizations.addMember(organization.id, users[o].id, { role: "org:admin" });
      }
      const at: { ms: number; path: string }[] = [];
      const stop = limited.observeBackendApi((event) => {
        if (event.phase === "received") at.push({ ms: performance.now(), path: event.path });
      });
      // No request is let out before the run starts: from then, one bucket lets out at most its burst plus its rate.
      const started = performance.now();
      const summary = await syncAllFromClerk({
        clerk: clerkFor(limited),
        db: db(),
        limiter,
        pageSize: 3,
        concurrency: 8,
      }).finally(stop);

      expect(summary.memberships.listed).toBe(30);
      expect(limited.rateLimit!.rejected).toBe(0);
      expect(summary.requests).toBe(at.length);
      expect(new Set(at.map((request) => request.path))).toEqual(
        new Set(["/v1/users", "/v1/users/count", "/v1/organizations", "/v1/organization_memberships"]),
      );
      // Each kind starting with a bucket of its own would let out up to 10 more at once, twice.
      for (const [i, request] of at.entries()) {
        const allowed = limiter.burst + (limiter.requestsPerSecond * (request.ms - started)) / 1000;
        expect(i + 1, `request ${i + 1} (${request.path})`).toBeLessThanOrEqual(Math.floor(allowed) + 1);
      }
    } finally {
      await limited.close();
    }
  });
});

describe("an instance with organizations turned off", () => {
  it("syncs the users and says organizations were skipped (Clerk answers 403 to their lists)", async () => {
    const fake = await startFakeClerk(3, { organizations: false });
    try {
      const summary = await syncAllFromClerk({
        clerk: { secretKey: fake.env.CLERK_SECRET_KEY, apiUrl: `http://127.0.0.1:${fake.port}` },
        db: db(),
        limiter: UNLIMITED,
      });
      expect(summary.users).toMatchObject({ listed: 3 });
      expect(summary.skipped).toMatch(
        /^Clerk answered 403 to GET \/v1\/organizations: organizations are not turned on/,
      );
      expect(summary.organizations.listed).toBe(0);
      for (const user of fake.users) expect(liveRows(db()).has(String(user.id))).toBe(true);
    } finally {
      await fake.close();
    }
  });
});

describe("a membership this app cannot read", () => {
  it("stops the run at once, naming the field and never its data, after the users and organizations are saved", async () => {
    const fake = await startFakeClerk(3);
    try {
      const unreadable = fake.memberships[1] as { public_user_data?: unknown };
      delete unreadable.public_user_data;
      const run = syncAllFromClerk({
        clerk: { secretKey: fake.env.CLERK_SECRET_KEY, apiUrl: `http://127.0.0.1:${fake.port}` },
        db: db(),
        limiter: UNLIMITED,
      });
      await expect(run).rejects.toThrow(BackfillStopped);
      const stopped = (await run.catch((error: unknown) => error)) as BackfillStopped;
      expect(stopped.message).toMatch(
        /^Stopped after 0 memberships \(page 1\): Clerk sent a membership this app cannot read \(public_user_data: .+\)\.$/,
      );
      expect(stopped.message).not.toContain("@");
      expect(tombstone("organizations", fake.organization.id)).toEqual({ deleted_at: null, sync_source: "backfill" });
      // The page is refused whole: none of its memberships is written.
      const stored = db().$client.prepare(
        "select count(*) as n from organization_memberships where organization_clerk_id = ?",
      );
      expect(stored.get(fake.organization.id)).toEqual({ n: 0 });
    } finally {
      await fake.close();
    }
  });
});

describe("a list that never answers", () => {
  it("times out, closes each request it gave up, and stops after its attempts", async () => {
    let open = 0;
    let asked = 0;
    const hanging = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://hanging").pathname;
      if (path === "/v1/users/count")
        return res.writeHead(200, JSON_TYPE).end('{"object":"total_count","total_count":0}');
      if (path === "/v1/users") return res.writeHead(200, JSON_TYPE).end("[]");
      // /v1/organizations: never a byte back.
      asked++;
      open++;
      req.socket.once("close", () => open--);
    });
    await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
    try {
      const { policy } = recordingRetryPolicy({ requestTimeoutMs: 200, maxAttempts: 2 });
      const run = syncAllFromClerk({
        clerk: { secretKey: "sk_test_hanging", apiUrl: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}` },
        db: db(),
        limiter: UNLIMITED,
        retry: policy,
      });
      await expect(run).rejects.toThrow(
        /^Stopped after 0 organizations \(page 1\): Clerk did not answer within 0\.2 s\. \(gave up after 2 attempts\)$/,
      );
      expect(asked).toBe(2);
      await expect.poll(() => open).toBe(0);
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });
});

describe("the sync:all command", () => {
  it("shows a progress line per kind and prints each kind's summary", async () => {
    const child = spawn("npm", ["run", "--silent", "sync:all", "--", "--page-size", String(PAGE)], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "development",
        LOG_LEVEL: "silent",
        ...standIn.env(),
        DATABASE_URL: process.env.DATABASE_URL,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));

    expect(code).toBe(0);
    expect(stderr).not.toMatch(/Warning/);
    const organizationCount = clerkOrganizations().size;
    const membershipCount = clerkMemberships().size;
    expect(stderr).toMatch(
      new RegExp(`^sync:all ${organizationCount}/${organizationCount} organizations \\(100%\\)`, "m"),
    );
    expect(stderr).toMatch(new RegExp(`^sync:all ${membershipCount}/${membershipCount} memberships \\(100%\\)`, "m"));
    expect(stdout).toMatch(/^Synced \d+ users from Clerk in /m);
    expect(stdout).toMatch(
      new RegExp(
        `^Synced ${organizationCount} organizations from Clerk in [\\d.]+ s \\([\\d,]+ organizations/s, \\d+ pages\\)\\.\\n {2}created {4}0\\n {2}updated {4}0\\n {2}unchanged {2}${organizationCount}\\n`,
        "m",
      ),
    );
    expect(stdout).toMatch(new RegExp(`^Synced ${membershipCount} memberships from Clerk in `, "m"));
  });
});
