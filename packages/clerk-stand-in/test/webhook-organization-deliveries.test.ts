import { Webhook } from "svix";
import { afterEach, describe, expect, test } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "../src/index.js";
import { webhooksSpec } from "./support/openapi-schemas.js";
import { startWebhookReceiver, type ReceivedWebhook } from "./support/webhook-receiver.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setUp(answer?: Parameters<typeof startWebhookReceiver>[0]) {
  const receiver = await startWebhookReceiver(answer);
  const standIn = await startClerkStandIn({ port: 0, webhookUrls: [receiver.url], timeScale: 0.001 });
  cleanups.push(
    () => standIn.close(),
    () => receiver.close(),
  );
  const ada = standIn.store.create({ email_address: ["ada@example.com"], first_name: "Ada", last_name: "Lovelace" });
  const grace = standIn.store.create({ email_address: ["grace@example.com"], first_name: "Grace" });
  await standIn.deliveries.waitForIdle();
  const seen = receiver.received.length;
  /** What arrived after the two users' user.created, verified and parsed. */
  const events = () => receiver.received.slice(seen).map((delivery) => verified(standIn, delivery));
  return { receiver, standIn, ada, grace, events };
}

function verified(standIn: ClerkStandIn, delivery: ReceivedWebhook) {
  return new Webhook(standIn.webhookSecret).verify(delivery.rawBody, {
    "svix-id": String(delivery.headers["svix-id"]),
    "svix-timestamp": String(delivery.headers["svix-timestamp"]),
    "svix-signature": String(delivery.headers["svix-signature"]),
  }) as any;
}

describe("organization webhook deliveries", () => {
  test("all six event types arrive Svix-signed, each valid against Clerk's webhooks document", async () => {
    const { standIn, ada, grace, events } = await setUp();
    const context = { source: "api" as const, userAgent: "@clerk/backend@2", clientIp: "127.0.0.1" };
    const org = standIn.organizations.create({ name: "Acme Corp", created_by: ada.id }, context);
    standIn.organizations.update(org.id, { name: "Acme Inc" });
    standIn.organizations.addMember(org.id, grace.id, { role: "org:member" });
    standIn.organizations.updateMember(org.id, grace.id, { role: "org:admin" });
    standIn.organizations.removeMember(org.id, grace.id);
    standIn.organizations.delete(org.id);
    await standIn.deliveries.waitForIdle();

    const received = events();
    expect(received.map((event) => event.type).sort()).toEqual(
      [
        "organization.created",
        "organization.updated",
        "organization.deleted",
        "organizationMembership.created",
        "organizationMembership.created",
        "organizationMembership.updated",
        "organizationMembership.deleted",
      ].sort(),
    );
    for (const event of received) webhooksSpec().assertWebhook(event.type, event);
    const byType = (type: string) => received.filter((event) => event.type === type);

    expect(byType("organization.created")[0]).toMatchObject({
      object: "event",
      instance_id: standIn.instanceId,
      data: { object: "organization", id: org.id, name: "Acme Corp", members_count: 1, created_by: ada.id },
      event_attributes: { http_request: { client_ip: "127.0.0.1", user_agent: "@clerk/backend@2" } },
    });
    expect(byType("organization.deleted")[0].data).toEqual({ object: "organization", id: org.id, deleted: true });

    const graceJoined = byType("organizationMembership.created").find(
      (event) => event.data.public_user_data.user_id === grace.id,
    );
    // The whole organization rides along, as it was when the member joined, and the member's public data.
    expect(graceJoined.data).toMatchObject({
      object: "organization_membership",
      role: "org:member",
      organization: { object: "organization", id: org.id, name: "Acme Inc", members_count: 2 },
      public_user_data: { user_id: grace.id, first_name: "Grace", identifier: "grace@example.com" },
    });
    expect(byType("organizationMembership.updated")[0].data).toMatchObject({
      id: graceJoined.data.id,
      role: "org:admin",
    });
    expect(byType("organizationMembership.deleted")[0].data).toMatchObject({
      id: graceJoined.data.id,
      organization: { members_count: 1 },
    });

    const log = standIn.deliveries.records({ organization_id: org.id });
    expect(log).toHaveLength(7);
    expect(log.every((record) => record.state === "succeeded")).toBe(true);
    expect(log.find((record) => record.type === "organization.created")).not.toHaveProperty("user_id");
    expect(standIn.deliveries.records({ organization_id: org.id, user_id: grace.id })).toHaveLength(3);
  });

  test("deleting a user sends organizationMembership.deleted for each of their memberships", async () => {
    const { standIn, ada, grace, events } = await setUp();
    const acme = standIn.organizations.create({ name: "Acme", created_by: ada.id });
    const globex = standIn.organizations.create({ name: "Globex", created_by: ada.id });
    standIn.organizations.addMember(acme.id, grace.id, { role: "org:member" });
    await standIn.deliveries.waitForIdle();
    const before = events().length;

    standIn.store.delete(ada.id);
    await standIn.deliveries.waitForIdle();
    const after = events().slice(before);
    expect(after.map((event) => event.type).sort()).toEqual([
      "organizationMembership.deleted",
      "organizationMembership.deleted",
      "user.deleted",
    ]);
    for (const event of after) webhooksSpec().assertWebhook(event.type, event);
    const deletedFrom = after
      .filter((event) => event.type === "organizationMembership.deleted")
      .map((event) => [event.data.organization.id, event.data.public_user_data.user_id]);
    expect(deletedFrom.sort()).toEqual(
      [
        [acme.id, ada.id],
        [globex.id, ada.id],
      ].sort(),
    );
  });

  test("the delivery faults and Svix's retries apply to organization events as to user events", async () => {
    const { receiver, standIn, ada, grace } = await setUp(({ index }) => (index === 2 ? 503 : 204));
    // Two messages: the organization and its creator's membership. The first is dropped; the second's
    // first attempt fails (the switch) and its retry is answered 503 (the receiver), then it succeeds.
    standIn.faults.setDeliveryFaults({ drop: 1, fail: 1 });
    const org = standIn.organizations.create({ name: "Faulty", created_by: ada.id });
    await standIn.deliveries.waitForIdle();
    const [created] = standIn.deliveries.records({ type: "organization.created" });
    expect(created).toMatchObject({ state: "dropped", fault: "dropped", attempts: [] });
    const [joined] = standIn.deliveries.records({ type: "organizationMembership.created" });
    expect(joined.state).toBe("succeeded");
    expect(joined.attempts.map((attempt) => attempt.status ?? "not sent")).toEqual(["not sent", 503, 204]);
    const copies = receiver.received.filter((delivery) => delivery.svixId === joined.id);
    expect(copies).toHaveLength(2);

    standIn.faults.setDeliveryFaults({ duplicate: 1 });
    standIn.organizations.addMember(org.id, grace.id, { role: "org:member" });
    await standIn.deliveries.waitForIdle();
    const [duplicated] = standIn.deliveries.records({ user_id: grace.id, type: "organizationMembership.created" });
    expect(duplicated.fault).toBe("duplicated");
    const twice = receiver.received.filter((delivery) => delivery.svixId === duplicated.id);
    expect(twice.map((delivery) => delivery.rawBody)).toEqual([twice[0].rawBody, twice[0].rawBody]);
  });
});
