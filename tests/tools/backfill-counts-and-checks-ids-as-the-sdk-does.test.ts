import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createClerkClient } from "@clerk/backend";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClerkUserListStream } from "~/backfill/user-list-stream.server";

/**
 * The backfill's count and `--prune`'s check by id left the SDK for its own
 * reader (bounded, abortable). They must still send what the SDK sends.
 */

let server: Server;
let seen: IncomingMessage[] = [];
let access: { secretKey: string; apiUrl: string };

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    const body = req.url?.startsWith("/v1/users/count") ? { object: "total_count", total_count: 7 } : [];
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  access = {
    secretKey: "sk_test_capture_server_key_0000",
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

describe("the backfill's reader, beside the SDK", () => {
  it("counts users and checks ids with the SDK's request: path, query, key and API version", async () => {
    const sdk = createClerkClient(access);
    const reader = new ClerkUserListStream(access);
    const ids = ["user_a", "user_b"];
    // The request a call sent to /v1/users (getUserList also sends a count beside it).
    const sentBy = async (call: () => Promise<unknown>, path: string) => {
      seen = [];
      await call();
      return seen.find((req) => new URL(req.url ?? "/", "http://x").pathname === path)!;
    };
    try {
      const pairs = [
        [
          await sentBy(() => sdk.users.getCount(), "/v1/users/count"),
          await sentBy(() => reader.count(), "/v1/users/count"),
        ],
        [
          await sentBy(() => sdk.users.getUserList({ userId: ids, limit: ids.length }), "/v1/users"),
          await sentBy(() => reader.page({ user_id: ids, limit: ids.length }, (user) => user), "/v1/users"),
        ],
      ];
      for (const [fromSdk, fromReader] of pairs) {
        expect(fromReader.url).toBe(fromSdk.url);
        for (const header of ["authorization", "clerk-api-version"]) {
          expect(fromReader.headers[header], header).toBe(fromSdk.headers[header]);
        }
      }
      expect(await reader.count()).toBe(7);
    } finally {
      reader.close();
    }
  });
});
