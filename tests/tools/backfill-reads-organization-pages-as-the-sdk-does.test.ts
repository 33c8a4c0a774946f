import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { createClerkClient } from "@clerk/backend";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  clerkOrganizationsStillPresent,
  listClerkMemberships,
  listClerkOrganizations,
  listMembershipsOfClerkOrganization,
} from "~/backfill/organization-pages.server";

// What reached the server, one entry per request: the URL as sent and the headers that say who and which API.
const seen: { url: string; authorization?: string; version?: string }[] = [];
let apiUrl = "";
const secretKey = "sk_test_organization_pages_as_the_sdk";
const server = createServer((req, res) => {
  const headers: IncomingHttpHeaders = req.headers;
  seen.push({
    url: req.url ?? "",
    authorization: headers.authorization,
    version: headers["clerk-api-version"] as string | undefined,
  });
  res.writeHead(200, { "content-type": "application/json" }).end('{"data":[],"total_count":0}');
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The request the SDK sends, then the one the backfill sends: the same URL, key and API version. */
async function sentBoth(sdk: () => Promise<unknown>, backfill: () => Promise<unknown>) {
  seen.length = 0;
  await sdk();
  await backfill();
  expect(seen).toHaveLength(2);
  return seen;
}

describe("the backfill's organization and membership pages", () => {
  const sdk = () => createClerkClient({ secretKey, apiUrl }).organizations;
  const clerk = () => ({ secretKey, apiUrl });
  const signal = new AbortController().signal;

  for (const offset of [0, 1500]) {
    it(`ask for organizations as organizations.getOrganizationList does (offset ${offset})`, async () => {
      const [fromSdk, fromBackfill] = await sentBoth(
        () => sdk().getOrganizationList({ limit: 500, offset, orderBy: "+created_at" }),
        () => listClerkOrganizations(clerk(), { limit: 500, offset }, signal),
      );
      expect(fromBackfill).toEqual(fromSdk);
      expect(fromBackfill.url).toContain("order_by=%2Bcreated_at");
    });

    it(`ask for memberships as organizations.getInstanceOrganizationMembershipList does (offset ${offset})`, async () => {
      const [fromSdk, fromBackfill] = await sentBoth(
        () => sdk().getInstanceOrganizationMembershipList({ limit: 500, offset, orderBy: "+created_at" }),
        () => listClerkMemberships(clerk(), { limit: 500, offset }, signal),
      );
      expect(fromBackfill).toEqual(fromSdk);
    });
  }

  it("ask for one organization's members, and for organizations by id, as the SDK does", async () => {
    const members = await sentBoth(
      () =>
        sdk().getOrganizationMembershipList({
          organizationId: "org_a",
          limit: 500,
          offset: 500,
          orderBy: "+created_at",
        }),
      () => listMembershipsOfClerkOrganization(clerk(), "org_a", { limit: 500, offset: 500 }, signal),
    );
    expect(members[1]).toEqual(members[0]);
    const byId = await sentBoth(
      () => sdk().getOrganizationList({ organizationId: ["org_a", "org_b"], limit: 2 }),
      () => clerkOrganizationsStillPresent(clerk(), ["org_a", "org_b"], signal),
    );
    expect(byId[1]).toEqual(byId[0]);
    expect(byId[1].url).toBe("/v1/organizations?organization_id=org_a&organization_id=org_b&limit=2");
  });
});
