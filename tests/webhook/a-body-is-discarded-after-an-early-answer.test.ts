import { json } from "@remix-run/node";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  answerWhileDiscardingTheRest,
  MAX_WEBHOOK_BODY_BYTES,
  MIN_PENDING_BODY_RESERVATION,
  PendingBodyBudget,
} from "~/webhook/verify-webhook.server";
import { action } from "~/routes/api.webhooks.clerk";
import { clerkEvent, clerkUser, signBody } from "../support/clerk-webhooks";

/**
 * A sender of too much may still be writing when its 413 is ready. Closing the socket with bytes
 * unread would reset the connection and lose the answer, so the answer goes out at once, whole and
 * with its length, and the connection stays open while the rest is read and dropped: until it ends,
 * 8 MiB, or the deadline. Meanwhile it holds a pending body's place. The built server shows the
 * effect over HTTP (limits-body-size); here the streams are driven by hand, in this process.
 */

// The route's budget in this process: one pending body at a time, so that a held place shows.
process.env.WEBHOOK_PENDING_BODIES_MAX = "1";
process.env.WEBHOOK_BODY_TIMEOUT_MS = "300000";

const url = "http://localhost/api/webhooks/clerk";
const MiB = 1024 * 1024;
const ANSWER = '{"error":"payload_too_large"}';

const tooLarge = () => json({ error: "payload_too_large" }, { status: 413, headers: { Connection: "close" } });
const requestWith = (body: ReadableStream<Uint8Array> | null, headers: Record<string, string> = {}) =>
  new Request(url, { method: "POST", headers, body, duplex: "half" } as RequestInit);

/** The rest of a body, `chunks` chunks of `size` bytes, each made only when the reader asks for it. */
function restOf(chunks: number, size = 1024) {
  const chunk = new Uint8Array(size).fill(0x20);
  let given = 0;
  let ended = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (given === chunks) {
          ended = true;
          return controller.close();
        }
        given += 1;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, given: () => given, readToTheEnd: () => ended };
}

/** A rest that arrives only when the test sends it. */
function heldRest() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return { stream, send: () => controller.enqueue(new Uint8Array(1024)), end: () => controller.close() };
}

/** Reads the answer's bytes, then watches for its end. */
async function readAnswer(response: Response) {
  const reader = response.body!.getReader();
  const first = await reader.read();
  const watch = { ended: false, reader };
  void reader.read().then(({ done }) => (watch.ended = done));
  return { text: new TextDecoder().decode(first.value), watch };
}

// One turn of the event loop: what the discard does next, once its stream has moved, is microtasks.
const settle = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe("the answer goes out at once, and the rest of the body is dropped", () => {
  it("sends the answer whole with its length and headers, reads the rest to its end, then ends", async () => {
    const rest = restOf(5);
    const response = await answerWhileDiscardingTheRest(tooLarge(), requestWith(rest.stream));
    expect(response.status).toBe(413);
    expect(response.headers.get("content-length")).toBe(String(ANSWER.length));
    expect(response.headers.get("connection")).toBe("close");
    expect(await response.text()).toBe(ANSWER);
    expect(rest.given()).toBe(5);
    expect(rest.readToTheEnd()).toBe(true);
  });

  it("holds a pending body's place while it drops the rest, and frees it when the rest ends", async () => {
    const budget = new PendingBodyBudget(16 * MiB, 4);
    const rest = heldRest();
    const response = await answerWhileDiscardingTheRest(tooLarge(), requestWith(rest.stream), { budget });
    expect(budget).toMatchObject({ heldBodies: 1, heldBytes: MIN_PENDING_BODY_RESERVATION });
    const { text, watch } = await readAnswer(response);
    expect(text).toBe(ANSWER);
    rest.send();
    await settle();
    expect(watch.ended).toBe(false);
    expect(budget.heldBodies).toBe(1);

    rest.end();
    await settle();
    expect(watch.ended).toBe(true);
    expect(budget).toMatchObject({ heldBodies: 0, heldBytes: 0 });
  });

  it("frees the place once if the client hangs up while the rest is dropped", async () => {
    const budget = new PendingBodyBudget(16 * MiB, 4);
    const rest = heldRest();
    const response = await answerWhileDiscardingTheRest(tooLarge(), requestWith(rest.stream), { budget });
    const { watch } = await readAnswer(response);
    await settle();
    await watch.reader.cancel();
    expect(budget).toMatchObject({ heldBodies: 0, heldBytes: 0 });

    // The drop still runs to the end of the rest; it must not free the place a second time.
    rest.end();
    await settle();
    expect(budget).toMatchObject({ heldBodies: 0, heldBytes: 0 });
  });

  it("works without a budget", async () => {
    const rest = restOf(3);
    const response = await answerWhileDiscardingTheRest(tooLarge(), requestWith(rest.stream));
    expect(response.headers.get("content-length")).toBe(String(ANSWER.length));
    expect(await response.text()).toBe(ANSWER);
    expect(rest.readToTheEnd()).toBe(true);
  });

  it("drops at most 8 MiB past what was read: then the answer ends with the rest unread", async () => {
    const rest = restOf(12, MiB);
    const response = await answerWhileDiscardingTheRest(tooLarge(), requestWith(rest.stream));
    expect(await response.text()).toBe(ANSWER);
    // The read that passes 8 MiB is the last.
    expect(rest.given()).toBe(9);
    expect(rest.readToTheEnd()).toBe(false);
  });
});

describe("when the answer goes alone, as it is", () => {
  it("a request without a body", async () => {
    const answer = tooLarge();
    expect(await answerWhileDiscardingTheRest(answer, requestWith(null))).toBe(answer);
  });

  it("a body someone else is reading", async () => {
    const answer = tooLarge();
    const request = requestWith(restOf(3).stream);
    request.body!.getReader();
    expect(await answerWhileDiscardingTheRest(answer, request)).toBe(answer);
  });

  it("no room left in the budget: the rest is not read, and nothing is held", async () => {
    const budget = new PendingBodyBudget(16 * MiB, 1);
    expect(budget.tryReserve(100)).toBe(true);
    const answer = tooLarge();
    const rest = restOf(3);
    expect(await answerWhileDiscardingTheRest(answer, requestWith(rest.stream), { budget })).toBe(answer);
    expect(rest.given()).toBe(0);
    expect(budget).toMatchObject({ heldBodies: 1, heldBytes: 100 });
  });
});

describe("the deadline", () => {
  it("ends the answer when it passes, with the rest still arriving", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const budget = new PendingBodyBudget(16 * MiB, 4);
    const rest = heldRest();
    const response = await answerWhileDiscardingTheRest(tooLarge(), requestWith(rest.stream), {
      deadlineMs: 5_000,
      budget,
    });
    const { watch } = await readAnswer(response);
    await settle();
    vi.advanceTimersByTime(4_999);
    await settle();
    expect(watch.ended).toBe(false);
    vi.advanceTimersByTime(1);
    await settle();
    expect(watch.ended).toBe(true);
    expect(budget.heldBodies).toBe(0);
  });

  it("without one, the rest is dropped however long it takes", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const rest = heldRest();
    const { watch } = await readAnswer(await answerWhileDiscardingTheRest(tooLarge(), requestWith(rest.stream)));
    await settle();
    vi.advanceTimersByTime(24 * 60 * 60_000);
    await settle();
    expect(watch.ended).toBe(false);
    rest.end();
    await settle();
    expect(watch.ended).toBe(true);
  });

  it("leaves no timer behind when the rest ends first", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const rest = heldRest();
    const response = await answerWhileDiscardingTheRest(tooLarge(), requestWith(rest.stream), { deadlineMs: 5_000 });
    const { watch } = await readAnswer(response);
    await settle();
    expect(vi.getTimerCount()).toBe(1);
    rest.end();
    await settle();
    expect(watch.ended).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("at the route", () => {
  const call = async (request: Request) => (await action({ request, params: {}, context: {} })) as Response;

  it("an oversized body is answered 413 with its length and Connection: close, and holds a place until dropped", async () => {
    // No declared length: the route reads past the limit before it can tell, and more is still coming.
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const oversized = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        c.enqueue(new Uint8Array(MAX_WEBHOOK_BODY_BYTES + 1).fill(0x20));
      },
    });
    const refused = await call(requestWith(oversized, signBody("{}")));
    expect(refused.status).toBe(413);
    expect(refused.headers.get("connection")).toBe("close");
    expect(refused.headers.get("content-length")).toBe(String(ANSWER.length));
    expect(refused.headers.get("retry-after")).toBeNull();
    const { text, watch } = await readAnswer(refused);
    expect(text).toBe(ANSWER);

    // The one place is held while the rest is dropped: a delivery now is told to come back.
    const body = JSON.stringify(clerkEvent("user.created", clerkUser()));
    const delivery = () => new Request(url, { method: "POST", headers: signBody(body), body });
    const busy = await call(delivery());
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("5");
    expect(busy.headers.get("connection")).toBe("close");
    // Only a 413 is followed by a discard: this answer is as built, without a length of its own.
    expect(busy.headers.get("content-length")).toBeNull();
    expect(await busy.json()).toEqual({ error: "too_many_pending_bodies" });

    controller.close();
    await settle();
    expect(watch.ended).toBe(true);
    const accepted = await call(delivery());
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get("connection")).toBeNull();
    expect(accepted.headers.get("retry-after")).toBeNull();
  });

  it("a body too slow is answered 408 as it is, with Connection: close, and its rest is not waited for", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const rest = heldRest();
    rest.send();
    const answering = call(requestWith(rest.stream, signBody("{}")));
    await settle();
    vi.advanceTimersByTime(300_000);
    const late = await answering;
    expect(late.status).toBe(408);
    expect(late.headers.get("connection")).toBe("close");
    // Not followed by a discard: the answer is as built, and ends with its last byte.
    expect(late.headers.get("content-length")).toBeNull();
    expect(await late.json()).toEqual({ error: "body_timeout" });
  });
});
