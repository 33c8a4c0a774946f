import { Webhook } from "svix";
import { describe, expect, test } from "vitest";
import { buildClerkUser, clerkEmailAddress, clerkEvent, deletedClerkUser, signDelivery } from "../src/testing/index.js";
import { bapiSpec, webhooksSpec } from "./support/openapi-schemas.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("@clerk-sync/clerk-stand-in/testing", () => {
  test("buildClerkUser is a Clerk BAPI User whose primary email is derived from its id", () => {
    const user = buildClerkUser({ id: "user_Abc", created_at: 1_000 });
    bapiSpec().assertSchema("User", user);
    expect(user).toMatchObject({
      id: "user_Abc",
      first_name: "Ada",
      last_name: "Lovelace",
      primary_email_address_id: "idn_Abc",
      email_addresses: [{ id: "idn_Abc", email_address: "user_abc@example.com" }],
      created_at: 1_000,
      updated_at: 1_000,
    });
  });

  test("overrides win, including values Clerk would never send", () => {
    const secondary = clerkEmailAddress({ id: "idn_old", email_address: "old@example.com" });
    const user = buildClerkUser({ last_name: "King", private_metadata: null, email_addresses: [secondary] });
    expect(user).toMatchObject({ last_name: "King", private_metadata: null, email_addresses: [{ id: "idn_old" }] });
    expect(buildClerkUser().id).not.toBe(buildClerkUser().id);
  });

  test("clerkEvent wraps data in Clerk's webhook envelope", () => {
    const created = clerkEvent("user.created", buildClerkUser(), { timestamp: 5, instanceId: "ins_x" });
    webhooksSpec().assertWebhook("user.created", created);
    expect(created).toMatchObject({ object: "event", type: "user.created", timestamp: 5, instance_id: "ins_x" });
    webhooksSpec().assertWebhook("user.deleted", clerkEvent("user.deleted", deletedClerkUser("user_gone")));
  });

  test("signDelivery's headers verify with the svix library, and only for the signed body", () => {
    const body = JSON.stringify(clerkEvent("user.created", buildClerkUser()));
    const headers = signDelivery(SECRET, body, { svixId: "msg_fixed", timestamp: new Date(1_700_000_000_900) });
    expect(headers).toMatchObject({ "svix-id": "msg_fixed", "svix-timestamp": "1700000000" });
    const webhook = new Webhook(SECRET);
    const verifyAt = (payload: string) =>
      // The svix library checks the timestamp against its clock: verify in the signature's own second.
      withClock(1_700_000_000_000, () => webhook.verify(payload, headers as unknown as Record<string, string>));
    expect(verifyAt(body)).toEqual(JSON.parse(body));
    expect(() => verifyAt(`${body} `)).toThrow();
    expect(signDelivery(SECRET, body)["svix-id"]).toMatch(/^msg_[0-9A-Za-z]{27}$/);
  });
});

function withClock<T>(now: number, work: () => T): T {
  const real = Date.now;
  Date.now = () => now;
  try {
    return work();
  } finally {
    Date.now = real;
  }
}
