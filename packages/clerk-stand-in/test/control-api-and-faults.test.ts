import { createClerkClient } from "@clerk/backend";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "../src/index.js";
import { bapiSpec } from "./support/openapi-schemas.js";
import { startWebhookReceiver } from "./support/webhook-receiver.js";

let standIn: ClerkStandIn;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  standIn = await startClerkStandIn({ port: 0, webhookUrls: [receiver.url], timeScale: 0.0001 });
});
afterAll(async () => {
  await standIn.close();
  await receiver.close();
});
beforeEach(async () => {
  await control("POST", "/_control/reset");
  receiver.received.length = 0;
});

async function control(method: string, path: string, body?: unknown) {
  const response = await fetch(`${standIn.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${standIn.controlToken}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as any };
}

const bodies = () => receiver.received.map((delivery) => JSON.parse(delivery.rawBody));
const createUsers = (...names: string[]) => names.map((first_name) => standIn.store.create({ first_name }));

describe("control API", () => {
  test("config gives an app everything it needs to talk to the stand-in", async () => {
    const { json } = await control("GET", "/_control/config");
    expect(json).toMatchObject({
      apiUrl: standIn.url,
      secretKey: expect.stringMatching(/^sk_test_/),
      publishableKey: expect.stringMatching(/^pk_(test|live)_/),
      jwtKey: expect.stringContaining("BEGIN PUBLIC KEY"),
      webhookSecret: expect.stringMatching(/^whsec_/),
      endpoints: [receiver.url],
    });
    expect(json.env).toMatchObject({ CLERK_API_URL: standIn.url, CLERK_WEBHOOK_SIGNING_SECRET: standIn.webhookSecret });
  });

  test("seed takes an array silently, { users, emit } with webhooks, and { count } for bulk", async () => {
    await control("POST", "/_control/seed", [{ email_address: ["quiet@example.com"] }]);
    await control("POST", "/_control/seed", { users: [{ email_address: ["loud@example.com"] }], emit: true });
    const bulk = await control("POST", "/_control/seed", { count: 10_000 });
    expect(bulk.json.count).toBe(10_000);
    await control("POST", "/_control/deliveries/wait");
    expect(bodies().map((event) => event.data.email_addresses[0].email_address)).toEqual(["loud@example.com"]);
    expect(standIn.store.count()).toBe(10_002);
    const listed = await control("GET", "/_control/users?limit=3");
    expect(listed.json.total_count).toBe(10_002);
    expect(listed.json.data).toHaveLength(3);
  });

  test("dashboard edits and deletes emit webhooks like Clerk's dashboard does", async () => {
    const [user] = createUsers("Dash");
    const patched = await control("PATCH", `/_control/users/${user.id}`, {
      primary_email_address: "dash@example.com",
      public_metadata: { role: "admin" },
    });
    bapiSpec().assertSchema("User", patched.json);
    await control("DELETE", `/_control/users/${user.id}`);
    await control("POST", "/_control/deliveries/wait");
    expect(bodies().map((event) => event.type)).toEqual(["user.created", "user.updated", "user.deleted"]);
    expect(bodies()[1].data.public_metadata).toEqual({ role: "admin" });
    const log = await control("GET", `/_control/deliveries?user_id=${user.id}`);
    expect(log.json.data).toHaveLength(3);
    expect(log.json.data[0]).toMatchObject({ endpoint: receiver.url, state: "succeeded", attempts: [{ status: 204 }] });
  });

  test("reset forgets users, deliveries and faults but keeps the keys", async () => {
    const secretBefore = standIn.keys.secretKey;
    createUsers("Gone");
    await control("POST", "/_control/faults", { deliveries: { drop: 3 } });
    await control("POST", "/_control/reset");
    expect(standIn.store.count()).toBe(0);
    expect((await control("GET", "/_control/deliveries")).json.data).toEqual([]);
    expect((await control("GET", "/_control/faults")).json.deliveries).toEqual({
      fail: 0,
      drop: 0,
      duplicate: 0,
      reorder: 0,
    });
    expect(standIn.keys.secretKey).toBe(secretBefore);
  });
});

describe("delivery fault switches", () => {
  test("fail: the next attempts fail without sending, then Svix-style retries deliver", async () => {
    await control("POST", "/_control/faults", { deliveries: { fail: 2 } });
    createUsers("Retried");
    await control("POST", "/_control/deliveries/wait");
    expect(receiver.received).toHaveLength(1);
    const [record] = (await control("GET", "/_control/deliveries")).json.data;
    expect(record.state).toBe("succeeded");
    expect(record.attempts.map((a: any) => a.error ?? a.status)).toEqual([
      expect.stringContaining("simulated failure"),
      expect.stringContaining("simulated failure"),
      204,
    ]);
  });

  test("drop: the next messages are never sent nor retried", async () => {
    await control("POST", "/_control/faults", { deliveries: { drop: 1 } });
    const [missed, seen] = createUsers("Missed", "Seen");
    await control("POST", "/_control/deliveries/wait");
    expect(bodies().map((event) => event.data.id)).toEqual([seen.id]);
    const log = (await control("GET", "/_control/deliveries?state=dropped")).json.data;
    expect(log).toEqual([expect.objectContaining({ user_id: missed.id, attempts: [], fault: "dropped" })]);
  });

  test("duplicate: the next message arrives twice with the same svix-id", async () => {
    await control("POST", "/_control/faults", { deliveries: { duplicate: 1 } });
    createUsers("Twice");
    await control("POST", "/_control/deliveries/wait");
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[0].svixId).toBe(receiver.received[1].svixId);
    expect(receiver.received[0].rawBody).toBe(receiver.received[1].rawBody);
  });

  test("reorder: the next N messages are held and sent newest first", async () => {
    await control("POST", "/_control/faults", { deliveries: { reorder: 3 } });
    const [user] = createUsers("V1");
    standIn.store.update(user.id, { first_name: "V2" });
    expect(receiver.received).toHaveLength(0);
    standIn.store.update(user.id, { first_name: "V3" });
    await control("POST", "/_control/deliveries/wait");
    expect(bodies().map((event) => event.data.first_name)).toEqual(["V3", "V2", "V1"]);
  });

  test("waiting for idle releases a partly filled reorder batch", async () => {
    await control("POST", "/_control/faults", { deliveries: { reorder: 5 } });
    createUsers("A", "B");
    await control("POST", "/_control/deliveries/wait");
    expect(bodies().map((event) => event.data.first_name)).toEqual(["B", "A"]);
  });
});

describe("Backend API fault switches", () => {
  const clerk = () => createClerkClient({ secretKey: standIn.keys.secretKey, apiUrl: standIn.url });

  test("500 for the next N requests, then normal answers", async () => {
    await control("POST", "/_control/faults", { api: { mode: "500", count: 2 } });
    for (let i = 0; i < 2; i++) {
      const error: any = await clerk()
        .users.getCount()
        .catch((e: unknown) => e);
      expect(error.status).toBe(500);
      expect(error.errors[0].code).toBe("internal_clerk_error");
    }
    expect(await clerk().users.getCount()).toBe(0);
  });

  test("429 until cleared, with Retry-After", async () => {
    await control("POST", "/_control/faults", { api: { mode: "429", retry_after: 4 } });
    for (let i = 0; i < 3; i++) {
      const error: any = await clerk()
        .users.getUserList()
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 429, retryAfter: 4 });
    }
    await control("DELETE", "/_control/faults");
    expect((await clerk().users.getUserList()).data).toEqual([]);
  });

  test("hang: requests get no answer until the fault is cleared", async () => {
    await control("POST", "/_control/faults", { api: { mode: "hang" } });
    let answered = false;
    const pending = clerk()
      .users.getCount()
      .then((count) => {
        answered = true;
        return count;
      });
    while (standIn.faults.hungRequests === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(answered).toBe(false);
    await control("DELETE", "/_control/faults");
    expect(await pending).toBe(0);
  });

  test("faults touch only /v1/users*: JWKS keeps answering", async () => {
    await control("POST", "/_control/faults", { api: { mode: "500" } });
    const response = await fetch(`${standIn.url}/v1/jwks`, {
      headers: { authorization: `Bearer ${standIn.keys.secretKey}` },
    });
    expect(response.status).toBe(200);
  });
});
