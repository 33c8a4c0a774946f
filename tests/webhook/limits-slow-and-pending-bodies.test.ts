import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PendingBodyBudget, readBodyWithLimit } from "~/clerk/verify-webhook.server";
import { action } from "~/routes/api.webhooks.clerk";
import { startBuiltApp, type RunningApp } from "../support/app-server";
import { clerkEvent, clerkUser, signBody } from "../support/clerk-webhooks";
import { TEST_WEBHOOK_SECRET } from "../support/test-env";

/**
 * Anyone can open a connection to the webhook and trickle a body. Each such body
 * is held (unverified) until it is complete, so without a deadline and a shared
 * cap, sixty slow senders declaring 1 MiB held 60 MB for minutes.
 */

const MiB = 1024 * 1024;
const url = "http://localhost/api/webhooks/clerk";

// This process's webhook route: a 2 MiB cap on pending bodies, a deadline far away.
process.env.WEBHOOK_PENDING_BODY_BYTES_MAX = String(2 * MiB);
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
  const { stream, finish } = trickle(1024);
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
