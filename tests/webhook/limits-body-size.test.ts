import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_WEBHOOK_BODY_BYTES, readBodyWithLimit } from "~/webhook/verify-webhook.server";
import { startBuiltApp, type RunningApp } from "../support/app-server";
import { counts } from "../support/db";
import { clerkEvent, clerkUser, signBody } from "../support/clerk-webhooks";
import { TEST_WEBHOOK_SECRET } from "../support/test-env";
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
    // It stops once past the limit (what is dropped after the 413 is bounded apart): never all 50 MiB.
    expect(pulled).toBeGreaterThan(MAX_WEBHOOK_BODY_BYTES);
    expect(pulled).toBeLessThan(2 * MAX_WEBHOOK_BODY_BYTES);
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

describe("every oversized body is answered 413, then its connection closed (the production server)", () => {
  const MiB = 1024 * 1024;
  let app: RunningApp;
  beforeAll(async () => {
    app = await startBuiltApp({
      DATABASE_URL: `${process.env.DATABASE_URL}-oversized`,
      CLERK_WEBHOOK_SIGNING_SECRET: TEST_WEBHOOK_SECRET,
      CLERK_PUBLISHABLE_KEY: process.env.CLERK_PUBLISHABLE_KEY,
      CLERK_SECRET_KEY: process.env.CLERK_SECRET_KEY,
      // Far away: an answer here is the 413, never the body deadline's 408.
      WEBHOOK_BODY_TIMEOUT_MS: "300000",
      LOG_LEVEL: "warn",
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it.each([2, 9, 10])("%i MiB declared and sent in full: 413", async (mib) => {
    const response = await fetch(`${app.url}/api/webhooks/clerk`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Uint8Array(mib * MiB).fill(0x20),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: "payload_too_large" });
  });

  /**
   * Headers declaring `declared` bytes and the first MiB of them; then it waits for an
   * answer, and once it has the whole 413 it stops sending, as a client that reads it would.
   */
  function sendTheStart(declared: number): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect(Number(new URL(app.url).port), "127.0.0.1");
      let received = "";
      socket.on("data", (chunk) => {
        received += chunk.toString("latin1");
        if (received.includes("payload_too_large")) socket.end();
      });
      socket.on("close", () => resolve(received));
      socket.write(`POST /api/webhooks/clerk HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${declared}\r\n\r\n`);
      socket.write(Buffer.alloc(MiB, 0x20));
    });
  }

  it.each([10, 100])(
    "%i MiB declared, 1 MiB sent: 413 before the rest arrives, then the connection closed",
    async (mib) => {
      const received = await sendTheStart(mib * MiB);
      expect(received).toMatch(/^HTTP\/1\.1 413 /);
      expect(received).toMatch(/\r\nConnection: close\r\n/i);
      expect(received).toMatch(/\r\n\r\n\{"error":"payload_too_large"\}$/);
    },
  );

  it("a body without Content-Length that goes on and on: 413 a bounded distance past the limit", async () => {
    let sent = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Endless as far as the server can tell; bounded here only so that a failure cannot exhaust the test.
        if (sent >= 200 * MiB) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${app.url}/api/webhooks/clerk`, {
      method: "POST",
      body: endless,
      duplex: "half", // Node's fetch needs this for a streamed body
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: "payload_too_large" });
    expect(sent).toBeGreaterThan(MAX_WEBHOOK_BODY_BYTES);
    expect(sent).toBeLessThan(100 * MiB);
  });
});
