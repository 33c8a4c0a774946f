import { describe, expect, it } from "vitest";
import { verifyClerkWebhook } from "~/webhook/verify-webhook.server";
import { counts, userRow } from "../support/db";
import { clerkEvent, clerkUser, signBody } from "../support/clerk-webhooks";
import { TEST_WEBHOOK_SECRET } from "../support/test-env";
import { deliver } from "../support/webhook-route";

/**
 * Svix signs the exact bytes it sends. A body that starts with a UTF-8 byte order
 * mark used to fail its own signature (request.text() drops the mark before the
 * check) and, read another way, JSON.parse. The signature is now checked over the
 * bytes as sent, and the mark ignored when parsing (RFC 8259, 8.1; docs/decisions/007).
 */

const url = "http://localhost/api/webhooks/clerk";
const BOM = "\uFEFF";

function withBom(user = clerkUser()) {
  return { user, body: BOM + JSON.stringify(clerkEvent("user.created", user)) };
}

describe("a signed body that starts with a byte order mark", () => {
  it("is stored, when its Content-Length is declared (as Svix sends it)", async () => {
    const { user, body } = withBom();
    expect(Buffer.from(body).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const headers = { ...signBody(body), "content-length": String(Buffer.byteLength(body)) };
    const { status, body: answer } = await deliver(new Request(url, { method: "POST", headers, body }));
    expect(answer).toEqual({ ok: true, outcome: "created" });
    expect(status).toBe(200);
    expect(userRow(user.id)?.email).toBe(`${user.id}@example.com`);
  });

  it("is stored when it arrives without a Content-Length too", async () => {
    const { user, body } = withBom();
    const { status } = await deliver(new Request(url, { method: "POST", headers: signBody(body), body }));
    expect(status).toBe(200);
    expect(userRow(user.id)).toBeDefined();
  });

  it("is refused when the mark was added after signing: the signature covers it", async () => {
    const before = counts();
    const signed = JSON.stringify(clerkEvent("user.created", clerkUser()));
    const headers = { ...signBody(signed), "content-length": String(Buffer.byteLength(BOM + signed)) };
    const { status, body } = await deliver(new Request(url, { method: "POST", headers, body: BOM + signed }));
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_signature");
    expect(counts()).toEqual(before);
  });

  it("is still malformed when what follows the mark is not JSON", () => {
    const body = `${BOM}{"type":`;
    expect(verifyClerkWebhook(body, signBody(body), [TEST_WEBHOOK_SECRET])).toEqual({
      ok: false,
      reason: "malformed_json",
    });
  });
});
