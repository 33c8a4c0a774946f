import Database from "better-sqlite3";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sqlite } from "../support/db";
import { clerkEvent, clerkUser, signBody, signedRequest } from "../support/clerk-webhooks";
import { withCapturedLogs } from "../support/captured-logs";
import { action, loader } from "~/routes/api.webhooks.clerk";

/**
 * Each delivery gets one log line (`clerk_webhook`: its svix-id, type, status, outcome and time
 * taken) and an answer whose headers tell the sender what to do next: `Allow` after a 405,
 * `Retry-After` with every 503, `Connection: close` when the body was refused unread. A failure of
 * the database adds one error line. The logger is captured in this process.
 */

// The lock test below waits this long for a lock that never comes free.
process.env.SQLITE_BUSY_TIMEOUT_MS = "50";
// Room for one body of unknown length (it may come to 1 MiB) and 100 KiB more.
process.env.WEBHOOK_PENDING_BODY_BYTES_MAX = String(1024 * 1024 + 100 * 1024);

const url = "http://localhost/api/webhooks/clerk";

async function call(request: Request) {
  const args = { request, params: {}, context: {} };
  const { result: response, lines } = await withCapturedLogs(
    async () => (await (request.method === "GET" ? loader(args) : action(args))) as Response,
  );
  return { response, body: await response.json(), lines };
}

const deliveryLine = (fields: Record<string, unknown>) => ({
  time: expect.any(String),
  level: "info",
  event: "clerk_webhook",
  ms: expect.any(Number),
  ...fields,
});

afterEach(() => {
  vi.restoreAllMocks();
  sqlite().exec("drop trigger if exists refuse_user_writes");
});

describe("the answer and the log line of each kind of delivery", () => {
  it("a method other than POST: 405 naming the one allowed, before anything is read", async () => {
    const { response, body, lines } = await call(new Request(url, { method: "GET" }));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    expect(body).toEqual({ error: "method_not_allowed" });
    expect(lines).toEqual([]);
  });

  it("a stored delivery: its svix-id, type and outcome, and the time taken to a hundredth of a millisecond", async () => {
    const request = signedRequest(clerkEvent("user.created", clerkUser()));
    // The edge reads the clock once when the request comes in; every later reading is 12.3456 ms on.
    vi.spyOn(performance, "now").mockReturnValueOnce(1_000).mockReturnValue(1_012.3456);
    const { response, lines } = await call(request);
    expect(response.status).toBe(200);
    expect(response.headers.get("retry-after")).toBeNull();
    expect(response.headers.get("connection")).toBeNull();
    expect(lines).toEqual([
      deliveryLine({
        svix_id: request.headers.get("svix-id"),
        type: "user.created",
        status: 200,
        outcome: "created",
        ms: 12.35,
      }),
    ]);
  });

  it("no Svix headers: rejected, naming no svix-id, the connection kept", async () => {
    const body = JSON.stringify(clerkEvent("user.created", clerkUser()));
    const { response, lines } = await call(new Request(url, { method: "POST", body }));
    expect(response.status).toBe(400);
    expect(response.headers.get("connection")).toBeNull();
    expect(response.headers.get("retry-after")).toBeNull();
    expect(lines).toEqual([deliveryLine({ svix_id: null, type: null, status: 400, outcome: "rejected" })]);
  });

  it("a body refused before it is read: rejected, naming the svix-id it came with", async () => {
    const headers = { ...signBody("{}"), "content-length": String(2 * 1024 * 1024) };
    const { response, body, lines } = await call(new Request(url, { method: "POST", headers, body: "{}" }));
    expect(response.status).toBe(413);
    expect(body).toEqual({ error: "payload_too_large" });
    expect(response.headers.get("connection")).toBe("close");
    expect(response.headers.get("retry-after")).toBeNull();
    expect(lines).toEqual([
      deliveryLine({ svix_id: headers["svix-id"], type: null, status: 413, outcome: "rejected" }),
    ]);
  });

  it("a body refused without Svix headers names no svix-id", async () => {
    const headers = { "content-length": String(2 * 1024 * 1024) };
    const { lines } = await call(new Request(url, { method: "POST", headers, body: "{}" }));
    expect(lines).toEqual([deliveryLine({ svix_id: null, type: null, status: 413, outcome: "rejected" })]);
  });

  it("a body that does not fit beside those pending: 503 to come back later, the connection closed at once", async () => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const slow = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    const pending = action({
      request: new Request(url, { method: "POST", body: slow, duplex: "half" } as RequestInit),
      params: {},
      context: {},
    }) as Promise<Response>;

    const body = " ".repeat(150 * 1024);
    const headers = { ...signBody(body), "content-length": String(body.length) };
    const { response, lines } = await call(new Request(url, { method: "POST", headers, body }));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(response.headers.get("connection")).toBe("close");
    // Only a 413 is followed by dropping what is still arriving: this answer is as built, without a length.
    expect(response.headers.get("content-length")).toBeNull();
    expect(lines).toEqual([
      deliveryLine({ svix_id: headers["svix-id"], type: null, status: 503, outcome: "rejected" }),
    ]);

    controller.close();
    expect((await pending).status).toBe(400);
  });

  it("a refused payload: invalid_payload, under its type", async () => {
    const request = signedRequest(clerkEvent("user.created", { ...clerkUser(), updated_at: "yesterday" }));
    const { response, lines } = await call(request);
    expect(response.status).toBe(400);
    expect(lines).toEqual([
      deliveryLine({
        svix_id: request.headers.get("svix-id"),
        type: "user.created",
        status: 400,
        outcome: "invalid_payload",
      }),
    ]);
  });
});

describe("when the database fails", () => {
  it("one error line naming the delivery and the error, a delivery line with outcome error, and a 503 to retry", async () => {
    sqlite().exec(
      "create trigger refuse_user_writes before insert on users begin select raise(abort, 'disk is unhappy'); end",
    );
    const user = clerkUser();
    const request = signedRequest(clerkEvent("user.created", user));
    const svixId = request.headers.get("svix-id");
    const { response, body, lines } = await call(request);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(response.headers.get("connection")).toBeNull();
    expect(body).toEqual({ error: "temporarily_unavailable" });
    expect(lines).toEqual([
      {
        time: expect.any(String),
        level: "error",
        event: "clerk_webhook_error",
        svix_id: svixId,
        error: "SqliteError: disk is unhappy",
      },
      deliveryLine({ svix_id: svixId, type: null, status: 503, outcome: "error" }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(user.id);
  });

  it("a write lock held elsewhere is waited for SQLITE_BUSY_TIMEOUT_MS, then answered 503", async () => {
    sqlite();
    const other = new Database(process.env.DATABASE_URL!);
    other.exec("BEGIN IMMEDIATE");
    try {
      const request = signedRequest(clerkEvent("user.created", clerkUser()));
      const { response, lines } = await call(request);
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      expect(lines).toEqual([
        { time: expect.any(String), level: "debug", event: "database_busy", label: "clerk_webhook" },
        {
          time: expect.any(String),
          level: "error",
          event: "clerk_webhook_error",
          svix_id: request.headers.get("svix-id"),
          error: expect.stringMatching(/^DatabaseBusyError: /),
        },
        deliveryLine({ svix_id: request.headers.get("svix-id"), type: null, status: 503, outcome: "error" }),
      ]);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
  });
});
