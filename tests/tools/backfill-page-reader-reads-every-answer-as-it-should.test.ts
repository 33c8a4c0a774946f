import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClerkUserListStream, MAX_PAGE_BYTES } from "~/backfill/user-list-stream.server";
import { ClerkError, toClerkError } from "~/clerk/clerk-errors.server";

/**
 * How the backfill's reader (user-list-stream.server.ts) reads each kind of answer Clerk, or something in its
 * place, may send: the count's body, a page's content type and encoding, its size at the limits, its end, an
 * error answer and a connection cut half-way. A server in this file answers as each case needs.
 */

const NOT_A_COUNT = "Clerk's answer to /v1/users/count is not a count of users.";
const NOT_JSON = "Clerk sent a page of users that is not valid JSON.";
const KiB = 1024;

let server: Server;
let apiUrl: string;
let answer: (req: IncomingMessage, res: ServerResponse) => void;
/** Each request's server-side socket, in order. */
let sockets: Socket[] = [];
/** Sockets the client closed (FIN or reset), as opposed to the server's own keep-alive timeout. */
const closedByClient = new WeakSet<Socket>();

beforeAll(async () => {
  server = createServer((req, res) => {
    sockets.push(req.socket);
    answer(req, res);
  });
  server.on("connection", (socket: Socket) => {
    socket.on("end", () => closedByClient.add(socket));
    socket.on("error", () => closedByClient.add(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

const json = { "content-type": "application/json" };
const users = [
  { id: "user_a", first_name: "Ada" },
  { id: "user_b", first_name: "Grace" },
];

async function withReader<R>(use: (reader: ClerkUserListStream) => Promise<R>): Promise<R> {
  const reader = new ClerkUserListStream({ secretKey: "sk_test_page_reader_answers_0000", apiUrl });
  try {
    return await use(reader);
  } finally {
    reader.close();
  }
}

const outcomeOf = <R>(promise: Promise<R>) => promise.catch((error: unknown) => error);
const count = () => withReader((reader) => outcomeOf(reader.count()));
const page = (convert: (user: unknown) => unknown = (user) => user) =>
  withReader((reader) => outcomeOf(reader.page({ limit: 10 }, convert)));

/** A JSON text padded with spaces (still the same JSON) to exactly `bytes` bytes. */
const padded = (text: string, bytes: number) => text.slice(0, -1) + " ".repeat(bytes - text.length) + text.slice(-1);

describe("the count", () => {
  it("accepts 0 and a plain count, and refuses every other body as not a count of users", async () => {
    for (const [body, expected] of [
      ['{"object":"total_count","total_count":0}', 0],
      ['{"object":"total_count","total_count":1234}', 1234],
    ] as const) {
      answer = (_req, res) => res.writeHead(200, json).end(body);
      expect(await count(), body).toBe(expected);
    }
    for (const body of [
      '{"object":"total_count"}',
      '{"object":"total_count","total_count":"7"}',
      '{"object":"total_count","total_count":1.5}',
      '{"object":"total_count","total_count":-1}',
      '{"object":"total_count","total_count":9007199254740992}',
      '{"object":"total_count","total_count":1e400}',
      '{"object":"total_count","total_count":7',
      "",
    ]) {
      answer = (_req, res) => res.writeHead(200, json).end(body);
      const refused = await count();
      expect(refused, body).toBeInstanceOf(ClerkError);
      expect(refused, body).toMatchObject({ message: NOT_A_COUNT, kind: "unavailable", status: null, retryable: true });
    }
  });

  it("reads a count body of exactly 64 KiB, and refuses a valid one a byte longer", async () => {
    const body = '{"object":"total_count","total_count":5}';
    answer = (_req, res) => res.writeHead(200, json).end(padded(body, 64 * KiB));
    expect(await count()).toBe(5);
    answer = (_req, res) => res.writeHead(200, json).end(padded(body, 64 * KiB + 1));
    expect(await count()).toMatchObject({ message: NOT_A_COUNT });
  });
});

describe("a 200 page's content type", () => {
  it("must start with application/json; anything else is refused, naming what came", async () => {
    const body = JSON.stringify(users);
    answer = (_req, res) => res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(body);
    expect(await page()).toEqual({ users });
    for (const [headers, message] of [
      [{ "content-type": "text/html" }, "Clerk answered v1/users with text/html, not JSON."],
      [{ "content-type": "text/application/json" }, "Clerk answered v1/users with text/application/json, not JSON."],
      [{}, "Clerk answered v1/users with no content type, not JSON."],
    ] as const) {
      answer = (_req, res) => res.writeHead(200, headers).end(body);
      const refused = await page();
      expect(refused, message).toBeInstanceOf(ClerkError);
      expect(refused, message).toMatchObject({ message, status: null, retryable: true });
    }
  });
});

describe("a 200 page's content encoding", () => {
  it("reads gzip, deflate, br and identity answers, in any case, to the same users; an unknown one as is", async () => {
    const body = Buffer.from(JSON.stringify(users));
    for (const [encoding, wire] of [
      [undefined, body],
      ["identity", body],
      ["gzip", gzipSync(body)],
      ["GZIP", gzipSync(body)],
      ["deflate", deflateSync(body)],
      ["Deflate", deflateSync(body)],
      ["br", brotliCompressSync(body)],
      ["BR", brotliCompressSync(body)],
      ["x-not-an-encoding", body],
    ] as const) {
      answer = (_req, res) =>
        res.writeHead(200, { ...json, ...(encoding ? { "content-encoding": encoding } : {}) }).end(wire);
      expect(await page(), String(encoding)).toEqual({ users });
    }
  });

  it("rejects a compressed body that does not decompress, for each encoding", async () => {
    for (const encoding of ["gzip", "deflate", "br"]) {
      answer = (_req, res) =>
        res.writeHead(200, { ...json, "content-encoding": encoding }).end(Buffer.from("[not compressed at all]"));
      expect(await page(), encoding).toBeInstanceOf(Error);
    }
  });
});

describe("a 200 page's text", () => {
  it("decodes a character whose bytes arrive in two chunks", async () => {
    const name = "Zoë 😀";
    const bytes = Buffer.from(JSON.stringify([users[0], { id: "user_split", first_name: name }]));
    // Cut inside the emoji's four bytes.
    const cut = bytes.indexOf(Buffer.from("😀")) + 2;
    let firstRead!: () => void;
    const firstUserRead = new Promise<void>((resolve) => (firstRead = resolve));
    answer = (_req, res) => {
      res.writeHead(200, json).write(bytes.subarray(0, cut));
      // The rest only once the client has read the first part: two chunks on its side.
      void firstUserRead.then(() => res.end(bytes.subarray(cut)));
    };
    const read = await page((user) => {
      if ((user as { id: string }).id === users[0].id) firstRead();
      return user;
    });
    expect(read).toEqual({ users: [users[0], { id: "user_split", first_name: name }] });
  });
});

describe("a 200 page's size and end", () => {
  it("reads a page of exactly 16 MiB, and refuses one a byte longer for its size", async () => {
    const body = JSON.stringify([users[0]]);
    answer = (_req, res) => res.writeHead(200, json).end(padded(body, MAX_PAGE_BYTES));
    expect(await page()).toEqual({ users: [users[0]] });
    answer = (_req, res) => res.writeHead(200, json).end(padded(body, MAX_PAGE_BYTES + 1));
    expect(await page()).toMatchObject({ message: "Clerk sent a page of users over 16 MiB: not a page." });
  });

  it("refuses a page cut short or followed by anything but whitespace as not valid JSON", async () => {
    for (const body of ['[{"id":"user_a"}', '[{"id":"user_a"},', "[", '[{"id":"user_a"}] [', '[{"id":"user_a"}]x']) {
      answer = (_req, res) => res.writeHead(200, json).end(body);
      expect(await page(), body).toMatchObject({ message: NOT_JSON, status: null, retryable: true });
    }
    answer = (_req, res) => res.writeHead(200, json).end('[{"id":"user_a"}]  \n');
    expect(await page()).toEqual({ users: [{ id: "user_a" }] });
  });

  it("reports the first user that does not convert, and converts none after it", async () => {
    const four = ["user_1", "user_2_bad", "user_3", "user_4_bad"].map((id) => ({ id }));
    answer = (_req, res) => res.writeHead(200, json).end(JSON.stringify(four));
    const converted: string[] = [];
    const read = await page((user) => {
      const { id } = user as { id: string };
      converted.push(id);
      if (id.endsWith("_bad")) throw new Error(`${id} is not a user`);
      return user;
    });
    expect(read).toEqual({ invalid: new Error("user_2_bad is not a user") });
    expect(converted).toEqual(["user_1", "user_2_bad"]);
  });
});

describe("an error answer", () => {
  const clerkError = JSON.stringify({ errors: [{ code: "too_many_requests", message: "Too many requests" }] });

  it("is a ClerkError with Retry-After passed on, and its connection serves the next request", async () => {
    sockets = [];
    await withReader(async (reader) => {
      answer = (_req, res) => res.writeHead(429, { ...json, "retry-after": "7" }).end(clerkError);
      expect(await outcomeOf(reader.page({ limit: 10 }, (user) => user))).toMatchObject({
        kind: "rate_limited",
        status: 429,
        retryAfter: 7,
      });
      answer = (_req, res) => res.writeHead(500, json).end("{}");
      expect(await outcomeOf(reader.count())).toMatchObject({ kind: "unavailable", status: 500, retryAfter: null });
      answer = (_req, res) => res.writeHead(200, json).end("[]");
      expect(await reader.page({ limit: 10 }, (user) => user)).toEqual({ users: [] });
    });
    expect(sockets).toHaveLength(3);
    expect(new Set(sockets).size).toBe(1);
  });

  it("over 64 KiB is still a ClerkError with its status, and its connection is closed, not kept", async () => {
    for (const [status, kind] of [
      [500, "unavailable"],
      [429, "rate_limited"],
    ] as const) {
      sockets = [];
      const body = padded(clerkError, 1024 * KiB);
      answer = (_req, res) => res.writeHead(status, { ...json, "retry-after": "2" }).end(body);
      // The reader stays open until the socket has closed: close() would close a kept socket too.
      await withReader(async (reader) => {
        const refused = await outcomeOf(reader.page({ limit: 10 }, (user) => user));
        expect(refused).toBeInstanceOf(ClerkError);
        expect(refused).toMatchObject({ status, kind });
        const [socket] = sockets;
        if (!socket.destroyed) await new Promise((resolve) => socket.once("close", resolve));
        // Closed from the client's side; a kept socket would only close at the server's keep-alive timeout.
        expect(closedByClient.has(socket)).toBe(true);
      });
    }
  });
});

describe("a connection cut after the headers", () => {
  it("rejects the request, for a 200 page, a compressed one, the count and an error answer", async () => {
    const page200 = Buffer.from(JSON.stringify(users));
    for (const [status, headers, wire, call] of [
      [200, json, page200, page],
      [200, { ...json, "content-encoding": "gzip" }, gzipSync(page200), page],
      [200, json, Buffer.from('{"total_count":'), count],
      [500, json, Buffer.from('{"errors":'), page],
    ] as const) {
      answer = (_req, res) => {
        res.writeHead(status, { ...headers, "content-length": String(wire.length + 100) });
        res.write(wire.subarray(0, wire.length - 5), () => res.destroy());
      };
      const outcome = await call();
      expect(outcome, `${status} ${JSON.stringify(headers)}`).toBeInstanceOf(Error);
      // Node's own "aborted" usually comes first; the reader's words when the socket closes without it.
      expect(toClerkError(outcome)).toMatchObject({ kind: "unavailable", status: null, retryable: true });
    }
  });
});
