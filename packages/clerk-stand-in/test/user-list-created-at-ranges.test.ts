import { createClerkClient } from "@clerk/backend";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "../src/index.js";
import { bapiSpec } from "./support/openapi-schemas.js";

// 30 users one second apart, three created in the same millisecond (ties are ordered by creation, as Clerk's are).
const BASE = Date.UTC(2025, 0, 1);
let standIn: ClerkStandIn;
let ids: string[];
let createdAt: Map<string, number>;

beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
  const users = Array.from({ length: 30 }, (_, i) => ({
    email_address: [`range${i}@example.com`],
    created_at: BASE + Math.min(i, 27) * 1000,
  }));
  ids = standIn.store.seed(users).map((user) => user.id);
  createdAt = new Map(ids.map((id) => [id, standIn.store.get(id)!.created_at]));
});
afterAll(() => standIn.close());

async function listUsers(query: string) {
  const response = await fetch(`${standIn.url}/v1/users?${query}`, {
    headers: { authorization: `Bearer ${standIn.keys.secretKey}` },
  });
  const body = (await response.json()) as any;
  bapiSpec().assertResponse("GET", "/users", response.status, body);
  return { status: response.status, body };
}

describe("GET /v1/users created_at_after / created_at_before (ms epoch, both exclusive, as Clerk documents)", () => {
  test("bound a created_at ordering from both sides, and the count agrees", async () => {
    const after = BASE + 4_000; // excludes user 4
    const before = BASE + 10_000; // excludes user 10
    const { body } = await listUsers(
      `order_by=%2Bcreated_at&limit=500&created_at_after=${after}&created_at_before=${before}`,
    );
    expect(body.map((user: { id: string }) => user.id)).toEqual(ids.slice(5, 10));
    const descending = await listUsers(
      `order_by=-created_at&limit=500&created_at_after=${after}&created_at_before=${before}`,
    );
    expect(descending.body.map((user: { id: string }) => user.id)).toEqual(ids.slice(5, 10).reverse());
    expect(standIn.store.count({ created_at_after: after, created_at_before: before })).toBe(5);
  });

  test("combine with a starting_after cursor: the walk of a range visits each of its users once, ties included", async () => {
    const after = BASE + 20_000 - 1; // from user 20 on, including the three created at BASE + 27 s
    const walked: string[] = [];
    let cursor = "";
    for (;;) {
      const page = await listUsers(
        `order_by=%2Bcreated_at&limit=2&created_at_after=${after}${cursor && `&starting_after=${cursor}`}`,
      );
      walked.push(...page.body.map((user: { id: string }) => user.id));
      if (page.body.length < 2) break;
      cursor = page.body.at(-1).id;
    }
    expect(walked).toEqual(ids.slice(20));
    expect(walked.every((id) => createdAt.get(id)! > after)).toBe(true);
  });

  test("a cursor outside the range only marks a place: the page starts at the range's first user after it", async () => {
    const { body } = await listUsers(
      `order_by=%2Bcreated_at&limit=3&created_at_after=${BASE + 14_999}&starting_after=${ids[2]}`,
    );
    expect(body.map((user: { id: string }) => user.id)).toEqual(ids.slice(15, 18));
  });

  test("reject a value that is not an integer with Clerk's 422 form_param_format_invalid", async () => {
    const { status, body } = await listUsers("created_at_after=yesterday");
    expect(status).toBe(422);
    expect(body.errors[0]).toMatchObject({
      code: "form_param_format_invalid",
      meta: { param_name: "created_at_after" },
    });
  });

  test("reach the stand-in through the real @clerk/backend client, which passes them through snake-cased", async () => {
    const clerk = createClerkClient({ secretKey: standIn.keys.secretKey, apiUrl: standIn.url });
    // @clerk/backend 2.33 does not type createdAtAfter/Before on getUserList, but sends any param it is given.
    const params = {
      orderBy: "+created_at",
      limit: 500,
      createdAtAfter: BASE + 24_999,
      createdAtBefore: BASE + 27_000,
    } as Parameters<typeof clerk.users.getUserList>[0];
    const page = await clerk.users.getUserList(params);
    expect(page.data.map((user) => user.id)).toEqual(ids.slice(25, 27));
    expect(page.totalCount).toBe(2);
  });
});
