import { createClerkClient } from "@clerk/backend";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { generateUsers, startClerkStandIn, type ClerkStandIn } from "../src/index.js";
import { bapiSpec } from "./support/openapi-schemas.js";

const TOTAL = 1_200;
let standIn: ClerkStandIn;
let seededIds: string[];

beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
  seededIds = standIn.store.seed(generateUsers({ count: TOTAL, emailPrefix: "page" })).map((user) => user.id);
});
afterAll(() => standIn.close());

async function listUsers(query: string) {
  const response = await fetch(`${standIn.url}/v1/users?${query}`, {
    headers: { authorization: `Bearer ${standIn.keys.secretKey}` },
  });
  const body = (await response.json()) as Array<{ id: string; created_at: number; updated_at: number }>;
  bapiSpec().assertResponse("GET", "/users", response.status, body);
  return body;
}

describe("listing 1,200 users 500 at a time", () => {
  test("offset pages return every user exactly once, newest first by default", async () => {
    const pages = [
      await listUsers("limit=500&offset=0"),
      await listUsers("limit=500&offset=500"),
      await listUsers("limit=500&offset=1000"),
    ];
    expect(pages.map((page) => page.length)).toEqual([500, 500, 200]);
    const ids = pages.flat().map((user) => user.id);
    expect(new Set(ids).size).toBe(TOTAL);
    expect(ids).toEqual([...seededIds].reverse());
    expect(await listUsers("limit=500&offset=1200")).toEqual([]);
  });

  test("the real client walks the same pages with orderBy created_at and reports the total", async () => {
    const clerk = createClerkClient({ secretKey: standIn.keys.secretKey, apiUrl: standIn.url });
    const seen: string[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await clerk.users.getUserList({ limit: 500, offset, orderBy: "+created_at" });
      expect(page.totalCount).toBe(TOTAL);
      seen.push(...page.data.map((user) => user.id));
      if (page.data.length < 500) break;
    }
    expect(seen).toEqual(seededIds);
  });

  test("starting_after cursors walk both created_at directions without gaps", async () => {
    const walk = async (orderBy: string) => {
      const ids: string[] = [];
      let cursor = "";
      for (;;) {
        const page = await listUsers(`limit=500&order_by=${orderBy}${cursor && `&starting_after=${cursor}`}`);
        ids.push(...page.map((user) => user.id));
        if (page.length < 500) return ids;
        cursor = page[page.length - 1].id;
      }
    };
    expect(await walk("created_at")).toEqual(seededIds);
    expect(await walk("-created_at")).toEqual([...seededIds].reverse());
  });

  test("updated_at ordering sorts by the last change", async () => {
    const body = await listUsers("limit=500&order_by=-updated_at");
    const stamps = body.map((user) => user.updated_at);
    expect(stamps).toEqual([...stamps].sort((a, b) => b - a));
  });

  test("cursor misuse is rejected as Clerk documents: non-created_at order or with an offset", async () => {
    const response = await fetch(`${standIn.url}/v1/users?order_by=updated_at&starting_after=${seededIds[0]}`, {
      headers: { authorization: `Bearer ${standIn.keys.secretKey}` },
    });
    expect(response.status).toBe(422);
    const withOffset = await fetch(`${standIn.url}/v1/users?offset=5&starting_after=${seededIds[0]}`, {
      headers: { authorization: `Bearer ${standIn.keys.secretKey}` },
    });
    expect(withOffset.status).toBe(422);
  });

  test("filters narrow the list and the count alike: user_id with +/-, query, email_address", async () => {
    const [first, second, third] = seededIds;
    const byId = await listUsers(`user_id=${first}&user_id=${second}&user_id=-${second}`);
    expect(byId.map((user) => user.id)).toEqual([first]);
    const byEmail = await listUsers(
      `email_address=${encodeURIComponent(standIn.store.get(third)!.email_addresses[0].email_address)}`,
    );
    expect(byEmail.map((user) => user.id)).toEqual([third]);
    expect(standIn.store.count({ query: "lovelace" })).toBe(
      standIn.store.list({ query: "lovelace", limit: 500 }).length,
    );
  });
});
