import type { Hono } from "hono";
import { notFound, paramMissing, paramValueInvalid } from "../errors.js";
import {
  isPlainObject,
  readJson,
  remoteAddress,
  sendJson,
  type StandInContext,
  type StandInEnv,
} from "../http-util.js";
import { queryOf } from "../backend-api/request.js";
import type {
  CreateOrganizationInput,
  MembershipInput,
  MembershipPatch,
  OrganizationStore,
  UpdateOrganizationPatch,
} from "../store/organizations.js";

/**
 * The "dashboard" side of organizations, under `/_control`: what the CLI's
 * `orgs`, `org …` and `member …` commands call. Lists have no 500 cap and
 * carry `members_count`; every change emits its webhook, as a dashboard edit does.
 */
export function addOrganizationControlRoutes(control: Hono<StandInEnv>, organizations: OrganizationStore): void {
  const all = { maxLimit: Number.MAX_SAFE_INTEGER };

  control.get("/organizations", (c) => {
    const query = queryOf(c);
    const limit = query.get("limit");
    return sendJson(
      c,
      200,
      organizations.list(
        { query: query.get("query") || undefined, limit: limit ? Number(limit) : Math.max(organizations.size, 1) },
        { membersCount: true, ...all },
      ),
    );
  });
  control.post("/organizations", async (c) => {
    const body = objectBody(await readJson(c), "an organization");
    if (typeof body.name !== "string") throw paramMissing("name");
    return sendJson(c, 200, organizations.create(body as unknown as CreateOrganizationInput, dashboard(c)));
  });
  control.get("/organizations/:id", (c) => {
    const organization = organizations.get(c.req.param("id"), { membersCount: true });
    if (!organization) throw notFound("Organization");
    return sendJson(c, 200, organization);
  });
  control.patch("/organizations/:id", async (c) => {
    const body = objectBody(await readJson(c), "a patch");
    return sendJson(c, 200, organizations.update(c.req.param("id"), body as UpdateOrganizationPatch, dashboard(c)));
  });
  control.delete("/organizations/:id", (c) => sendJson(c, 200, organizations.delete(c.req.param("id"), dashboard(c))));

  control.get("/organizations/:id/memberships", (c) => {
    const id = c.req.param("id");
    const size = Math.max(organizations.get(id, { membersCount: true })?.members_count ?? 1, 1);
    return sendJson(c, 200, organizations.members(id, { order_by: "created_at", limit: size }));
  });
  control.post("/organizations/:id/memberships", async (c) => {
    const body = objectBody(await readJson(c), "{ user_id, role }");
    if (typeof body.user_id !== "string") throw paramValueInvalid("user_id", "Expected { user_id, role }.");
    const input = { role: body.role, public_metadata: body.public_metadata, private_metadata: body.private_metadata };
    return sendJson(
      c,
      200,
      organizations.addMember(c.req.param("id"), body.user_id, input as MembershipInput, dashboard(c)),
    );
  });
  control.patch("/organizations/:id/memberships/:userId", async (c) => {
    const body = objectBody(await readJson(c), "a patch");
    const { id, userId } = c.req.param();
    return sendJson(c, 200, organizations.updateMember(id, userId, body as MembershipPatch, dashboard(c)));
  });
  control.delete("/organizations/:id/memberships/:userId", (c) => {
    const { id, userId } = c.req.param();
    return sendJson(c, 200, organizations.removeMember(id, userId, dashboard(c)));
  });
}

function objectBody(body: unknown, expected: string): Record<string, unknown> {
  if (!isPlainObject(body)) throw paramValueInvalid("body", `Expected ${expected}.`);
  return body;
}

function dashboard(c: StandInContext) {
  return { source: "control" as const, userAgent: c.req.header("user-agent") ?? "", clientIp: remoteAddress(c) };
}
