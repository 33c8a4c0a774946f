import { getEventListeners } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClerkUserListStream } from "~/backfill/user-list-stream.server";
import { ClerkError } from "~/clerk/clerk-errors.server";

/**
 * The request side of the backfill's own reader of `GET /v1/users` (user-list-stream.server.ts): where it asks,
 * what it sends, how it bounds a page by the limit it asked for, and how a request it abandons, or that the
 * connection abandons, still settles. backfill-reads-pages-as-the-sdk-does.test.ts holds the URL and key to the
 * SDK's; these hold what the SDK comparison cannot see.
 */

let server: Server;
let url: string;
let seen: IncomingMessage[] = [];
let answer: (req: IncomingMessage, res: ServerResponse) => void;
const answerJson = (body: unknown) => (_req: IncomingMessage, res: ServerResponse) =>
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

const secretKey = "sk_test_request_side_capture_key";

/** A reader for one test, closed after it whatever happens. */
async function withReader<R>(apiUrl: string, use: (reader: ClerkUserListStream) => Promise<R>): Promise<R> {
  const reader = new ClerkUserListStream({ secretKey, apiUrl });
  try {
    return await use(reader);
  } finally {
    reader.close();
  }
}

/** An https server answering `[]` with the self-signed certificate below, closed after `use`. */
async function withTlsServer<R>(use: (apiUrl: string, handshakes: () => number) => Promise<R>): Promise<R> {
  let handshakes = 0;
  const tls = createTlsServer({ key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT }, (_req, res) =>
    res.writeHead(200, { "content-type": "application/json" }).end("[]"),
  );
  tls.on("secureConnection", () => handshakes++);
  await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
  try {
    return await use(`https://127.0.0.1:${(tls.address() as AddressInfo).port}`, () => handshakes);
  } finally {
    tls.closeAllConnections();
    await new Promise((resolve) => tls.close(resolve));
  }
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected the request to fail");
    },
    (error: unknown) => error,
  );

const usersNumbered = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `user_${i}` }));

describe("the backfill's page reader, on the request side", () => {
  it("asks under the apiUrl's own path, whether or not it ends in a slash", async () => {
    answer = (req, res) =>
      answerJson(req.url?.includes("/count") ? { object: "total_count", total_count: 2 } : [])(req, res);
    for (const apiUrl of [`${url}/some/prefix`, `${url}/some/prefix/`]) {
      seen = [];
      await withReader(apiUrl, async (reader) => {
        await reader.page({ limit: 10 }, (user) => user);
        expect(await reader.count()).toBe(2);
      });
      expect(
        seen.map((req) => req.url),
        apiUrl,
      ).toEqual(["/some/prefix/v1/users?limit=10", "/some/prefix/v1/users/count"]);
    }
  });

  it("sends a GET with its own User-Agent, a JSON Accept and the encodings it can decode", async () => {
    answer = answerJson([]);
    seen = [];
    await withReader(url, (reader) => reader.page({ limit: 1 }, (user) => user));
    const [req] = seen;
    expect(req.method).toBe("GET");
    expect(req.headers).toMatchObject({
      "user-agent": "clerk-sync (sync:all)",
      accept: "application/json",
      "accept-encoding": "gzip, deflate, br",
    });
  });

  it("leaves out query values that are undefined or empty and sends an array once per element", async () => {
    answer = answerJson([]);
    seen = [];
    await withReader(url, (reader) =>
      reader.page({ limit: 2, email_address: "", starting_after: undefined, user_id: ["a", "b"] }, (user) => user),
    );
    expect(seen.map((req) => req.url)).toEqual(["/v1/users?limit=2&user_id=a&user_id=b"]);
  });

  it("refuses as malformed a page with more users than its limit asked for", async () => {
    await withReader(url, async (reader) => {
      answer = answerJson(usersNumbered(3));
      expect((await reader.page({ limit: 3 }, (user) => user)).users).toHaveLength(3);
      answer = answerJson(usersNumbered(4));
      const refused = await failureOf(reader.page({ limit: 3 }, (user) => user));
      expect(refused).toBeInstanceOf(ClerkError);
      expect(refused).toMatchObject({ kind: "unavailable", message: "Clerk sent more than 3 users in one page." });
    });
  });

  it("holds a page to Clerk's 500 users when its limit is missing, not a positive integer, or above 500", async () => {
    await withReader(url, async (reader) => {
      for (const limit of [undefined, 0, -1, 2.5, "many", 501, 1_000]) {
        answer = answerJson(usersNumbered(500));
        expect((await reader.page({ limit }, (user) => user)).users, String(limit)).toHaveLength(500);
        answer = answerJson(usersNumbered(501));
        const refused = await failureOf(reader.page({ limit }, (user) => user));
        expect(refused, String(limit)).toMatchObject({ message: "Clerk sent more than 500 users in one page." });
      }
    });
  });

  it("rejects at once with the reason of a signal already aborted, and sends nothing", async () => {
    answer = answerJson([]);
    seen = [];
    const reason = new Error("the run is over");
    await withReader(url, async (reader) => {
      expect(await failureOf(reader.page({ limit: 1 }, (user) => user, { signal: AbortSignal.abort(reason) }))).toBe(
        reason,
      );
      expect(await failureOf(reader.count({ signal: AbortSignal.abort(reason) }))).toBe(reason);
    });
    expect(seen).toEqual([]);
  });

  it("leaves no abort listener behind on a signal shared by the requests it served", async () => {
    const run = new AbortController();
    const { signal } = run;
    await withReader(url, async (reader) => {
      answer = answerJson([{ id: "user_1" }]);
      await reader.page({ limit: 1 }, (user) => user, { signal });
      expect(getEventListeners(signal, "abort")).toHaveLength(0);
      answer = (_req, res) =>
        res.writeHead(422, { "content-type": "application/json" }).end(JSON.stringify({ errors: [] }));
      await failureOf(reader.page({ limit: 1 }, (user) => user, { signal }));
      expect(getEventListeners(signal, "abort")).toHaveLength(0);
      answer = (req) => req.socket.destroy();
      await failureOf(reader.page({ limit: 1 }, (user) => user, { signal }));
      expect(getEventListeners(signal, "abort")).toHaveLength(0);
    });
  });

  it("on close(), abandons a request still out and closes every connection it kept alive", async () => {
    let held!: () => void;
    const requestArrived = new Promise<void>((resolve) => (held = resolve));
    answer = (req, res) => {
      if (req.url?.startsWith("/v1/users/count")) answerJson({ object: "total_count", total_count: 1 })(req, res);
      else held(); // never answered
    };
    const reader = new ClerkUserListStream({ secretKey, apiUrl: url });
    seen = [];
    // Two at once: two kept-alive connections, one of them idle when close() comes.
    await Promise.all([reader.count(), reader.count()]);
    const connections = [...new Set(seen.map((req) => req.socket))];
    expect(connections).toHaveLength(2);
    const pending = failureOf(reader.page({ limit: 1 }, (user) => user));
    await requestArrived;
    const allClosed = Promise.all(
      connections.map((socket) => (socket.closed ? undefined : new Promise((resolve) => socket.on("close", resolve)))),
    );
    reader.close();
    expect(await pending).toBeInstanceOf(Error);
    await allClosed;
  });

  it("keeps one connection alive for the requests that follow one another", async () => {
    answer = answerJson([]);
    seen = [];
    await withReader(url, async (reader) => {
      for (let i = 0; i < 3; i++) await reader.page({ limit: 1 }, (user) => user);
    });
    expect(new Set(seen.map((req) => req.socket)).size).toBe(1);
  });

  it("rejects with the socket's own ECONNRESET when Clerk drops the connection before answering", async () => {
    answer = (req) => req.socket.destroy();
    await withReader(url, async (reader) => {
      expect(await failureOf(reader.page({ limit: 1 }, (user) => user))).toMatchObject({ code: "ECONNRESET" });
      expect(await failureOf(reader.count())).toMatchObject({ code: "ECONNRESET" });
    });
  });

  it("rejects with ECONNREFUSED when nothing listens at the apiUrl", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await withReader(`http://127.0.0.1:${port}`, async (reader) => {
      expect(await failureOf(reader.page({ limit: 1 }, (user) => user))).toMatchObject({ code: "ECONNREFUSED" });
    });
  });

  it("rejects with the socket's own ECONNRESET when a compressed answer is cut half-way", async () => {
    const gzipped = gzipSync(JSON.stringify(usersNumbered(300)));
    answer = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.write(gzipped.subarray(0, gzipped.length / 2), () => res.destroy());
    };
    await withReader(url, async (reader) => {
      expect(await failureOf(reader.page({}, (user) => user))).toMatchObject({ code: "ECONNRESET" });
    });
  });

  it("speaks TLS to an https apiUrl and refuses a certificate it cannot trust", async () => {
    await withTlsServer(async (apiUrl) => {
      await withReader(apiUrl, async (reader) => {
        expect(await failureOf(reader.page({ limit: 1 }, (user) => user))).toMatchObject({
          code: "DEPTH_ZERO_SELF_SIGNED_CERT",
        });
      });
    });
  });

  it("keeps one TLS connection alive for the requests that follow one another", async () => {
    // Node 20 takes extra trusted certificates only at start, so this test alone waives the check the one above
    // proves, to see the handshake done once.
    const waived = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    try {
      const handshakes = await withTlsServer(async (apiUrl, handshakes) => {
        await withReader(apiUrl, async (reader) => {
          for (let i = 0; i < 3; i++) expect((await reader.page({ limit: 1 }, (user) => user)).users).toEqual([]);
        });
        return handshakes();
      });
      expect(handshakes).toBe(1);
    } finally {
      if (waived === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = waived;
    }
  });
});

// A throwaway P-256 key and self-signed certificate for 127.0.0.1, made for this test alone: no one trusts it.
const SELF_SIGNED_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggxGGszhZg9QI3twL
zaqOe1Iuh4u2U77kSsJ1XlbD85ihRANCAAQ51iGdiPYoaf7XZ657bJlX5ksMR8no
DITQB3paL1C3OUh4RVe482fex66pL0WyUJRh1kciuFrlA9qbX7HaIDiF
-----END PRIVATE KEY-----
`;
const SELF_SIGNED_CERT = `-----BEGIN CERTIFICATE-----
MIIBjzCCATagAwIBAgIUDaTD2aOkcTk+zLyykHEUZcVvPK4wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyOTEzMjgzN1oYDzIxMjYxMTA1
MTMyODM3WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQ51iGdiPYoaf7XZ657bJlX5ksMR8noDITQB3paL1C3OUh4RVe482fe
x66pL0WyUJRh1kciuFrlA9qbX7HaIDiFo2QwYjAdBgNVHQ4EFgQUerTgsp88O5jp
fBWeOspYyUyQ1s8wHwYDVR0jBBgwFoAUerTgsp88O5jpfBWeOspYyUyQ1s8wDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0cAMEQC
IAG8LsOGxrNCh2iWjzvJJN+Q+0G7Qa3g3r5NrhUXyrGSAiBK+Uvaf8YcgSQtpPax
+yyw+QZICi/rx2W/fTkckdBPQA==
-----END CERTIFICATE-----
`;
