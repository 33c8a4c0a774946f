import { afterEach, describe, expect, it, vi } from "vitest";
import {
  MAX_WEBHOOK_BODY_BYTES,
  PendingBodyBudget,
  readBodyWithLimit,
  svixHeadersOf,
  verifyClerkWebhook,
} from "~/webhook/verify-webhook.server";
import { signBody } from "../support/clerk-webhooks";
import { TEST_WEBHOOK_SECRET } from "../support/test-env";

/**
 * The webhook's first two steps, before anything is parsed: the raw body is read whole (or refused
 * with a reason the edge answers with), then its signature is checked against each secret. Streams
 * here are driven by hand, and time only moves when the test says so.
 */

const url = "http://localhost/api/webhooks/clerk";
const MiB = 1024 * 1024;

/** A body whose bytes arrive only when the test sends them, or that breaks off. */
function heldBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return {
    stream,
    send: (text: string) => controller.enqueue(new TextEncoder().encode(text)),
    end: () => controller.close(),
    breakOff: () => controller.error(new Error("the sender went away")),
  };
}

const streamed = (stream: ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
  new Request(url, { method: "POST", headers, body: stream, duplex: "half" } as RequestInit);

afterEach(() => {
  vi.useRealTimers();
});

describe("reading the body", () => {
  it("a request without a body is an empty body, and holds no place in the budget", async () => {
    const budget = new PendingBodyBudget(MiB, 1);
    const reserve = vi.spyOn(budget, "tryReserve");
    expect(await readBodyWithLimit(new Request(url, { method: "POST" }), { budget })).toEqual({ ok: true, body: "" });
    expect(reserve).not.toHaveBeenCalled();
  });

  it("without a deadline, a body is waited for however long it takes", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const body = heldBody();
    const reading = readBodyWithLimit(streamed(body.stream));
    body.send('{"a":');
    vi.advanceTimersByTime(24 * 60 * 60_000);
    body.send("1}");
    body.end();
    expect(await reading).toEqual({ ok: true, body: '{"a":1}' });
  });

  it("past its deadline a body is refused as too slow, and its place in the budget freed at once", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const budget = new PendingBodyBudget(16 * MiB);
    const body = heldBody();
    const reading = readBodyWithLimit(streamed(body.stream), { deadlineMs: 10_000, budget });
    body.send("{");
    expect(budget.heldBytes).toBe(MAX_WEBHOOK_BODY_BYTES);
    vi.advanceTimersByTime(10_000);
    expect(await reading).toEqual({ ok: false, reason: "too_slow" });
    // The sender may never finish or go away: the place is not held until it does.
    expect(budget).toMatchObject({ heldBytes: 0, heldBodies: 0 });
  });

  it("a body that arrives in time leaves no deadline timer behind", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const body = heldBody();
    const reading = readBodyWithLimit(streamed(body.stream), { deadlineMs: 10_000 });
    expect(vi.getTimerCount()).toBe(1);
    body.send("{}");
    body.end();
    expect(await reading).toEqual({ ok: true, body: "{}" });
    expect(vi.getTimerCount()).toBe(0);
  });

  it.each([
    ["without a declared length", {}],
    ["with a declared length", { "content-length": "100" }],
  ])("a sender gone mid-body (%s) is an incomplete body, and frees its place", async (_label, headers) => {
    const budget = new PendingBodyBudget(16 * MiB);
    const body = heldBody();
    const reading = readBodyWithLimit(streamed(body.stream, headers), { budget });
    body.send('{"type":');
    body.breakOff();
    expect(await reading).toEqual({ ok: false, reason: "incomplete" });
    expect(budget).toMatchObject({ heldBytes: 0, heldBodies: 0 });
  });
});

describe("the Svix headers", () => {
  const all = { "svix-id": "msg_1", "svix-timestamp": "1700000000", "svix-signature": "v1,abc" };

  it("are taken when all three are there", () => {
    expect(svixHeadersOf(new Request(url, { method: "POST", headers: all }))).toEqual(all);
  });

  it.each(["svix-id", "svix-timestamp", "svix-signature"])("are missing when %s alone is missing", (name) => {
    const headers = Object.fromEntries(Object.entries(all).filter(([key]) => key !== name));
    expect(svixHeadersOf(new Request(url, { method: "POST", headers }))).toBeNull();
  });
});

describe("verifying the signature", () => {
  const signed = (body: string) => {
    const { "svix-id": id, "svix-timestamp": timestamp, "svix-signature": signature } = signBody(body);
    return { "svix-id": id, "svix-timestamp": timestamp, "svix-signature": signature };
  };

  it("with no secret to check against, the signature is invalid", () => {
    expect(verifyClerkWebhook("{}", signed("{}"), [])).toEqual({ ok: false, reason: "invalid_signature" });
  });

  it("a signed JSON null is a verified payload (whether it is an event is decided after)", () => {
    expect(verifyClerkWebhook("null", signed("null"), [TEST_WEBHOOK_SECRET])).toEqual({ ok: true, payload: null });
  });

  it.each([
    ["text that is not JSON", "not json"],
    ["JSON after a character that is not a byte order mark", 'x{"type":"user.created"}'],
    ["an empty body", ""],
  ])("a signed body of %s is malformed JSON", (_label, body) => {
    expect(verifyClerkWebhook(body, signed(body), [TEST_WEBHOOK_SECRET])).toEqual({
      ok: false,
      reason: "malformed_json",
    });
  });

  it("a failure that is not about the signature (a secret svix cannot decode) is thrown, not taken for a bad signature", () => {
    const verify = () => verifyClerkWebhook("{}", signed("{}"), ["whsec_%%%%not-base64", TEST_WEBHOOK_SECRET]);
    expect(verify).toThrow(/Base64Coder/);
  });
});
