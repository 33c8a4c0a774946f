import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildClerkUser } from "@clerk-sync/clerk-stand-in/testing";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "~/backfill/retry.server";
import { ClerkUserListStream } from "~/backfill/user-list-stream.server";
import { clerkIdsStillPresent, CURSOR_GONE, listClerkUsers } from "~/backfill/user-pages.server";

/**
 * The page functions over the backfill's reader (app/backfill/user-pages.server.ts): only Clerk's 422 for the
 * `starting_after` it was given means "that user is gone, go on from its instant"; every other failure is
 * retried or stops the run. A user the app cannot read stops it with one line naming the field, never the data.
 */

type Answer = { status: number; body: unknown };
let answers: Answer[] = [];
let requests: string[] = [];
let server: Server;
let reader: ClerkUserListStream;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    const { status, body } = answers.shift() ?? { status: 200, body: [] };
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  reader = new ClerkUserListStream({
    secretKey: "sk_test_page_reader_key_000000",
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  });
});
afterAll(async () => {
  reader?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});
beforeEach(() => {
  answers = [];
  requests = [];
});

const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, backoffMs: () => 1 };
const clerkError = (status: number, paramName: string) => ({
  status,
  body: { errors: [{ code: "form_param_value_invalid", message: "is invalid", meta: { param_name: paramName } }] },
});
const user = buildClerkUser({ first_name: "Paged" });

describe("a page after a cursor", () => {
  it("is CURSOR_GONE only when Clerk answers 422 for starting_after, and the query carried one", async () => {
    answers = [clerkError(422, "starting_after")];
    expect(await listClerkUsers(reader, { limit: 10, startingAfter: "user_gone" }, { policy })).toBe(CURSOR_GONE);

    answers = [clerkError(422, "starting_after")];
    await expect(listClerkUsers(reader, { limit: 10 }, { policy })).rejects.toThrow("HTTP 422");
  });

  it("stops on a 422 for another parameter, or a 400 for the cursor, rather than skip ahead", async () => {
    for (const answer of [clerkError(422, "created_at_after"), clerkError(400, "starting_after")]) {
      answers = [answer];
      const failure = listClerkUsers(reader, { limit: 10, startingAfter: "user_here" }, { policy });
      await expect(failure).rejects.toThrow(`HTTP ${answer.status}`);
      expect(requests).toHaveLength(1);
      requests = [];
    }
  });

  it("asks again after a 500, from the same cursor, and returns the page", async () => {
    answers = [clerkError(500, "starting_after"), { status: 200, body: [user] }];
    const page = await listClerkUsers(reader, { limit: 10, startingAfter: "user_here" }, { policy });
    expect(page).not.toBe(CURSOR_GONE);
    expect((page as { clerkId: string }[]).map((row) => row.clerkId)).toEqual([user.id]);
    expect(requests).toHaveLength(2);
    expect(requests[1]).toBe(requests[0]);
    expect(new URL(requests[0], "http://x").searchParams.get("starting_after")).toBe("user_here");
  });
});

describe("a user the app cannot read", () => {
  it("stops the run at once with one line naming the field by its whole path, never its data; never retried", async () => {
    const [email] = user.email_addresses;
    for (const [listed, where] of [
      [{ ...user, created_at: "yesterday" }, "(created_at: "],
      [{ ...user, email_addresses: [email, { ...email, email_address: 42 }] }, "(email_addresses.1.email_address: "],
    ] as const) {
      answers = [{ status: 200, body: [listed] }];
      const failure = listClerkUsers(reader, { limit: 10 }, { policy }).catch((error: unknown) => error);
      const error = (await failure) as { message: string; retryable: boolean };
      expect(error.message).toContain(`Clerk sent a user this app cannot read ${where}`);
      expect(error.message).not.toContain("yesterday");
      expect(error.message).not.toContain(email.email_address);
      expect(error.retryable).toBe(false);
      expect(requests).toHaveLength(1);
      requests = [];
    }
  });
});

describe("the prune's check by id", () => {
  it("stops when a listed user has no id, an empty one or one that is not a string, rather than count it present", async () => {
    // (The page reader hands out objects only: `null` in a page is a malformed page, retried.)
    for (const listed of [{}, { id: "" }, { id: 42 }]) {
      answers = [{ status: 200, body: [{ id: "user_a" }, listed] }];
      const failure = clerkIdsStillPresent(reader, ["user_a", "user_b"], { policy }).catch((error: unknown) => error);
      const error = (await failure) as { message: string; retryable: boolean };
      expect(error.message).toBe("Clerk sent a user this app cannot read.");
      expect(error.retryable).toBe(false);
    }
    answers = [{ status: 200, body: [{ id: "user_a" }] }];
    expect(await clerkIdsStillPresent(reader, ["user_a", "user_b"], { policy })).toEqual(new Set(["user_a"]));
  });
});
