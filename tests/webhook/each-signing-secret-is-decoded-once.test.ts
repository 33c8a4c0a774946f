import { describe, expect, it, vi } from "vitest";
import { verifyClerkWebhook } from "~/webhook/verify-webhook.server";
import { signBody } from "../support/clerk-webhooks";
import { TEST_SECOND_WEBHOOK_SECRET, TEST_WEBHOOK_SECRET } from "../support/test-env";

/**
 * Every delivery is checked against each configured secret in turn; decoding a secret into a
 * verifier is done once per secret for the life of the process, not once per delivery.
 */

const decoded = vi.hoisted(() => [] as string[]);

vi.mock("svix", async (importOriginal) => {
  const svix = await importOriginal<typeof import("svix")>();
  class CountedWebhook extends svix.Webhook {
    constructor(...args: ConstructorParameters<typeof svix.Webhook>) {
      super(...args);
      decoded.push(String(args[0]));
    }
  }
  return { ...svix, Webhook: CountedWebhook };
});

const signed = (body: string) => {
  const { "svix-id": id, "svix-timestamp": timestamp, "svix-signature": signature } = signBody(body);
  return { "svix-id": id, "svix-timestamp": timestamp, "svix-signature": signature };
};

describe("the verifiers of the signing secrets", () => {
  it("are made once per secret, however many deliveries are checked against them", () => {
    const deliveries = ["{}", '{"a":1}', '{"b":2}'].map((body) => ({ body, headers: signed(body) }));
    decoded.length = 0;
    // The new secret first, as during a rotation: each delivery is tried against both.
    for (const { body, headers } of deliveries) {
      expect(verifyClerkWebhook(body, headers, [TEST_SECOND_WEBHOOK_SECRET, TEST_WEBHOOK_SECRET])).toMatchObject({
        ok: true,
      });
    }
    expect(decoded).toEqual([TEST_SECOND_WEBHOOK_SECRET, TEST_WEBHOOK_SECRET]);
  });
});
