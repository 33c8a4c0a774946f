import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createClerkClient } from "@clerk/backend";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildClerkOrganization, buildClerkOrganizationMembership } from "@clerk-sync/clerk-stand-in/testing";
import {
  clerkOrganizationsStillPresent,
  listClerkMemberships,
  listClerkOrganizations,
  listMembershipsOfClerkOrganization,
} from "~/backfill/organization-pages.server";
import { MAX_PAGE_BYTES } from "~/backfill/user-list-stream.server";
import { ClerkError, toClerkError } from "~/clerk/clerk-errors.server";

/**
 * The organization and membership lists are read by the backfill's own `fetch` (organization-pages.server.ts).
 * What it sends, and what it refuses: an answer that is not JSON, too large, not a `{ data, total_count }`
 * page, longer than asked for, or holding an object the app cannot read; and how it classifies Clerk's errors
 * (as the SDK's, compared on the same answers).
 */

let server: Server;
let origin = "";
const seen: IncomingMessage[] = [];
let answer: (req: IncomingMessage, res: ServerResponse) => void;
const secretKey = "sk_test_organization_reader_refuses";

const page = (data: unknown[], totalCount = data.length) => JSON.stringify({ data, total_count: totalCount });
const json = (status: number, body: string, headers: Record<string, string> = {}) =>
  ((_req: IncomingMessage, res: ServerResponse) =>
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(body)) satisfies typeof answer;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
beforeEach(() => {
  seen.length = 0;
  answer = json(200, page([]));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const clerk = (apiUrl = origin) => ({ secretKey, apiUrl });
const signal = () => new AbortController().signal;
const organizations = (limit = 10) => listClerkOrganizations(clerk(), { limit, offset: 0 }, signal());
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable("the page was read"),
    (error: unknown) => error as ClerkError,
  );

/** A malformed answer as the backfill sees it: not Clerk's error, worth asking again, and what is wrong. */
const malformed = (message: string) => ({ kind: "unavailable", status: null, retryable: true, message });

describe("the organization reader's request", () => {
  it("says who is asking and what it takes: the key, the API version, User-Agent and Accept", async () => {
    await organizations();
    expect(seen).toHaveLength(1);
    const { headers } = seen[0];
    expect(headers.authorization).toBe(`Bearer ${secretKey}`);
    expect(headers["clerk-api-version"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(headers["user-agent"]).toBe("clerk-sync (sync:all)");
    expect(headers.accept).toBe("application/json");
    expect(seen[0].method).toBe("GET");
  });

  it("finds the lists under CLERK_API_URL with or without a trailing slash, and under a path", async () => {
    for (const [apiUrl, path] of [
      [origin, "/v1/organizations"],
      [`${origin}/`, "/v1/organizations"],
      [`${origin}/clerk`, "/clerk/v1/organizations"],
      [`${origin}/clerk/`, "/clerk/v1/organizations"],
    ]) {
      seen.length = 0;
      await listClerkOrganizations(clerk(apiUrl), { limit: 5, offset: 10 }, signal());
      expect(seen.map((req) => req.url)).toEqual([`${path}?limit=5&offset=10&order_by=%2Bcreated_at`]);
    }
  });

  it("asks about at most 100 organization ids a request, and refuses more before sending anything", async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `org_${i}`);
    await expect(clerkOrganizationsStillPresent(clerk(), ids, signal())).rejects.toThrow(
      /^At most 100 ids a request\.$/,
    );
    expect(seen).toHaveLength(0);
    answer = json(200, page([buildClerkOrganization({ id: "org_7" })], 1));
    await expect(clerkOrganizationsStillPresent(clerk(), ids.slice(0, 100), signal())).resolves.toEqual(["org_7"]);
    expect(seen).toHaveLength(1);
    const query = new URL(seen[0].url!, origin).searchParams;
    expect(query.getAll("organization_id")).toEqual(ids.slice(0, 100));
    expect(query.get("limit")).toBe("100");
  });

  it("closes the request when its signal aborts (a timeout, the end of the run)", async () => {
    let closed = false;
    answer = (req) => req.socket.once("close", () => (closed = true));
    const aborting = new AbortController();
    const reading = listClerkOrganizations(clerk(), { limit: 10, offset: 0 }, aborting.signal);
    await expect.poll(() => seen.length).toBe(1);
    aborting.abort(new Error("the run is over"));
    await expect(reading).rejects.toThrow("the run is over");
    await expect.poll(() => closed).toBe(true);
  });
});

describe("the organization reader refuses what is not a page", () => {
  it("refuses an answer that is not JSON, naming the list and what came instead", async () => {
    answer = (_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>a proxy's page</html>");
    expect(await failure(organizations())).toMatchObject(
      malformed("Clerk answered /v1/organizations with text/html, not JSON."),
    );
    answer = (_req, res) => res.writeHead(200).end(page([]));
    expect(await failure(listClerkMemberships(clerk(), { limit: 10, offset: 0 }, signal()))).toMatchObject(
      malformed("Clerk answered /v1/organization_memberships with no content type, not JSON."),
    );
  });

  it("refuses an answer with no body (a 204) as one with no content type", async () => {
    answer = (_req, res) => res.writeHead(204).end();
    expect(await failure(organizations())).toMatchObject(
      malformed("Clerk answered /v1/organizations with no content type, not JSON."),
    );
  });

  it("takes JSON with a charset", async () => {
    const organization = buildClerkOrganization({ name: "Charset" });
    answer = (_req, res) =>
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(page([organization]));
    expect((await organizations()).items.map((row) => row.name)).toEqual(["Charset"]);
  });

  it(`reads a page of up to ${MAX_PAGE_BYTES / 2 ** 20} MiB, and refuses one a byte over, without reading on`, async () => {
    const body = page([], 0);
    const padded = (bytes: number) => body + " ".repeat(bytes - body.length);
    answer = json(200, padded(MAX_PAGE_BYTES));
    await expect(organizations()).resolves.toEqual({ items: [], totalCount: 0 });
    answer = json(200, padded(MAX_PAGE_BYTES + 1));
    expect(await failure(organizations())).toMatchObject(
      malformed("Clerk's answer to /v1/organizations is over 16 MiB."),
    );
  });

  it("reads a name whose characters are split across the chunks of the answer", async () => {
    const name = "Équipe 日本 ✓ ".repeat(8);
    const body = Buffer.from(page([buildClerkOrganization({ name })]));
    answer = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      // Seven bytes at a time, each in its own turn of the event loop: the reader gets them as separate chunks.
      const rest = async () => {
        for (let at = 0; at < body.length; at += 7) {
          await new Promise((resolve) => res.write(body.subarray(at, at + 7), resolve));
          await new Promise((resolve) => setImmediate(resolve));
        }
        res.end();
      };
      void rest();
    };
    expect((await organizations()).items.map((row) => row.name)).toEqual([name]);
  });

  for (const [what, body] of [
    ["text that is not JSON", "{ not json"],
    ["null", "null"],
    ["a list of organizations without its total", JSON.stringify([buildClerkOrganization()])],
    ["data that is not a list", JSON.stringify({ data: {}, total_count: 0 })],
    ["no data", JSON.stringify({ total_count: 0 })],
    ["a total that is text", JSON.stringify({ data: [], total_count: "0" })],
    ["a total that is not whole", JSON.stringify({ data: [], total_count: 1.5 })],
    ["a total below zero", JSON.stringify({ data: [], total_count: -1 })],
    ["a total past the safe integers", JSON.stringify({ data: [], total_count: 2 ** 53 })],
  ] as const) {
    it(`refuses a 200 holding ${what} as not a page of a list`, async () => {
      answer = json(200, body);
      expect(await failure(organizations())).toMatchObject(
        malformed("Clerk's answer to /v1/organizations is not a page of a list."),
      );
    });
  }

  it("refuses a page longer than asked for, and takes one exactly as long", async () => {
    const three = [buildClerkOrganization(), buildClerkOrganization(), buildClerkOrganization()];
    answer = json(200, page(three, 40));
    expect(await failure(organizations(2))).toMatchObject(malformed("Clerk sent more than the 2 items asked for."));
    expect(await organizations(3)).toMatchObject({ totalCount: 40, items: three.map(({ id }) => ({ clerkId: id })) });
  });

  it("refuses an organization it cannot read, naming the field and never its data, and does not ask again", async () => {
    const { name: _, ...nameless } = buildClerkOrganization({ name: "Secret Name Inc" });
    answer = json(200, page([buildClerkOrganization(), nameless]));
    const error = await failure(organizations());
    expect(error).toBeInstanceOf(ClerkError);
    expect(error).toMatchObject({
      kind: "unavailable",
      status: null,
      retryable: false,
      message:
        "Clerk sent an organization this app cannot read (name: Invalid input: expected string, received undefined).",
    });
    answer = json(200, page([null]));
    expect((await failure(organizations())).message).toBe(
      "Clerk sent an organization this app cannot read (the organization: Invalid input: expected object, received null).",
    );
    answer = json(200, page([{ ...buildClerkOrganization(), id: "" }]));
    expect((await failure(clerkOrganizationsStillPresent(clerk(), ["org_a"], signal()))).message).toMatch(
      /^Clerk sent an organization this app cannot read \(id: .+\)\.$/,
    );
  });

  it("refuses a membership it cannot read, naming the field, in either membership list", async () => {
    const { role: _, ...roleless } = buildClerkOrganizationMembership();
    answer = json(200, page([roleless]));
    const message =
      "Clerk sent a membership this app cannot read (role: Invalid input: expected string, received undefined).";
    expect(await failure(listClerkMemberships(clerk(), { limit: 10, offset: 0 }, signal()))).toMatchObject({
      retryable: false,
      message,
    });
    expect(
      await failure(listMembershipsOfClerkOrganization(clerk(), "org_a", { limit: 10, offset: 0 }, signal())),
    ).toMatchObject({ retryable: false, message });
    // A field inside another is named by its path.
    answer = json(200, page([{ ...buildClerkOrganizationMembership(), public_user_data: { user_id: "" } }]));
    expect((await failure(listClerkMemberships(clerk(), { limit: 10, offset: 0 }, signal()))).message).toMatch(
      /^Clerk sent a membership this app cannot read \(public_user_data\.user_id: [^)]+\)\.$/,
    );
    answer = json(200, page(["a membership"]));
    expect((await failure(listClerkMemberships(clerk(), { limit: 10, offset: 0 }, signal()))).message).toBe(
      "Clerk sent a membership this app cannot read (the membership: Invalid input: expected object, received string).",
    );
  });
});

describe("the organization reader's errors", () => {
  const fieldsOf = ({ kind, status, retryable, retryAfter, message, paramName }: ClerkError) => ({
    kind,
    status,
    retryable,
    retryAfter,
    message,
    paramName,
  });
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

  it("classifies Clerk's error answers as the SDK does: a 429 with its Retry-After, Clerk's words, the parameter", async () => {
    const sdk = createClerkClient(clerk()).organizations;
    for (const [status, body, headers] of [
      [429, clerkBody("too_many_requests"), { "retry-after": "3" }],
      [429, clerkBody("too_many_requests"), {}],
      [422, clerkBody("form_param_value_invalid", "offset"), {}],
      [400, JSON.stringify({ errors: [{ code: "bare" }] }), {}],
      [401, clerkBody("authentication_invalid"), {}],
      [403, clerkBody("organization_not_enabled_in_instance"), {}],
      [404, clerkBody("resource_not_found"), {}],
      [503, "<html>bad gateway</html>", {}],
    ] as const) {
      answer = (_req, res) =>
        res
          .writeHead(status, { "content-type": body.startsWith("{") ? "application/json" : "text/html", ...headers })
          .end(body);
      const fromReader = await failure(organizations());
      const fromSdk = await sdk.getOrganizationList({ limit: 10 }).catch((error: unknown) => error);
      expect(fromReader).toBeInstanceOf(ClerkError);
      expect(fieldsOf(fromReader), `${status} ${body}`).toEqual(fieldsOf(toClerkError(fromSdk)));
      expect(fromReader.status).toBe(status);
    }
  });

  it("says what Clerk said about a request it refused, and which parameter", async () => {
    answer = json(422, clerkBody("form_param_value_invalid", "offset"));
    expect(await failure(organizations())).toMatchObject({
      kind: "unavailable",
      status: 422,
      retryable: false,
      paramName: "offset",
      message: "Clerk answered with an error (HTTP 422). form_param_value_invalid, at length",
    });
  });

  it("reads no more than 64 KiB of an error answer: a longer one is classified by its status alone", async () => {
    const long = JSON.stringify({
      errors: [{ code: "form_param_value_invalid", message: "m", long_message: "x".repeat(64 * 1024) }],
    });
    answer = json(422, long);
    expect(await failure(organizations())).toMatchObject({
      status: 422,
      retryable: false,
      message: "Clerk answered with an error (HTTP 422).",
    });
  });

  it("reads a page over 64 KiB: the error answers' bound is not the pages'", async () => {
    const many = Array.from({ length: 500 }, () => buildClerkOrganization({ name: "n".repeat(200) }));
    answer = json(200, page(many, 500));
    expect(Buffer.byteLength(page(many, 500))).toBeGreaterThan(64 * 1024);
    expect((await listClerkOrganizations(clerk(), { limit: 500, offset: 0 }, signal())).items).toHaveLength(500);
  });
});
