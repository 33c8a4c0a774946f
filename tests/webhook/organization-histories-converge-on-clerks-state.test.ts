import {
  buildClerkOrganization,
  buildClerkOrganizationMembership,
  deletedClerkOrganization,
} from "@clerk-sync/clerk-stand-in/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { openDatabase } from "~/db/db.server";
import { processClerkWebhook } from "~/webhook/handle-webhook.server";
import { clerkEvent, signBody } from "../support/clerk-webhooks";
import { TEST_WEBHOOK_SECRET } from "../support/test-env";

/**
 * Clerk's side, played forward: one organization, a few people, and what Clerk
 * sends as they join, change role, leave, rejoin (with a new membership id),
 * are deleted, and as the organization changes and is deleted. Every
 * membership event carries the organization as it is at that moment.
 */
type Step =
  | { kind: "renameOrganization" }
  | { kind: "join"; person: number }
  | { kind: "changeRole"; person: number }
  | { kind: "leave"; person: number }
  | { kind: "deleteUser"; person: number; withMembershipEvent: boolean };

const PEOPLE = 2;
const person = fc.integer({ min: 0, max: PEOPLE - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: "renameOrganization" as const }) },
  // Joining and leaving often, so that people rejoin (a new membership id) and the two overtake each other.
  { weight: 4, arbitrary: person.map((p) => ({ kind: "join" as const, person: p })) },
  { weight: 2, arbitrary: person.map((p) => ({ kind: "changeRole" as const, person: p })) },
  { weight: 3, arbitrary: person.map((p) => ({ kind: "leave" as const, person: p })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ person, withMembershipEvent: fc.boolean() })
      .map((s) => ({ kind: "deleteUser" as const, ...s })),
  },
);

interface ClerkEnd {
  organizationId: string;
  organization: { deleted: boolean; name: string; updatedAt: number };
  /** Every membership id Clerk ever had, with its last role, or null once deleted. */
  memberships: Map<string, { role: string | null; updatedAt: number }>;
}

let histories = 0;

function playClerk(steps: Step[], deleteOrganization: boolean, cascadeMembershipEvents: boolean) {
  const n = ++histories;
  let clock = Date.UTC(2026, 0, 1) + n * 1_000_000;
  const tick = () => (clock += 1000);
  const organizationId = `org_history${n}`;
  let organization = buildClerkOrganization({ id: organizationId, name: "v0", created_at: tick(), updated_at: clock });
  const events: unknown[] = [clerkEvent("organization.created", organization)];
  const userIds = Array.from({ length: PEOPLE }, (_, p) => `user_history${n}_${p}`);
  const deletedUsers = new Set<number>();
  const live = new Map<number, ReturnType<typeof buildClerkOrganizationMembership>>();
  const memberships: ClerkEnd["memberships"] = new Map();
  let joins = 0;

  const membershipEvent = (type: string, membership: ReturnType<typeof buildClerkOrganizationMembership>) =>
    events.push(clerkEvent(type, { ...membership, organization }));
  const leave = (p: number) => {
    const membership = live.get(p)!;
    membershipEvent("organizationMembership.deleted", membership);
    memberships.set(membership.id, { role: null, updatedAt: membership.updated_at });
    live.delete(p);
  };

  for (const s of steps) {
    if (s.kind === "renameOrganization") {
      organization = { ...organization, name: `v${clock}`, updated_at: tick() };
      events.push(clerkEvent("organization.updated", organization));
    } else if (s.kind === "join" && !live.has(s.person) && !deletedUsers.has(s.person)) {
      const membership = buildClerkOrganizationMembership({
        id: `orgmem_history${n}_${++joins}`,
        organization,
        created_at: tick(),
        updated_at: clock,
        public_user_data: { ...buildClerkOrganizationMembership().public_user_data, user_id: userIds[s.person] },
      });
      live.set(s.person, membership);
      memberships.set(membership.id, { role: membership.role, updatedAt: membership.updated_at });
      membershipEvent("organizationMembership.created", membership);
    } else if (s.kind === "changeRole" && live.has(s.person)) {
      const before = live.get(s.person)!;
      const membership = {
        ...before,
        role: before.role === "org:admin" ? "org:member" : "org:admin",
        updated_at: tick(),
      };
      live.set(s.person, membership);
      memberships.set(membership.id, { role: membership.role, updatedAt: membership.updated_at });
      membershipEvent("organizationMembership.updated", membership);
    } else if (s.kind === "leave" && live.has(s.person)) {
      tick();
      leave(s.person);
    } else if (s.kind === "deleteUser" && !deletedUsers.has(s.person)) {
      tick();
      // Clerk may or may not announce the memberships a user's deletion ends; the app must end them either way.
      if (live.has(s.person) && s.withMembershipEvent) leave(s.person);
      else if (live.has(s.person)) {
        memberships.set(live.get(s.person)!.id, { role: null, updatedAt: clock });
        live.delete(s.person);
      }
      deletedUsers.add(s.person);
      events.push(clerkEvent("user.deleted", { object: "user", id: userIds[s.person], deleted: true }));
    }
  }
  if (deleteOrganization) {
    tick();
    for (const p of [...live.keys()]) {
      if (cascadeMembershipEvents) leave(p);
      else memberships.set(live.get(p)!.id, { role: null, updatedAt: clock });
    }
    events.push(clerkEvent("organization.deleted", deletedClerkOrganization(organizationId)));
  }
  const end: ClerkEnd = {
    organizationId,
    organization: { deleted: deleteOrganization, name: organization.name, updatedAt: organization.updated_at },
    memberships,
  };
  return { events, end };
}

describe("histories of the six organization and membership event types (and user.deleted)", () => {
  it("end in the state Clerk ends in, however Svix shuffles, repeats, drops and retries them", () => {
    const db = openDatabase({ path: ":memory:", synchronous: "NORMAL", busyTimeoutMs: 1000 });
    const now = Date.UTC(2026, 6, 1);
    const send = (body: string, svixId: string) =>
      processClerkWebhook(body, signBody(body, { svixId }), { db, secrets: [TEST_WEBHOOK_SECRET], now }).status;

    fc.assert(
      fc.property(
        fc.array(step, { minLength: 8, maxLength: 24, size: "max" }),
        // One history in four ends with the organization deleted.
        fc.nat({ max: 3 }).map((n) => n === 0),
        fc.boolean(),
        // Per delivery: where it lands, how many extra times Svix sends it, and whether its first attempt was lost.
        fc.array(fc.record({ at: fc.integer(), repeats: fc.nat({ max: 2 }), dropped: fc.boolean() }), {
          minLength: 64,
          maxLength: 64,
        }),
        (steps, deleteOrganization, cascade, delivery) => {
          const { events, end } = playClerk(steps, deleteOrganization, cascade);
          const attempts: { body: string; svixId: string; at: number }[] = [];
          events.forEach((event, i) => {
            const plan = delivery[i % delivery.length]!;
            const body = JSON.stringify(event);
            const svixId = `msg_${end.organizationId}_${i}`;
            // A lost first attempt is retried after everything else was delivered.
            const at = plan.dropped ? Number.MAX_SAFE_INTEGER - i : plan.at;
            for (let k = 0; k <= plan.repeats; k++) attempts.push({ body, svixId, at: k === 0 ? at : plan.at + k });
          });
          attempts.sort((a, b) => a.at - b.at);
          for (const attempt of attempts) expect(send(attempt.body, attempt.svixId)).toBe(200);

          const organization = db.$client
            .prepare("select name, clerk_updated_at, deleted_at from organizations where clerk_id = ?")
            .get(end.organizationId) as { name: string | null; clerk_updated_at: number | null; deleted_at: number };
          if (end.organization.deleted) {
            expect(organization).toMatchObject({ name: null, deleted_at: now });
          } else {
            expect(organization).toEqual({
              name: end.organization.name,
              clerk_updated_at: end.organization.updatedAt,
              deleted_at: null,
            });
          }

          const rows = db.$client
            .prepare(
              "select clerk_id, role, clerk_updated_at, deleted_at from organization_memberships where organization_clerk_id = ?",
            )
            .all(end.organizationId) as {
            clerk_id: string;
            role: string | null;
            clerk_updated_at: number;
            deleted_at: number | null;
          }[];
          const liveRows = Object.fromEntries(
            rows
              .filter((row) => row.deleted_at === null)
              .map((row) => [row.clerk_id, [row.role, row.clerk_updated_at]]),
          );
          const liveInClerk = Object.fromEntries(
            [...end.memberships].filter(([, m]) => m.role !== null).map(([id, m]) => [id, [m.role, m.updatedAt]]),
          );
          expect(liveRows).toEqual(liveInClerk);
          // What Clerk deleted is a tombstone, or was never stored because its organization or user was already gone.
          for (const row of rows) expect(row.deleted_at === null || row.role === null).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
    db.$client.close();
  });
});
