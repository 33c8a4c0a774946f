import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ClerkOrganizationJSON, ClerkOrganizationMembershipJSON } from "@clerk-sync/clerk-stand-in/testing";
import {
  backfillOrganizationsFromClerk,
  type OrganizationBackfillOptions,
} from "~/backfill/backfill-organizations.server";
import { BackfillStopped } from "~/backfill/backfill-users.server";
import { getDb } from "~/db/db.server";
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
 * `--prune` for memberships asks each organization with candidates for its members before tombstoning any
 * (prune-organizations.server.ts): a member list that changes while it is read is read again, and kept
 * whole if it never holds still; an organization Clerk no longer has has no members; any other refusal
 * stops the run. And a dry run says in its own words what a real run would refuse.
 */

let clerk: OrganizationLists;
const PAGE = 3;
let team: ClerkOrganizationJSON;
let ended: ClerkOrganizationMembershipJSON;

beforeAll(async () => {
  clerk = await startOrganizationLists();
});
afterAll(() => clerk?.close());

/**
 * One team of four members in Clerk, and a fifth stored here whose membership has ended in Clerk (its webhook
 * never came): the prune's one candidate.
 */
beforeEach(async () => {
  forgetOrganizations();
  clerk.answer = undefined;
  team = newOrganization();
  clerk.organizations.splice(0, Infinity, team);
  clerk.memberships.splice(0, Infinity, ...Array.from({ length: 5 }, () => newMembership(team)));
  await run();
  ended = clerk.memberships.pop()!;
  clerk.requests.length = 0;
});

const run = (options: Partial<OrganizationBackfillOptions> = {}) =>
  backfillOrganizationsFromClerk({
    clerk: clerk.clerk,
    db: getDb(),
    limiter: UNLIMITED,
    pageSize: PAGE,
    concurrency: 1,
    ...options,
  });

const membersPath = () => `/v1/organizations/${team.id}/memberships`;
const memberListReads = () => clerk.requests.filter((request) => request.startsWith(`${membersPath()}?`));

/**
 * Answers the team's member list, the `n`th request (from 0) as `twist` says: its page with another total,
 * or other items.
 */
function twistMemberList(twist: (n: number, page: { data: unknown[]; total_count: number }) => unknown) {
  let n = 0;
  clerk.answer = (url, res: ServerResponse) => {
    if (url.pathname !== membersPath()) return false;
    const offset = Number(url.searchParams.get("offset") ?? 0);
    const data = clerk.memberships.slice(offset, offset + PAGE);
    const body = twist(n++, { data, total_count: clerk.memberships.length });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    return true;
  };
}

describe("a membership prune reading an organization's members", () => {
  it("tombstones a membership its organization no longer lists, after one steady read of the list", async () => {
    const summary = await run({ prune: true });
    expect(summary.memberships).toMatchObject({ pruned: 1, prunedIds: [ended.id] });
    expect(memberListReads()).toEqual([
      `${membersPath()}?limit=3&order_by=%2Bcreated_at`,
      `${membersPath()}?limit=3&offset=3&order_by=%2Bcreated_at`,
    ]);
    expect(liveOrganizationIds().memberships).not.toContain(ended.id);
  });

  it("reads the list again when its total moves between two pages, and tombstones once it holds still", async () => {
    // The first read's second page says one member fewer than its first: someone left meanwhile.
    twistMemberList((n, page) => (n === 0 ? { ...page, total_count: page.total_count + 1 } : page));
    const summary = await run({ prune: true });
    expect(memberListReads()).toHaveLength(4);
    expect(summary.memberships).toMatchObject({ pruned: 1, prunedIds: [ended.id] });
  });

  it("reads the list again when its pages do not add up to its total (a member pushed across a page)", async () => {
    // The first read's second page repeats a member of the first page instead of the fourth.
    twistMemberList((n, page) => (n === 1 ? { ...page, data: [clerk.memberships[2]] } : page));
    const summary = await run({ prune: true });
    expect(memberListReads()).toHaveLength(4);
    expect(summary.memberships).toMatchObject({ pruned: 1, prunedIds: [ended.id] });
  });

  it("keeps the candidates of a list that never holds still, after three reads: a tombstone is final", async () => {
    twistMemberList((n, page) => ({ ...page, total_count: page.total_count + (n % 2) }));
    const summary = await run({ prune: true });
    expect(memberListReads()).toHaveLength(6);
    expect(summary.memberships).toMatchObject({ pruned: 0, prunedIds: [] });
    expect(liveOrganizationIds().memberships).toContain(ended.id);
  });

  it("takes a 404 for the member list as an organization deleted since the walk: its candidates are gone", async () => {
    clerk.answer = (url, res) => {
      if (url.pathname !== membersPath()) return false;
      res
        .writeHead(404, { "content-type": "application/json" })
        .end(JSON.stringify({ errors: [{ code: "resource_not_found", message: "not found" }] }));
      return true;
    };
    const summary = await run({ prune: true });
    expect(memberListReads()).toHaveLength(1);
    expect(summary.memberships).toMatchObject({ pruned: 1, prunedIds: [ended.id] });
  });

  it("stops the run, tombstoning nothing, when Clerk refuses the member list otherwise", async () => {
    clerk.answer = (url, res) => {
      if (url.pathname !== membersPath()) return false;
      res
        .writeHead(403, { "content-type": "application/json" })
        .end(JSON.stringify({ errors: [{ code: "authorization_invalid", message: "forbidden" }] }));
      return true;
    };
    const stopped = await run({ prune: true }).catch((error: unknown) => error);
    expect(stopped).toBeInstanceOf(BackfillStopped);
    expect((stopped as BackfillStopped).message).toMatch(
      /^Stopped after 4 memberships \(page 3\): Clerk answered with an error \(HTTP 403\)\./,
    );
    expect(liveOrganizationIds().memberships).toContain(ended.id);
  });
});

describe("a dry run of a prune that a real run would refuse", () => {
  it("says what a real run would refuse, and that --force on the dry run lists them", async () => {
    const many = Array.from({ length: 11 }, () => newOrganization());
    clerk.organizations.push(...many);
    await run();
    // Another instance's key, say: Clerk lists none of the twelve.
    clerk.organizations.length = 0;
    clerk.memberships.length = 0;
    const before = liveOrganizationIds();
    const stopped = await run({ prune: true, dryRun: true }).catch((error: unknown) => error);
    expect(stopped).toBeInstanceOf(BackfillStopped);
    expect(stopped).toMatchObject({
      dryRun: true,
      message:
        "A real run would refuse to tombstone 12 of the 12 stored organizations: Clerk no longer lists them. If CLERK_SECRET_KEY belongs to another instance (development instead of production?), that would erase them for good. Check the key; add --force to this dry run to list them, and to a real run if it is right.",
    });
    expect(liveOrganizationIds()).toEqual(before);
  });
});
