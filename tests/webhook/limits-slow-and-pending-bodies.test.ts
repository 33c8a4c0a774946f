import { EventEmitter } from "node:events";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MAX_WEBHOOK_BODY_BYTES,
  MIN_PENDING_BODY_RESERVATION,
  PendingBodyBudget,
  readBodyWithLimit,
} from "~/webhook/verify-webhook.server";
import { ConfigError, readWebhookConfig } from "~/env.server";
import { action } from "~/routes/api.webhooks.clerk";
import { startBuiltApp, type RunningApp } from "../support/app-server";
import { clerkEvent, clerkUser, signBody } from "../support/clerk-webhooks";
import { TEST_WEBHOOK_SECRET } from "../support/test-env";

/**
 * Anyone can open a connection to the webhook and trickle a body. Each such body
 * is held (unverified) until it is complete, so without a deadline and a shared
 * cap, sixty slow senders declaring 1 MiB held 60 MB for minutes; and a cap on
 * declared bytes alone let 3,000 senders declaring 100 bytes each in, each
 * holding an open request's memory.
 */

const MiB = 1024 * 1024;
const url = "http://localhost/api/webhooks/clerk";

// This process's webhook route: a 2 MiB cap on pending bodies, at most 4 of them, a deadline far away.
process.env.WEBHOOK_PENDING_BODY_BYTES_MAX = String(2 * MiB);
process.env.WEBHOOK_PENDING_BODIES_MAX = "4";
process.env.WEBHOOK_BODY_TIMEOUT_MS = "300000";

/** A body that sends `first` bytes now and the rest only when told to. */
function trickle(first: number) {
  let finish!: () => void;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(first).fill(0x7b));
      finish = () => controller.close();
    },
  });
  return { stream, finish: () => finish() };
}

function slowRequest(declared: number) {
  const { stream, finish } = trickle(Math.min(declared, 1024));
  const request = new Request(url, {
    method: "POST",
    headers: { ...signBody("{}"), "content-length": String(declared) },
    body: stream,
    duplex: "half",
  } as RequestInit);
  return { request, finish };
}

describe("the bytes held by unverified bodies are capped across all requests at once", () => {
  it("reserves a body's declared size up front and refuses what does not fit", async () => {
    const budget = new PendingBodyBudget(2 * MiB);
    const first = slowRequest(MiB);
    const second = slowRequest(MiB);
    const reads = [readBodyWithLimit(first.request, { budget }), readBodyWithLimit(second.request, { budget })];
    expect(budget.heldBytes).toBe(2 * MiB);
    expect(await readBodyWithLimit(slowRequest(10).request, { budget })).toEqual({
      ok: false,
      reason: "too_many_pending",
    });

    first.finish();
    second.finish();
    await Promise.all(reads);
    expect(budget.heldBytes).toBe(0);
  });

  it("a small declared body reserves its size, or the floor for a request's own memory, never the whole limit", async () => {
    const budget = new PendingBodyBudget(16 * MiB);
    const held = async (request: Request) => {
      const reading = readBodyWithLimit(request, { budget });
      const bytes = budget.heldBytes;
      await reading;
      return bytes;
    };
    const mid = slowRequest(200 * 1024);
    mid.finish();
    expect(await held(mid.request)).toBe(200 * 1024);
    const tiny = slowRequest(100);
    tiny.finish();
    expect(await held(tiny.request)).toBe(MIN_PENDING_BODY_RESERVATION);
    expect(MIN_PENDING_BODY_RESERVATION).toBeLessThan(200 * 1024);
    // No declared size: it may come to the whole limit.
    const undeclared = trickle(10);
    undeclared.finish();
    const request = new Request(url, { method: "POST", body: undeclared.stream, duplex: "half" } as RequestInit);
    expect(await held(request)).toBe(MAX_WEBHOOK_BODY_BYTES);
    expect(budget.heldBytes).toBe(0);
  });

  it("counts bodies too: past the most at once, a body is refused however few bytes it declares", async () => {
    const budget = new PendingBodyBudget(16 * MiB, 3);
    const slow = [slowRequest(100), slowRequest(100), slowRequest(100)];
    const reads = slow.map(({ request }) => readBodyWithLimit(request, { budget }));
    expect(budget.heldBodies).toBe(3);
    expect(budget.heldBytes).toBe(3 * MIN_PENDING_BODY_RESERVATION);
    expect(await readBodyWithLimit(slowRequest(100).request, { budget })).toEqual({
      ok: false,
      reason: "too_many_pending",
    });

    slow[0].finish();
    await reads[0];
    expect(budget.heldBodies).toBe(2);
    const next = slowRequest(100);
    next.finish();
    expect(await readBodyWithLimit(next.request, { budget })).toMatchObject({ ok: true });

    for (const { finish } of slow.slice(1)) finish();
    await Promise.all(reads);
    expect(budget.heldBodies).toBe(0);
    expect(budget.heldBytes).toBe(0);
  });

  it("answers 503 with Retry-After at the route while slow senders hold the cap, and recovers once they finish", async () => {
    const slow = [slowRequest(MiB), slowRequest(MiB)];
    const pending = slow.map(({ request }) => action({ request, params: {}, context: {} }) as Promise<Response>);

    const body = JSON.stringify(clerkEvent("user.created", clerkUser()));
    const refused = (await action({
      request: new Request(url, { method: "POST", headers: signBody(body), body }),
      params: {},
      context: {},
    })) as Response;
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toEqual({ error: "too_many_pending_bodies" });

    for (const { finish } of slow) finish();
    // Their bodies are not valid deliveries: refused as such once complete.
    expect((await Promise.all(pending)).map((r) => r.status)).toEqual([400, 400]);

    const accepted = (await action({
      request: new Request(url, { method: "POST", headers: signBody(body), body }),
      params: {},
      context: {},
    })) as Response;
    expect(accepted.status).toBe(200);
  });
});

describe("the number of unverified bodies is capped (WEBHOOK_PENDING_BODIES_MAX)", () => {
  it("answers 503 with Retry-After at the route once that many tiny bodies are pending, and recovers", async () => {
    const slow = Array.from({ length: 4 }, () => slowRequest(100));
    const pending = slow.map(({ request }) => action({ request, params: {}, context: {} }) as Promise<Response>);

    const body = JSON.stringify(clerkEvent("user.created", clerkUser()));
    const delivery = () => new Request(url, { method: "POST", headers: signBody(body), body });
    const refused = (await action({ request: delivery(), params: {}, context: {} })) as Response;
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toEqual({ error: "too_many_pending_bodies" });

    slow[0].finish();
    expect((await pending[0]).status).toBe(400);
    const accepted = (await action({ request: delivery(), params: {}, context: {} })) as Response;
    expect(accepted.status).toBe(200);

    for (const { finish } of slow.slice(1)) finish();
    expect((await Promise.all(pending)).map((r) => r.status)).toEqual([400, 400, 400, 400]);
  });
});

describe("WEBHOOK_PENDING_BODIES_MAX", () => {
  const base = { CLERK_WEBHOOK_SIGNING_SECRET: TEST_WEBHOOK_SECRET };

  it("is 256 unless set, and a whole number of requests when set", () => {
    expect(readWebhookConfig(base).pendingBodiesMax).toBe(256);
    expect(readWebhookConfig({ ...base, WEBHOOK_PENDING_BODIES_MAX: "32" }).pendingBodiesMax).toBe(32);
  });

  it.each(["0", "lots", "2.5", "-1"])("refuses %j, naming the variable", (value) => {
    const read = () => readWebhookConfig({ ...base, WEBHOOK_PENDING_BODIES_MAX: value });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/^WEBHOOK_PENDING_BODIES_MAX is malformed/);
  });
});

describe("many slow senders declaring a few bytes each (the production server)", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startBuiltApp({
      DATABASE_URL: `${process.env.DATABASE_URL}-many-tiny`,
      CLERK_WEBHOOK_SIGNING_SECRET: TEST_WEBHOOK_SECRET,
      CLERK_PUBLISHABLE_KEY: process.env.CLERK_PUBLISHABLE_KEY,
      CLERK_SECRET_KEY: process.env.CLERK_SECRET_KEY,
      WEBHOOK_PENDING_BODIES_MAX: "8",
      WEBHOOK_PENDING_BODY_BYTES_MAX: String(16 * MiB),
      WEBHOOK_BODY_TIMEOUT_MS: "300000",
      LOG_LEVEL: "warn",
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("holds at most WEBHOOK_PENDING_BODIES_MAX of them and answers every other one 503 at once", async () => {
    const { port } = new URL(app.url);
    // Waits on what the sockets see, checked at each of their events (no clock involved).
    const changes = new EventEmitter().setMaxListeners(0);
    const until = (condition: () => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!condition()) return;
          changes.off("change", check);
          resolve();
        };
        changes.on("change", check);
        check();
      });
    const senders = Array.from({ length: 40 }, () => {
      const socket = connect(Number(port), "127.0.0.1");
      const sender = { socket, received: "", closed: false };
      socket.on("data", (chunk) => {
        sender.received += chunk.toString("latin1");
        changes.emit("change");
      });
      // A reset after the answer is only the server closing: what was received is judged below.
      socket.on("error", () => {});
      socket.on("close", () => {
        sender.closed = true;
        changes.emit("change");
      });
      socket.write(
        [
          "POST /api/webhooks/clerk HTTP/1.1",
          `Host: 127.0.0.1:${port}`,
          "Content-Type: application/json",
          "Content-Length: 100",
          "",
          "{",
        ].join("\r\n"),
      );
      return sender;
    });
    // A refusal closes its connection once answered.
    const refused = () => senders.filter((sender) => sender.closed);
    await until(() => refused().length >= 32);
    expect(refused()).toHaveLength(32);
    for (const sender of refused()) {
      expect(sender.received).toMatch(/^HTTP\/1\.1 503 /);
      expect(sender.received).toMatch(/\r\nRetry-After: 5\r\n/i);
      expect(sender.received).toContain('{"error":"too_many_pending_bodies"}');
    }

    // The eight held were admitted and are still waiting: the rest of their bodies is read, then judged.
    const held = senders.filter((sender) => !sender.closed);
    expect(held).toHaveLength(8);
    for (const sender of held) expect(sender.received).toBe("");
    for (const { socket } of held) socket.write(" ".repeat(99));
    await until(() => held.every((sender) => sender.received.includes("missing_svix_headers")));
    for (const sender of held) expect(sender.received).toMatch(/^HTTP\/1\.1 400 /);
    for (const { socket } of held) socket.destroy();

    const body = JSON.stringify(clerkEvent("user.created", clerkUser()));
    const response = await fetch(`${app.url}/api/webhooks/clerk`, { method: "POST", headers: signBody(body), body });
    expect(response.status).toBe(200);
  });
});

describe("a webhook body has a deadline (the production server)", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startBuiltApp({
      DATABASE_URL: `${process.env.DATABASE_URL}-deadline`,
      CLERK_WEBHOOK_SIGNING_SECRET: TEST_WEBHOOK_SECRET,
      CLERK_PUBLISHABLE_KEY: process.env.CLERK_PUBLISHABLE_KEY,
      CLERK_SECRET_KEY: process.env.CLERK_SECRET_KEY,
      // Small, so that the test only waits for the 408; it times nothing itself.
      WEBHOOK_BODY_TIMEOUT_MS: "200",
      // Room for exactly one declared 1 MiB body.
      WEBHOOK_PENDING_BODY_BYTES_MAX: String(MiB),
      LOG_LEVEL: "warn",
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("answers 408 to a body that stops arriving, closes the connection, and frees what it held", async () => {
    const { port } = new URL(app.url);
    const socket = connect(Number(port), "127.0.0.1");
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString("latin1")));
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.write(
      [
        "POST /api/webhooks/clerk HTTP/1.1",
        `Host: 127.0.0.1:${port}`,
        "Content-Type: application/json",
        `Content-Length: ${MiB}`,
        "",
        "{" + " ".repeat(1023),
      ].join("\r\n"),
    );
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(received).toContain('{"error":"body_timeout"}');

    // The cap has room for one such body only: a delivery succeeding now shows it was released.
    const body = JSON.stringify(clerkEvent("user.created", clerkUser()));
    const response = await fetch(`${app.url}/api/webhooks/clerk`, { method: "POST", headers: signBody(body), body });
    expect(response.status).toBe(200);
  });
});
