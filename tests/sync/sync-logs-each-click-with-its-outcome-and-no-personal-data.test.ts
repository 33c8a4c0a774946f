import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { getDb, waitForLocksOffTheEventLoop } from "~/db/db.server";
import { readDatabaseConfig } from "~/env.server";
import { syncOrganizationFromClerk } from "~/sync/sync-organization.server";
import { syncUserFromClerk } from "~/sync/sync-user.server";
import { withCapturedLogs } from "../support/captured-logs";
import { sqlite } from "../support/db";

/**
 * Each click of "Sync User Data" and "Sync organization" leaves one log line for whoever runs the app: the
 * event, whose id, the outcome (or the kind of failure) and how long it took, and never a name or an email.
 * A failure Sync knows how to say (Clerk's, a busy database) is logged as the click's failure; anything else
 * is a bug, thrown to the route (Remix's 500) rather than dressed up as one.
 */

vi.hoisted(() => {
  // The whole wait for the lock, kept short: the log line, not the waiting, is what this file is about.
  process.env.SQLITE_BUSY_TIMEOUT_MS = "300";
});

let standIn: ClerkStandIn;
const saved = { ...process.env };
beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
  const env = standIn.env();
  Object.assign(process.env, { CLERK_API_URL: env.CLERK_API_URL, CLERK_SECRET_KEY: env.CLERK_SECRET_KEY });
  process.env.OFFLINE_MODE = "1";
  // What the server does at start (entry.server.tsx): lock waits happen in withLockRetry, off the event loop.
  waitForLocksOffTheEventLoop(getDb());
});
afterEach(() => standIn.faults.clear());
afterAll(async () => {
  process.env = saved;
  await standIn?.close();
});

// A counter, not the clock: two users seeded in one millisecond would share an address, which the stand-in refuses.
let seeded = 0;
function seedUser(firstName: string, lastName: string) {
  const email = `${firstName.toLowerCase()}-${++seeded}@example.com`;
  const [user] = standIn.store.seed([{ email_address: [email], first_name: firstName, last_name: lastName }]);
  return { id: user.id, personal: [email, firstName, lastName] };
}

/**
 * What `run` logged, what it returned or threw, and the wall time measured around it, in whole milliseconds
 * rounded up: a line's `ms` is measured inside that span, so it can be no more.
 */
async function logsOf<T>(run: () => Promise<T>) {
  const before = performance.now();
  const { result, lines } = await withCapturedLogs(() =>
    run().then(
      (value) => ({ value, thrown: undefined }),
      (thrown: unknown) => ({ value: undefined, thrown }),
    ),
  );
  return { ...result, lines, wallMs: Math.ceil(performance.now() - before) };
}

const linesOf = (lines: Record<string, any>[], event: string) => lines.filter((line) => line.event === event);

function expectNoPersonalData(lines: Record<string, any>[], personal: string[]) {
  const written = JSON.stringify(lines);
  for (const word of personal) expect(written).not.toContain(word);
}

/** Runs `run` while another connection (the backfill, a sqlite3 shell) holds the write lock throughout. */
async function whileTheLockIsHeldElsewhere<T>(run: () => Promise<T>): Promise<T> {
  const elsewhere = new Database(readDatabaseConfig().path);
  elsewhere.exec("BEGIN IMMEDIATE");
  try {
    return await run();
  } finally {
    elsewhere.exec("COMMIT");
    elsewhere.close();
  }
}

/** Runs `run` while every insert into `table` fails with an error that is neither Clerk's nor a busy lock. */
async function whileInsertsInto<T>(table: string, run: () => Promise<T>): Promise<T> {
  // TEMP: on the app's own connection only, and gone with it.
  sqlite().exec(
    `CREATE TEMP TRIGGER refuse_${table} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
  );
  try {
    return await run();
  } finally {
    sqlite().exec(`DROP TRIGGER temp.refuse_${table}`);
  }
}

describe("Sync User Data's log line", () => {
  it("a click that went through: manual_sync, the user's id, the outcome, the counts and its time", async () => {
    const ada = seedUser("Ada", "Lovelace");
    standIn.organizations.create({ name: "Analytical Engines", created_by: ada.id });
    const { value, lines, wallMs } = await logsOf(() => syncUserFromClerk(ada.id));
    expect(value).toMatchObject({ ok: true, outcome: "created" });
    expect(linesOf(lines, "manual_sync")).toEqual([
      {
        time: expect.any(String),
        level: "info",
        event: "manual_sync",
        clerk_user_id: ada.id,
        outcome: "created",
        memberships: 1,
        membership_changes: 1,
        ms: expect.any(Number),
      },
    ]);
    const { ms } = linesOf(lines, "manual_sync")[0];
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThanOrEqual(wallMs);
    expectNoPersonalData(lines, [...ada.personal, "Analytical Engines"]);
  });

  it("Clerk's failure: manual_sync_failed, the user's id, the kind of failure and its time", async () => {
    const grace = seedUser("Grace", "Hopper");
    standIn.faults.setApiFault("429", 1, 7);
    const { value, lines, wallMs } = await logsOf(() => syncUserFromClerk(grace.id));
    expect(value).toMatchObject({ ok: false, failure: { kind: "rate_limited" } });
    expect(linesOf(lines, "manual_sync")).toEqual([]);
    expect(linesOf(lines, "manual_sync_failed")).toEqual([
      {
        time: expect.any(String),
        level: "warn",
        event: "manual_sync_failed",
        clerk_user_id: grace.id,
        kind: "rate_limited",
        ms: expect.any(Number),
      },
    ]);
    const { ms } = linesOf(lines, "manual_sync_failed")[0];
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThanOrEqual(wallMs);
    expectNoPersonalData(lines, grace.personal);
  });

  it("a database busy for all of SQLITE_BUSY_TIMEOUT_MS: the wait is labelled manual_sync, the failure database_busy", async () => {
    const linus = seedUser("Linus", "Torvalds");
    const { value, lines, wallMs } = await logsOf(() => whileTheLockIsHeldElsewhere(() => syncUserFromClerk(linus.id)));
    expect(value).toMatchObject({ ok: false, failure: { kind: "database_busy" } });
    expect(linesOf(lines, "database_busy")).toEqual([
      { time: expect.any(String), level: "debug", event: "database_busy", label: "manual_sync" },
    ]);
    expect(linesOf(lines, "manual_sync_failed")).toEqual([
      expect.objectContaining({ level: "warn", clerk_user_id: linus.id, kind: "database_busy" }),
    ]);
    // It gave up only once the whole wait was spent.
    const { ms } = linesOf(lines, "manual_sync_failed")[0];
    expect(ms).toBeGreaterThanOrEqual(readDatabaseConfig().busyTimeoutMs);
    expect(ms).toBeLessThanOrEqual(wallMs);
    expectNoPersonalData(lines, linus.personal);
  });

  it("any other error is thrown to the route, not logged as the click's failure", async () => {
    const barbara = seedUser("Barbara", "Liskov");
    const { value, thrown, lines } = await logsOf(() => whileInsertsInto("users", () => syncUserFromClerk(barbara.id)));
    expect(value).toBeUndefined();
    expect(thrown).toMatchObject({ message: expect.stringContaining("refused by the test") });
    expect(linesOf(lines, "manual_sync_failed")).toEqual([]);
    expect(linesOf(lines, "manual_sync")).toEqual([]);
  });
});

describe("Sync organization's log line", () => {
  async function organizationWithTwoMembers(name: string) {
    const ada = seedUser("Ada", "Lovelace");
    const grace = seedUser("Grace", "Hopper");
    const organization = standIn.organizations.create({ name, created_by: ada.id });
    standIn.organizations.addMember(organization.id, grace.id, { role: "org:member" });
    for (const user of [ada, grace]) expect(await syncUserFromClerk(user.id)).toMatchObject({ ok: true });
    return { organization, personal: [...ada.personal, ...grace.personal, name] };
  }

  it("a click that went through: manual_organization_sync, the organization's id, synced, the members and its time", async () => {
    const { organization, personal } = await organizationWithTwoMembers("Compilers");
    const { value, lines, wallMs } = await logsOf(() => syncOrganizationFromClerk(organization.id));
    expect(value).toEqual({ ok: true, outcome: "synced", message: "Already up to date." });
    expect(linesOf(lines, "manual_organization_sync")).toEqual([
      {
        time: expect.any(String),
        level: "info",
        event: "manual_organization_sync",
        clerk_organization_id: organization.id,
        outcome: "synced",
        memberships: 2,
        ms: expect.any(Number),
      },
    ]);
    const { ms } = linesOf(lines, "manual_organization_sync")[0];
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThanOrEqual(wallMs);
    expectNoPersonalData(lines, personal);
  });

  it("an organization Clerk answers 404 for: outcome deleted, no memberships", async () => {
    const { organization, personal } = await organizationWithTwoMembers("Gone Fishing");
    standIn.organizations.delete(organization.id);
    const { value, lines, wallMs } = await logsOf(() => syncOrganizationFromClerk(organization.id));
    expect(value).toMatchObject({ ok: true, outcome: "deleted" });
    expect(linesOf(lines, "manual_organization_sync")).toEqual([
      {
        time: expect.any(String),
        level: "info",
        event: "manual_organization_sync",
        clerk_organization_id: organization.id,
        outcome: "deleted",
        memberships: 0,
        ms: expect.any(Number),
      },
    ]);
    const { ms } = linesOf(lines, "manual_organization_sync")[0];
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThanOrEqual(wallMs);
    expectNoPersonalData(lines, personal);
  });

  it("Clerk's failure: manual_organization_sync_failed, the organization's id, the kind of failure and its time", async () => {
    const { organization, personal } = await organizationWithTwoMembers("Rate Limited Ltd");
    standIn.faults.setApiFault("429", 1, 7);
    const { value, lines, wallMs } = await logsOf(() => syncOrganizationFromClerk(organization.id));
    expect(value).toMatchObject({ ok: false, failure: { kind: "rate_limited" } });
    expect(linesOf(lines, "manual_organization_sync")).toEqual([]);
    expect(linesOf(lines, "manual_organization_sync_failed")).toEqual([
      {
        time: expect.any(String),
        level: "warn",
        event: "manual_organization_sync_failed",
        clerk_organization_id: organization.id,
        kind: "rate_limited",
        ms: expect.any(Number),
      },
    ]);
    const { ms } = linesOf(lines, "manual_organization_sync_failed")[0];
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThanOrEqual(wallMs);
    expectNoPersonalData(lines, personal);
  });

  it("a database busy for all of SQLITE_BUSY_TIMEOUT_MS: the wait is labelled manual_organization_sync, the failure database_busy", async () => {
    const { organization, personal } = await organizationWithTwoMembers("Locked Out");
    const { value, lines, wallMs } = await logsOf(() =>
      whileTheLockIsHeldElsewhere(() => syncOrganizationFromClerk(organization.id)),
    );
    expect(value).toMatchObject({ ok: false, failure: { kind: "database_busy" } });
    expect(linesOf(lines, "database_busy")).toEqual([
      { time: expect.any(String), level: "debug", event: "database_busy", label: "manual_organization_sync" },
    ]);
    expect(linesOf(lines, "manual_organization_sync_failed")).toEqual([
      expect.objectContaining({ level: "warn", clerk_organization_id: organization.id, kind: "database_busy" }),
    ]);
    const { ms } = linesOf(lines, "manual_organization_sync_failed")[0];
    expect(ms).toBeGreaterThanOrEqual(readDatabaseConfig().busyTimeoutMs);
    expect(ms).toBeLessThanOrEqual(wallMs);
    expectNoPersonalData(lines, personal);
  });

  it("any other error is thrown to the route, not logged as the click's failure", async () => {
    const stranger = seedUser("Edsger", "Dijkstra");
    const organization = standIn.organizations.create({ name: "Never Stored", created_by: stranger.id });
    const { value, thrown, lines } = await logsOf(() =>
      whileInsertsInto("organizations", () => syncOrganizationFromClerk(organization.id)),
    );
    expect(value).toBeUndefined();
    expect(thrown).toMatchObject({ message: expect.stringContaining("refused by the test") });
    expect(linesOf(lines, "manual_organization_sync_failed")).toEqual([]);
    expect(linesOf(lines, "manual_organization_sync")).toEqual([]);
    expect(sqlite().prepare("select count(*) n from organizations where clerk_id = ?").get(organization.id)).toEqual({
      n: 0,
    });
  });
});
