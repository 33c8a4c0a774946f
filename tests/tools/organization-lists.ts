import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  buildClerkOrganization,
  buildClerkOrganizationMembership,
  type ClerkOrganizationJSON,
  type ClerkOrganizationMembershipJSON,
} from "@clerk-sync/clerk-stand-in/testing";
import type { ClerkApiAccess } from "~/backfill/user-list-stream.server";
import { getDb } from "~/db/db.server";

/**
 * Clerk's organization lists as the organization backfill reads them, from arrays the test changes at will:
 * `GET /v1/organizations` (by offset, or by `organization_id`), the instance's
 * `GET /v1/organization_memberships`, and one organization's `GET /v1/organizations/{id}/memberships`
 * (404 once the organization is gone). `answer` takes over any request it returns true for: a fault, a
 * list that changes while it is read.
 */
export interface OrganizationLists {
  clerk: ClerkApiAccess;
  organizations: ClerkOrganizationJSON[];
  memberships: ClerkOrganizationMembershipJSON[];
  /** Every request, as `path?query`. */
  requests: string[];
  answer?(url: URL, res: ServerResponse, req: IncomingMessage): boolean;
  close(): Promise<void>;
}

const START = Date.UTC(2025, 0, 1);

export async function startOrganizationLists(): Promise<OrganizationLists> {
  const send = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  const notFound = { errors: [{ code: "resource_not_found", message: "not found", long_message: "Not found" }] };
  const offsetPage = (items: unknown[], url: URL) => {
    const offset = Number(url.searchParams.get("offset") ?? 0);
    const limit = Number(url.searchParams.get("limit") ?? 10);
    return { data: items.slice(offset, offset + limit), total_count: items.length };
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://clerk");
    lists.requests.push(`${url.pathname}${url.search}`);
    if (lists.answer?.(url, res, req)) return;
    const ids = url.searchParams.getAll("organization_id");
    if (url.pathname === "/v1/organizations" && ids.length > 0) {
      const present = lists.organizations.filter((organization) => ids.includes(organization.id));
      return send(res, 200, { data: present, total_count: present.length });
    }
    if (url.pathname === "/v1/organizations") return send(res, 200, offsetPage(lists.organizations, url));
    if (url.pathname === "/v1/organization_memberships") return send(res, 200, offsetPage(lists.memberships, url));
    const members = /^\/v1\/organizations\/([^/]+)\/memberships$/.exec(url.pathname);
    if (members && lists.organizations.some((organization) => organization.id === members[1])) {
      const ofOrganization = lists.memberships.filter((membership) => membership.organization.id === members[1]);
      return send(res, 200, offsetPage(ofOrganization, url));
    }
    send(res, 404, notFound);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const lists: OrganizationLists = {
    clerk: {
      secretKey: "sk_test_organization_lists",
      apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    },
    organizations: [],
    memberships: [],
    requests: [],
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return lists;
}

let created = 0;

/** A new organization, created a minute after the one before (the lists are oldest first). */
export function newOrganization(name = `Team ${created}`): ClerkOrganizationJSON {
  const at = START + ++created * 60_000;
  return buildClerkOrganization({ name, created_at: at, updated_at: at });
}

/** A new member of `organization`, created a minute after the one before. */
export function newMembership(organization: ClerkOrganizationJSON): ClerkOrganizationMembershipJSON {
  const at = START + ++created * 60_000;
  return buildClerkOrganizationMembership({ organization, created_at: at, updated_at: at });
}

/** Empties the organization tables of this test file's database. */
export function forgetOrganizations(): void {
  getDb().$client.exec("delete from organization_memberships; delete from organizations;");
}

/** The rows stored live, by Clerk id. */
export function liveOrganizationIds(): { organizations: string[]; memberships: string[] } {
  const ids = (table: string) =>
    (
      getDb().$client.prepare(`select clerk_id from ${table} where deleted_at is null order by clerk_id`).all() as {
        clerk_id: string;
      }[]
    ).map((row) => row.clerk_id);
  return { organizations: ids("organizations"), memberships: ids("organization_memberships") };
}
