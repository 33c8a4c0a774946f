import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { BackfillSummary } from "~/backfill/backfill-outcome.server";
import {
  backfillOrganizationsFromClerk,
  type OrganizationBackfillOptions,
  type OrganizationKind,
} from "~/backfill/backfill-organizations.server";
import { BackfillStopped, type BackfillProgress } from "~/backfill/backfill-users.server";
import { syncAllFromClerk } from "~/backfill/sync-all.server";
import { getDb, openDatabase } from "~/db/db.server";
import { startFakeClerk } from "../support/fake-clerk";
import {
  forgetOrganizations,
  liveOrganizationIds,
  newMembership,
  newOrganization,
  startOrganizationLists,
  type OrganizationLists,
} from "./organization-lists";
import { UNLIMITED } from "./support";

/**
 * What the organization backfill tells the one who runs it, kind by kind: a progress line per kind
 * (`sync:all`'s bar) that shows each page and ends once, each kind's summary handed out as soon as that kind
 * is done, the sentence for an instance without organizations, and a dry run that counts and writes nothing.
 */

let clerk: OrganizationLists;
const PAGE = 3;

beforeAll(async () => {
  clerk = await startOrganizationLists();
});
afterAll(() => clerk?.close());
beforeEach(() => {
  forgetOrganizations();
  clerk.organizations.length = 0;
  clerk.memberships.length = 0;
  clerk.requests.length = 0;
  clerk.answer = undefined;
});

/** Five organizations of two members each. */
function fiveTeams() {
  for (let o = 0; o < 5; o++) {
    const organization = newOrganization();
    clerk.organizations.push(organization);
    clerk.memberships.push(newMembership(organization), newMembership(organization));
  }
}

/** Every call the run makes to its progress lines and `finished`, in order, as `kind call`. */
function recorder() {
  const calls: string[] = [];
  const summaries = new Map<OrganizationKind, BackfillSummary>();
  const line = (kind: OrganizationKind): BackfillProgress => ({
    begin: () => calls.push(`${kind} begin`),
    page: (done, total) => calls.push(`${kind} page ${done}/${total}`),
    retry: (event) => calls.push(`${kind} retry ${event.kind}`),
    checkingMissing: (candidates) => calls.push(`${kind} checking ${candidates}`),
    end: () => calls.push(`${kind} end`),
  });
  const options = {
    progress: { organizations: line("organizations"), memberships: line("memberships") },
    finished: (kind: OrganizationKind, summary: BackfillSummary) => {
      calls.push(`${kind} finished`);
      summaries.set(kind, summary);
    },
  } satisfies Partial<OrganizationBackfillOptions>;
  return { calls, summaries, options };
}

const run = (options: Partial<OrganizationBackfillOptions> = {}) =>
  backfillOrganizationsFromClerk({
    clerk: clerk.clerk,
    db: getDb(),
    limiter: UNLIMITED,
    pageSize: PAGE,
    concurrency: 1,
    ...options,
  });

const tables = () =>
  JSON.stringify(
    ["organizations", "organization_memberships"].map((table) =>
      getDb().$client.prepare(`select * from ${table} order by id`).all(),
    ),
  );

const notFound = JSON.stringify({ errors: [{ code: "resource_not_found", message: "not found" }] });

describe("the organization backfill's progress", () => {
  it("shows each page of each kind against Clerk's total, ends each line once, and hands out each kind when done", async () => {
    fiveTeams();
    const { calls, summaries, options } = recorder();
    const startedAt = Date.now();
    const summary = await run(options);
    const took = Date.now() - startedAt;

    expect(calls).toEqual([
      "organizations begin",
      "organizations page 3/5",
      "organizations page 5/5",
      "organizations end",
      "organizations finished",
      "memberships begin",
      "memberships page 3/10",
      "memberships page 6/10",
      "memberships page 9/10",
      "memberships page 10/10",
      "memberships end",
      "memberships finished",
    ]);
    expect(summary.skipped).toBeNull();
    expect(summary.organizations).toMatchObject({ listed: 5, pages: 2, created: 5, dryRun: false });
    expect(summary.memberships).toMatchObject({ listed: 10, pages: 4, created: 10, dryRun: false });
    expect(summaries.get("organizations")).toBe(summary.organizations);
    expect(summaries.get("memberships")).toBe(summary.memberships);
    // Each kind's time is its own: together they are no more than the run's.
    for (const kind of ["organizations", "memberships"] as const) {
      expect(summary[kind].elapsedMs, kind).toBeGreaterThanOrEqual(0);
    }
    expect(summary.organizations.elapsedMs + summary.memberships.elapsedMs).toBeLessThanOrEqual(took);
    expect(liveOrganizationIds()).toEqual({
      organizations: clerk.organizations.map((organization) => organization.id).sort(),
      memberships: clerk.memberships.map((membership) => membership.id).sort(),
    });
  });

  it("shows a total no smaller than what was read, when the list grew past the total Clerk gave first", async () => {
    fiveTeams();
    // Clerk's total lags behind: every page says three, though the list holds five.
    clerk.answer = (url, res) => {
      if (url.pathname !== "/v1/organizations") return false;
      const offset = Number(url.searchParams.get("offset") ?? 0);
      const data = clerk.organizations.slice(offset, offset + PAGE);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data, total_count: 3 }));
      return true;
    };
    const { calls, options } = recorder();
    const summary = await run(options);
    expect(calls.filter((call) => call.startsWith("organizations page"))).toEqual([
      "organizations page 3/3",
      "organizations page 5/5",
    ]);
    expect(summary.organizations.listed).toBe(5);
  });

  it("asks for Clerk's largest page when no page size is given, and writes to the app's database by default", async () => {
    fiveTeams();
    const summary = await backfillOrganizationsFromClerk({ clerk: clerk.clerk, limiter: UNLIMITED });
    expect(clerk.requests).toEqual([
      "/v1/organizations?limit=500&order_by=%2Bcreated_at",
      "/v1/organization_memberships?limit=500&order_by=%2Bcreated_at",
    ]);
    expect(summary.memberships.created).toBe(10);
    expect(liveOrganizationIds().memberships).toHaveLength(10);
  });

  it("ends the line of the kind it stopped in, once, and closes the requests still out", async () => {
    fiveTeams();
    // Two pages at once: the page at 6 is out, never answered, when the one at 3 fails (it answers once both
    // are asked for). The run's end must close the one still out.
    let hanging: { closed: boolean } | undefined;
    let fail: (() => void) | undefined;
    clerk.answer = (url, res, req) => {
      if (url.pathname !== "/v1/organization_memberships") return false;
      const offset = url.searchParams.get("offset");
      if (offset === "3") {
        fail = () =>
          res
            .writeHead(401, { "content-type": "application/json" })
            .end(JSON.stringify({ errors: [{ code: "authentication_invalid", message: "Unauthorized" }] }));
        if (hanging) fail();
        return true;
      }
      if (offset !== "6") return false;
      const request = { closed: false };
      hanging = request;
      req.socket.once("close", () => (request.closed = true));
      fail?.();
      return true;
    };
    const { calls, options } = recorder();
    const outcome = await run({ ...options, concurrency: 2 }).catch((error: unknown) => error);

    expect(outcome).toBeInstanceOf(BackfillStopped);
    expect((outcome as BackfillStopped).message).toMatch(
      /^Stopped after 3 memberships \(page 2\): Clerk answered with an error \(HTTP 401\)\..*Check CLERK_SECRET_KEY/,
    );
    expect(calls.filter((call) => call.startsWith("memberships") && !call.includes("page"))).toEqual([
      "memberships begin",
      "memberships end",
    ]);
    expect(calls).toContain("organizations finished");
    expect(calls).not.toContain("memberships finished");
    await expect.poll(() => hanging?.closed).toBe(true);
  });
});

describe("an instance whose organization lists are turned off", () => {
  it("says the memberships list answered 404, keeps the organizations, and hands out no memberships summary", async () => {
    fiveTeams();
    clerk.answer = (url, res) => {
      if (url.pathname !== "/v1/organization_memberships") return false;
      res.writeHead(404, { "content-type": "application/json" }).end(notFound);
      return true;
    };
    const { calls, options } = recorder();
    const summary = await run({ ...options, prune: true });

    expect(summary.skipped).toBe(
      "Clerk answered 404 to GET /v1/organization_memberships: organizations are not turned on for this instance (Clerk's dashboard → Organizations), so there were none to sync.",
    );
    expect(summary.organizations).toMatchObject({ listed: 5, created: 5 });
    expect(summary.memberships).toMatchObject({ listed: 0, pages: 0, elapsedMs: 0 });
    expect(calls.filter((call) => !call.includes("page"))).toEqual([
      "organizations begin",
      "organizations end",
      "organizations finished",
      "memberships begin",
      "memberships end",
    ]);
    expect(liveOrganizationIds()).toMatchObject({ memberships: [] });
    expect(liveOrganizationIds().organizations).toHaveLength(5);
  });

  it("says the organizations list answered 404, and reads nothing more", async () => {
    fiveTeams();
    clerk.answer = (url, res) => {
      res.writeHead(404, { "content-type": "application/json" }).end(notFound);
      return true;
    };
    const { calls, options } = recorder();
    const summary = await run(options);
    expect(summary.skipped).toMatch(
      /^Clerk answered 404 to GET \/v1\/organizations: organizations are not turned on for this instance/,
    );
    expect(calls).toEqual(["organizations begin", "organizations end"]);
    expect(clerk.requests).toHaveLength(1);
  });

  it("writes nothing for lists that hold nothing: an instance with no organizations yet never waits for the write lock", async () => {
    // A database whose writes fail at once while another connection holds the lock.
    const path = join(mkdtempSync(join(tmpdir(), "clerk-sync-empty-lists-")), "app.db");
    const db = openDatabase({ path, synchronous: "NORMAL", busyTimeoutMs: 0 });
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    try {
      const summary = await run({ db });
      expect(summary.skipped).toBeNull();
      expect(summary.organizations).toMatchObject({ listed: 0, pages: 1, created: 0 });
      expect(summary.memberships).toMatchObject({ listed: 0, pages: 1, created: 0 });
    } finally {
      other.exec("ROLLBACK");
      other.close();
      db.$client.close();
    }
  });

  it("does not take another error for organizations turned off: a 401 stops the run", async () => {
    clerk.answer = (_url, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "authentication_invalid", message: "Unauthorized" }] }));
      return true;
    };
    await expect(run()).rejects.toThrow(
      /^Stopped after 0 organizations \(page 1\): Clerk answered with an error \(HTTP 401\)/,
    );
  });
});

describe("a dry run of the organization backfill", () => {
  it("counts what it would create and change, of both kinds, and writes nothing", async () => {
    fiveTeams();
    const preview = await run({ dryRun: true });
    expect(preview.organizations).toMatchObject({ dryRun: true, created: 5 });
    expect(preview.memberships).toMatchObject({ dryRun: true, created: 10 });
    expect(liveOrganizationIds()).toEqual({ organizations: [], memberships: [] });

    await run();
    const renamed = clerk.organizations[0];
    Object.assign(renamed, { name: "Renamed", updated_at: renamed.updated_at + 1 });
    const member = clerk.memberships[9];
    Object.assign(member, { role: "org:admin", updated_at: member.updated_at + 1 });
    const before = tables();
    const again = await run({ dryRun: true });
    expect(again.organizations).toMatchObject({ dryRun: true, created: 0, updated: 1, unchanged: 4 });
    expect(again.memberships).toMatchObject({ dryRun: true, created: 0, updated: 1, unchanged: 9 });
    expect(tables()).toBe(before);
  });
});

/** A prune's question about what the walk did not list: organizations by id, or one organization's members. */
const askedAbout = (request: string) =>
  request.includes("organization_id=") || /^\/v1\/organizations\/[^/]+\/memberships/.test(request);

describe("a prune after a walk that listed everything", () => {
  it("asks Clerk about nothing more, and asks only about what the walk did not list", async () => {
    fiveTeams();
    await run();
    clerk.requests.length = 0;
    const { calls, options } = recorder();
    const summary = await run({ ...options, prune: true });
    expect(summary.organizations.pruned).toBe(0);
    expect(summary.memberships.pruned).toBe(0);
    expect(calls.filter((call) => call.includes("checking"))).toEqual([]);
    expect(clerk.requests.filter(askedAbout)).toEqual([]);

    // An organization and a membership of another that Clerk no longer has: each asked about, once.
    const [gone] = clerk.organizations.splice(4, 1);
    const ended = clerk.memberships.splice(0, 1)[0];
    clerk.memberships.splice(
      clerk.memberships.findIndex((membership) => membership.organization.id === gone.id),
      2,
    );
    clerk.requests.length = 0;
    const pruning = recorder();
    const pruned = await run({ ...pruning.options, prune: true });
    expect(pruned.organizations).toMatchObject({ pruned: 1, prunedIds: [gone.id] });
    expect(pruned.memberships).toMatchObject({ pruned: 1, prunedIds: [ended.id] });
    expect(pruning.calls.filter((call) => call.includes("checking"))).toEqual([
      "organizations checking 1",
      "memberships checking 1",
    ]);
    expect(clerk.requests.filter(askedAbout)).toEqual([
      `/v1/organizations?organization_id=${gone.id}&limit=1`,
      `/v1/organizations/${ended.organization.id}/memberships?limit=3&order_by=%2Bcreated_at`,
    ]);
  });
});

describe("sync:all", () => {
  it("hands out each kind's summary as soon as it is done: users, then organizations, then memberships", async () => {
    const fake = await startFakeClerk(3);
    try {
      const finished: [string, number][] = [];
      const summary = await syncAllFromClerk({
        clerk: { secretKey: fake.env.CLERK_SECRET_KEY, apiUrl: `http://127.0.0.1:${fake.port}` },
        db: getDb(),
        limiter: UNLIMITED,
        finished: (kind, kindSummary) => finished.push([kind, kindSummary.listed]),
      });
      expect(finished).toEqual([
        ["users", 3],
        ["organizations", 1],
        ["memberships", 3],
      ]);
      expect(summary.users.listed).toBe(3);
    } finally {
      await fake.close();
    }
  });
});
