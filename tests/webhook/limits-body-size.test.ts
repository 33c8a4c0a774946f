import { describe, expect, it } from "vitest";
import { MAX_WEBHOOK_BODY_BYTES, readBodyWithLimit } from "~/clerk/verify-webhook.server";
import { counts } from "../support/db";
import { clerkEvent, clerkUser, signBody } from "../support/clerk-webhooks";
import { deliver } from "../support/webhook-route";

const url = "http://localhost/api/webhooks/clerk";

/** A body of `size` bytes that is still a valid, signed Clerk event. */
function paddedEvent(size: number): string {
  const base = JSON.stringify(clerkEvent("user.created", clerkUser({ public_metadata: { pad: "" } })));
  return base.replace('"pad":""', `"pad":"${"x".repeat(size - base.length)}"`);
}

function streamOf(total: number, onPull: (sent: number) => void): ReadableStream<Uint8Array> {
  let sent = 0;
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      sent += chunk.byteLength;
      onPull(sent);
      controller.enqueue(chunk);
    },
  });
}

describe("the webhook refuses bodies over 1 MiB", () => {
  it("accepts a signed event of exactly 1 MiB", async () => {
    const body = paddedEvent(MAX_WEBHOOK_BODY_BYTES);
    expect(Buffer.byteLength(body)).toBe(MAX_WEBHOOK_BODY_BYTES);
    const { status } = await deliver(new Request(url, { method: "POST", headers: signBody(body), body }));
    expect(status).toBe(200);
  });

  it("answers 413 to a signed event one byte over, and writes nothing", async () => {
    const before = counts();
    const body = paddedEvent(MAX_WEBHOOK_BODY_BYTES + 1);
    const { status, body: answer } = await deliver(new Request(url, { method: "POST", headers: signBody(body), body }));
    expect(status).toBe(413);
    expect(answer.error).toBe("payload_too_large");
    expect(counts()).toEqual(before);
  });

  it("stops reading a stream without Content-Length a bounded distance past the limit", async () => {
    let pulled = 0;
    const request = new Request(url, {
      method: "POST",
      body: streamOf(50 * MAX_WEBHOOK_BODY_BYTES, (sent) => (pulled = sent)),
      duplex: "half", // Node's fetch needs this for a streamed body
    });
    const result = await readBodyWithLimit(request);
    expect(result).toEqual({ ok: false, reason: "too_large" });
    // It reads (and drops) at most 8 MiB past the limit, then cuts: never all 50 MiB.
    expect(pulled).toBeGreaterThan(MAX_WEBHOOK_BODY_BYTES);
    expect(pulled).toBeLessThan(10 * MAX_WEBHOOK_BODY_BYTES);
  });

  it("refuses an absurd declared Content-Length before reading the body", async () => {
    let pulled = 0;
    const request = new Request(url, {
      method: "POST",
      headers: { "content-length": String(100 * MAX_WEBHOOK_BODY_BYTES) },
      body: streamOf(100 * MAX_WEBHOOK_BODY_BYTES, (sent) => (pulled = sent)),
      duplex: "half", // Node's fetch needs this for a streamed body
    });
    expect(await readBodyWithLimit(request)).toEqual({ ok: false, reason: "too_large" });
    expect(pulled).toBeLessThanOrEqual(2 * 64 * 1024);
  });
});
