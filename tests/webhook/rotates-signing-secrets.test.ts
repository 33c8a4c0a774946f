import { describe, expect, it } from "vitest";
import { processClerkWebhook } from "~/webhook/handle-webhook.server";
import { readWebhookConfig } from "~/env.server";
import { userRow } from "../support/db";
import { clerkEvent, clerkUser, signBody } from "../support/clerk-webhooks";
import { TEST_SECOND_WEBHOOK_SECRET, TEST_WEBHOOK_SECRET } from "../support/test-env";

const OLD = TEST_WEBHOOK_SECRET;
const NEW = TEST_SECOND_WEBHOOK_SECRET;

function deliverWith(secretsVariable: string, signingSecret: string) {
  const { signingSecrets } = readWebhookConfig({ CLERK_WEBHOOK_SIGNING_SECRET: secretsVariable });
  const user = clerkUser();
  const body = JSON.stringify(clerkEvent("user.created", user));
  const headers = signBody(body, { secret: signingSecret });
  return { user, result: processClerkWebhook(body, headers, { secrets: signingSecrets }) };
}

describe("secret rotation: two secrets are accepted side by side", () => {
  it.each([
    ["space", `${OLD} ${NEW}`],
    ["comma", `${OLD},${NEW}`],
    ["comma and space", `${OLD}, ${NEW}`],
  ])("accepts deliveries signed with either secret (%s-separated)", (_sep, configured) => {
    for (const signer of [OLD, NEW]) {
      const { user, result } = deliverWith(configured, signer);
      expect(result.status).toBe(200);
      expect(userRow(user.id)).toBeDefined();
    }
  });

  it("rejects the old secret once it is removed from the list", () => {
    const { user, result } = deliverWith(NEW, OLD);
    expect(result.status).toBe(400);
    expect(result.body.error).toBe("invalid_signature");
    expect(userRow(user.id)).toBeUndefined();
  });

  it("accepts a delivery carrying several signatures when one matches (Svix during rotation)", () => {
    const user = clerkUser();
    const body = JSON.stringify(clerkEvent("user.created", user));
    const signedOld = signBody(body, { secret: OLD, svixId: "msg_multi_sig" });
    const signedNew = signBody(body, {
      secret: NEW,
      svixId: "msg_multi_sig",
      timestamp: Number(signedOld["svix-timestamp"]),
    });
    const headers = { ...signedOld, "svix-signature": `${signedNew["svix-signature"]} ${signedOld["svix-signature"]}` };
    const result = processClerkWebhook(body, headers, { secrets: [OLD] });
    expect(result.status).toBe(200);
  });
});
