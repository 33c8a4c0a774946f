import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { createClerkClient } from "@clerk/backend";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateUsers, startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { ClerkUserListStream } from "~/backfill/user-list-stream.server";
import { ClerkError, toClerkError } from "~/clerk/clerk-errors.server";

/**
 * The backfill reads `GET /v1/users` with its own streaming reader instead of
 * the SDK (user-list-stream.server.ts). These tests hold it to the SDK:
 * the same request on the wire, the same users back, the same errors.
 */

let standIn: ClerkStandIn;
let fake: {
  server: Server;
  url: string;
  seen: IncomingMessage[];
  answer: (req: IncomingMessage, res: ServerResponse) => void;
};

beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
  standIn.store.seed(generateUsers({ count: 1_200, emailPrefix: "reader" }));
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    fake.answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake = {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    answer: (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end("[]"),
  };
});
afterAll(async () => {
  await standIn?.close();
  fake?.server.closeAllConnections();
  await new Promise((resolve) => fake?.server.close(resolve));
});

const access = () => ({ secretKey: standIn.env().CLERK_SECRET_KEY, apiUrl: standIn.url });
const fakeAccess = () => ({ secretKey: "sk_test_fake_key_for_the_capture_server", apiUrl: fake.url });

async function read<T>(
  apiUrlAndKey: { secretKey: string; apiUrl: string },
  query: Record<string, string | number | undefined>,
  convert: (user: unknown) => T,
) {
  const reader = new ClerkUserListStream(apiUrlAndKey);
  try {
    return await reader.page(query, convert);
  } finally {
    reader.close();
  }
}

describe("the backfill's page reader", () => {
  it("sends the request the SDK sends: path, query, key and API version", async () => {
    const sdk = createClerkClient(fakeAccess());
    await sdk.users.getUserList({ limit: 500, orderBy: "+created_at" });
    await read(fakeAccess(), { limit: 500, order_by: "+created_at" }, (user) => user);
    const [fromSdk, fromReader] = fake.seen.filter((req) => req.url?.startsWith("/v1/users?"));
    expect(fromReader.url).toBe(fromSdk.url);
    for (const header of ["authorization", "clerk-api-version"]) {
      expect(fromReader.headers[header], header).toBe(fromSdk.headers[header]);
    }
  });

  it("reads the same users the SDK reads, with created_at filters and a cursor", async () => {
    const sdk = createClerkClient(access());
    const all = standIn.store.list({ limit: 500, order_by: "+created_at" });
    const after = all[99];
    const query = {
      order_by: "+created_at",
      limit: 300,
      starting_after: after.id,
      created_at_after: all[0].created_at,
      created_at_before: all[450].created_at,
    };
    const viaSdk = await sdk.users.getUserList({
      orderBy: "+created_at",
      limit: 300,
      startingAfter: after.id,
      createdAtAfter: all[0].created_at,
      createdAtBefore: all[450].created_at,
    } as Parameters<typeof sdk.users.getUserList>[0]);
    const viaReader = await read(access(), query, (user) => user);
    expect(viaReader.users).toEqual(viaSdk.data.map((user) => user.raw));
    expect(viaReader.users).toHaveLength(300);
    expect((viaReader.users![0] as { id: string }).id).toBe(all[100].id);
  });

  it("reads a compressed answer, as real Clerk sends", async () => {
    const users = standIn.store.list({ limit: 20 });
    fake.answer = (req, res) => {
      expect(req.headers["accept-encoding"]).toMatch(/gzip/);
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(JSON.stringify(users)));
    };
    expect((await read(fakeAccess(), { limit: 20 }, (user) => user)).users).toEqual(users);
  });

  const fieldsOf = ({ kind, status, retryable, retryAfter, message, paramName }: ClerkError) => ({
    kind,
    status,
    retryable,
    retryAfter,
    message,
    paramName,
  });

  it("classifies error answers as the SDK's, so a 429 waits Retry-After and a lost cursor is recognised", async () => {
    const sdk = createClerkClient(fakeAccess());
    const clerkBody = (code: string, param?: string) =>
      JSON.stringify({
        errors: [
          {
            code,
            message: `${code} happened`,
            long_message: `${code}, at length`,
            meta: param ? { param_name: param } : {},
          },
        ],
        clerk_trace_id: "trace",
      });
    for (const [status, body, headers] of [
      [429, clerkBody("too_many_requests"), { "retry-after": "3" }],
      [422, clerkBody("form_param_value_invalid", "starting_after"), {}],
      [401, clerkBody("authentication_invalid"), {}],
      [503, "<html>bad gateway</html>", {}],
    ] as const) {
      fake.answer = (_req, res) =>
        res
          .writeHead(status, { "content-type": body.startsWith("{") ? "application/json" : "text/html", ...headers })
          .end(body);
      const fromReader = await read(fakeAccess(), { limit: 1 }, (user) => user).catch((error: unknown) => error);
      const fromSdk = await sdk.users.getUserList({ limit: 1 }).catch((error: unknown) => error);
      expect(fromReader).toBeInstanceOf(ClerkError);
      expect(fieldsOf(fromReader as ClerkError), String(status)).toEqual(fieldsOf(toClerkError(fromSdk)));
      expect((fromReader as ClerkError).status).toBe(status);
    }
  });

  it("gives no users, only an error, when the connection drops half-way through a page", async () => {
    const users = standIn.store.list({ limit: 100 });
    const text = JSON.stringify(users);
    fake.answer = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(text.slice(0, text.length / 2), () => res.destroy());
    };
    const converted: unknown[] = [];
    const outcome = await read(fakeAccess(), { limit: 100 }, (user) => converted.push(user)).catch(
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(Error);
    expect(toClerkError(outcome)).toMatchObject({ kind: "unavailable", status: null, retryable: true });
    expect(converted.length).toBeGreaterThan(0); // some users were read before the drop …
  });

  it("reports the first user that does not convert, after reading the whole page", async () => {
    const outcome = await read(access(), { limit: 50 }, (user) => {
      if ((user as { id: string }).id === standIn.store.list({ limit: 50 })[10].id) throw new Error("not a user");
      return user;
    });
    expect(outcome.users).toBeUndefined();
    expect(String(outcome.invalid)).toContain("not a user");
  });
});
