import { Webhook } from "svix";
import { afterEach, describe, expect, test } from "vitest";
import { startClerkStandIn, SVIX_RETRY_DELAYS_MS, type ClerkStandIn } from "../src/index.js";
import { webhooksSpec } from "./support/openapi-schemas.js";
import { startWebhookReceiver, type ReceivedWebhook } from "./support/webhook-receiver.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setUp(options: { answer?: Parameters<typeof startWebhookReceiver>[0]; timeScale?: number } = {}) {
  const receiver = await startWebhookReceiver(options.answer);
  const standIn = await startClerkStandIn({
    port: 0,
    webhookUrls: [receiver.url],
    timeScale: options.timeScale ?? 0.001,
  });
  cleanups.push(
    () => standIn.close(),
    () => receiver.close(),
  );
  return { receiver, standIn };
}

function verified(standIn: ClerkStandIn, delivery: ReceivedWebhook) {
  return new Webhook(standIn.webhookSecret).verify(delivery.rawBody, {
    "svix-id": String(delivery.headers["svix-id"]),
    "svix-timestamp": String(delivery.headers["svix-timestamp"]),
    "svix-signature": String(delivery.headers["svix-signature"]),
  }) as any;
}

describe("webhook deliveries", () => {
  test("every change arrives Svix-signed, in Clerk's current event envelope", async () => {
    const { receiver, standIn } = await setUp();
    const user = standIn.store.create(
      { email_address: ["hook@example.com"], first_name: "Hook" },
      { source: "api", userAgent: "@clerk/backend@2", clientIp: "127.0.0.1" },
    );
    standIn.store.update(user.id, { first_name: "Hooked" });
    standIn.store.delete(user.id);
    await standIn.deliveries.waitForIdle();

    expect(receiver.received).toHaveLength(3);
    const events = receiver.received.map((delivery) => verified(standIn, delivery));
    expect(events.map((event) => event.type).sort()).toEqual(["user.created", "user.deleted", "user.updated"]);
    for (const event of events) webhooksSpec().assertWebhook(event.type, event);
    const created = events.find((event) => event.type === "user.created");
    expect(created).toMatchObject({
      object: "event",
      instance_id: standIn.instanceId,
      data: { id: user.id, first_name: "Hook" },
      event_attributes: { http_request: { client_ip: "127.0.0.1", user_agent: "@clerk/backend@2" } },
    });
    expect(created.timestamp).toBeGreaterThan(1e12); // milliseconds
    expect(events.find((event) => event.type === "user.deleted").data).toEqual({
      object: "user",
      id: user.id,
      deleted: true,
    });
    for (const delivery of receiver.received) expect(delivery.svixId).toMatch(/^msg_[0-9A-Za-z]{27}$/);
    expect(standIn.deliveries.records().every((record) => record.state === "succeeded")).toBe(true);
  });

  test("a tampered or wrongly keyed delivery fails svix verification", async () => {
    const { receiver, standIn } = await setUp();
    standIn.store.create({ first_name: "Sealed" });
    await receiver.waitForCount(1);
    const [delivery] = receiver.received;
    expect(() => verified(standIn, { ...delivery, rawBody: delivery.rawBody.replace("Sealed", "Broken") })).toThrow();
    expect(() =>
      new Webhook("whsec_" + Buffer.from("another secret value!!").toString("base64")).verify(
        delivery.rawBody,
        delivery.headers as any,
      ),
    ).toThrow();
  });

  test("failed attempts are retried on Svix's schedule with the same svix-id and a fresh signature", async () => {
    // 1e-4 turns the 28-hour schedule into about 10 s.
    const timeScale = 0.0001;
    const { receiver, standIn } = await setUp({ answer: () => 500, timeScale });
    standIn.store.create({ first_name: "Unlucky" });
    await standIn.deliveries.waitForIdle();

    expect(receiver.received).toHaveLength(SVIX_RETRY_DELAYS_MS.length);
    expect(new Set(receiver.received.map((d) => d.svixId)).size).toBe(1);
    for (const delivery of receiver.received) expect(verified(standIn, delivery).data.first_name).toBe("Unlucky");
    // Re-signed per attempt: the later attempts, seconds apart, carry later timestamps.
    const stamps = receiver.received.map((d) => Number(d.headers["svix-timestamp"]));
    expect(stamps.at(-1)!).toBeGreaterThan(stamps[0]);
    const gaps = receiver.received.slice(1).map((d, i) => d.receivedAt - receiver.received[i].receivedAt);
    const expected = SVIX_RETRY_DELAYS_MS.slice(1).map((delay) => delay * timeScale);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(expected[i] - 2));
    // The long gaps (from 720 ms, Svix's 2 h) dominate any scheduling noise on a loaded machine, so their
    // proportions must hold; an attempt scheduled one delay off would break them all.
    const longGaps = gaps.slice(3);
    const longExpected = expected.slice(3);
    longGaps.forEach((gap, i) => expect(gap / longExpected[i]).toBeLessThan(1.5));

    const [record] = standIn.deliveries.records();
    expect(record.state).toBe("failed");
    expect(record.attempts.map((attempt) => attempt.status)).toEqual(Array(SVIX_RETRY_DELAYS_MS.length).fill(500));
  });

  test("an endpoint that recovers gets the message on the next retry, then nothing more", async () => {
    const { receiver, standIn } = await setUp({ answer: ({ index }) => (index < 2 ? 503 : 200) });
    standIn.store.create({ first_name: "Patient" });
    await standIn.deliveries.waitForIdle();
    expect(receiver.received.map((d) => d.answeredStatus)).toEqual([503, 503, 200]);
    const [record] = standIn.deliveries.records();
    expect(record).toMatchObject({ state: "succeeded", next_attempt_at: null });
    expect(record.attempts).toHaveLength(3);
  });

  test("an unreachable endpoint is logged with the connection error and retried", async () => {
    const { standIn } = await setUp({ timeScale: 0.00001 });
    const receiver = await startWebhookReceiver();
    const closedUrl = receiver.url;
    await receiver.close();
    standIn.addWebhookUrl(closedUrl);
    standIn.store.create({ first_name: "Nowhere" });
    await standIn.deliveries.waitForIdle();
    const toClosed = standIn.deliveries.records().find((record) => record.endpoint === closedUrl)!;
    expect(toClosed.state).toBe("failed");
    expect(toClosed.attempts).toHaveLength(SVIX_RETRY_DELAYS_MS.length);
    expect(toClosed.attempts[0].error).toMatch(/ECONNREFUSED/);
  });

  test("a burst is delivered concurrently and completely", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const receiver = await startWebhookReceiver();
    const slow = await startSlowEndpoint(() => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return () => inFlight--;
    });
    const standIn = await startClerkStandIn({ port: 0, webhookUrls: [slow.url, receiver.url], timeScale: 0.001 });
    cleanups.push(
      () => standIn.close(),
      () => receiver.close(),
      () => slow.close(),
    );
    standIn.store.seed(
      Array.from({ length: 200 }, (_, i) => ({ first_name: `Burst${i}` })),
      { emit: true },
    );
    await standIn.deliveries.waitForIdle();
    expect(receiver.received).toHaveLength(200);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(16);
  });
});

async function startSlowEndpoint(onRequest: () => () => void) {
  const { createServer } = await import("node:http");
  const server = createServer((req, res) => {
    const done = onRequest();
    req.resume();
    setTimeout(() => {
      done();
      res.writeHead(200).end();
    }, 5);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/slow`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
