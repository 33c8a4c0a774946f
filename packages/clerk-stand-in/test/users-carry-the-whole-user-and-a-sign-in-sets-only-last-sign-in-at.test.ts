import { Webhook } from "svix";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "../src/index.js";
import { APP, CookieJar, signIn } from "./support/fapi-client.js";
import { bapiSpec, webhooksSpec } from "./support/openapi-schemas.js";
import { startWebhookReceiver } from "./support/webhook-receiver.js";

/**
 * The user fields the app mirrors besides names and email (issue 19) are in
 * every user the stand-in hands out, as Clerk's documents type them: the Backend
 * API's user and user list, and `user.*` webhooks. A password sign-in sets
 * `last_sign_in_at`, and only that: no new `updated_at`, no `user.updated`.
 */

const ADA = { email: "ada@example.com", password: "analytical-engine" };

let standIn: ClerkStandIn;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  standIn = await startClerkStandIn({
    port: 0,
    publishableKeyKind: "live",
    frontendHost: (url) => new URL(url).host,
    frontend: { allowedOrigins: [APP] },
    webhookUrls: [receiver.url],
    timeScale: 0.001,
  });
});
afterAll(async () => {
  await standIn?.close();
  await receiver?.close();
});
beforeEach(async () => {
  await standIn.deliveries.waitForIdle();
  standIn.store.reset();
  receiver.received.length = 0;
});

async function bapi(path: string, operation: string) {
  const response = await fetch(`${standIn.url}/v1${path}`, {
    headers: { authorization: `Bearer ${standIn.keys.secretKey}` },
  });
  const json = (await response.json()) as any;
  bapiSpec().assertResponse("GET", operation, response.status, json);
  return json;
}

/** The verified `data` of every delivery received so far, with its type. */
function delivered() {
  return receiver.received.map((delivery) => {
    const event = new Webhook(standIn.webhookSecret).verify(delivery.rawBody, {
      "svix-id": String(delivery.headers["svix-id"]),
      "svix-timestamp": String(delivery.headers["svix-timestamp"]),
      "svix-signature": String(delivery.headers["svix-signature"]),
    }) as { type: string; data: Record<string, unknown> };
    webhooksSpec().assertWebhook(event.type, event);
    return event;
  });
}

const WHOLE_USER = ["public_metadata", "private_metadata", "last_sign_in_at", "banned", "external_id"];

describe("a user from the stand-in", () => {
  it("carries metadata, last sign-in, banned and external id in the Backend API's user, its list and user.* webhooks, valid against Clerk's documents", async () => {
    const [created] = standIn.store.seed(
      [
        {
          email_address: [ADA.email],
          first_name: "Ada",
          external_id: "crm-42",
          public_metadata: { plan: "pro" },
          private_metadata: { stripe_customer: "cus_1" },
        },
      ],
      { emit: true },
    );
    for (const field of WHOLE_USER) expect(created).toHaveProperty(field);
    expect(created).toMatchObject({ last_sign_in_at: null, banned: false, external_id: "crm-42" });

    const banned = standIn.store.update(created.id, { banned: true });
    expect(banned.banned).toBe(true);
    expect(banned.updated_at).toBeGreaterThan(created.updated_at);

    const expected = {
      public_metadata: { plan: "pro" },
      private_metadata: { stripe_customer: "cus_1" },
      last_sign_in_at: null,
      banned: true,
      external_id: "crm-42",
    };
    expect(await bapi(`/users/${created.id}`, "/users/{user_id}")).toMatchObject(expected);
    const [listed] = await bapi("/users?limit=10", "/users");
    expect(listed).toMatchObject({ id: created.id, ...expected });

    await receiver.waitForCount(2);
    // Sent at once on two connections: they may arrive in either order.
    const events = delivered().sort((a, b) => a.type.localeCompare(b.type));
    expect(events.map((event) => event.type)).toEqual(["user.created", "user.updated"]);
    expect(events[0].data).toMatchObject({ ...expected, banned: false });
    expect(events[1].data).toMatchObject(expected);
  });

  it("gets last_sign_in_at from a password sign-in, keeps its updated_at, and sends no webhook for it", async () => {
    const [ada] = standIn.store.seed([{ email_address: [ADA.email], password: ADA.password, first_name: "Ada" }]);
    await standIn.deliveries.waitForIdle();
    const deliveriesBefore = standIn.deliveries.records().length;
    const before = Date.now();
    const session = await signIn(standIn, new CookieJar(), ADA.email, ADA.password);
    expect(session.id).toMatch(/^sess_/);

    const after = await bapi(`/users/${ada.id}`, "/users/{user_id}");
    expect(after.last_sign_in_at).toBeGreaterThanOrEqual(before);
    expect(after.last_sign_in_at).toBeLessThanOrEqual(Date.now());
    expect(after.updated_at).toBe(ada.updated_at);
    expect({ ...after, last_sign_in_at: null }).toEqual({ ...ada, last_sign_in_at: null });
    const [listed] = await bapi("/users?limit=10", "/users");
    expect(listed.last_sign_in_at).toBe(after.last_sign_in_at);

    await standIn.deliveries.waitForIdle();
    expect(standIn.deliveries.records()).toHaveLength(deliveriesBefore);
    expect(receiver.received).toEqual([]);
  });
});
