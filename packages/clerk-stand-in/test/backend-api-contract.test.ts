import { createClerkClient, verifyToken } from "@clerk/backend";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startClerkStandIn, type ClerkStandIn } from "../src/index.js";
import { bapiSpec } from "./support/openapi-schemas.js";

let standIn: ClerkStandIn;
let clerk: ReturnType<typeof createClerkClient>;

beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
  clerk = createClerkClient({ secretKey: standIn.keys.secretKey, apiUrl: standIn.url });
});
afterAll(() => standIn.close());
beforeEach(() => {
  standIn.store.reset();
  standIn.faults.clear();
});

/** Raw call to the stand-in, with the answer checked against the documented response of `operation`. */
async function bapi(
  method: string,
  path: string,
  operation: string,
  body?: unknown,
  secretKey = standIn.keys.secretKey,
) {
  const response = await fetch(`${standIn.url}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${secretKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.headers.get("content-type")).toBe("application/json");
  const json = (await response.json()) as any;
  bapiSpec().assertResponse(method, operation, response.status, json);
  return { status: response.status, json, headers: response.headers };
}

async function expectClerkError(promise: Promise<unknown>) {
  const error = (await promise.then(
    () => expect.unreachable("expected the call to fail"),
    (e: unknown) => e,
  )) as any;
  expect(error.constructor.name).toBe("ClerkAPIResponseError");
  return error as {
    status: number;
    retryAfter?: number;
    errors: Array<{ code: string; meta?: { paramName?: string } }>;
  };
}

describe("the real @clerk/backend client against the stand-in", () => {
  test("createUser, getUser, updateUser and deleteUser round-trip a user", async () => {
    const created = await clerk.users.createUser({
      emailAddress: ["ada@example.com"],
      firstName: "Ada",
      lastName: "Lovelace",
      username: "ada_l",
      password: "correct horse battery",
      publicMetadata: { plan: "pro" },
    });
    expect(created.id).toMatch(/^user_[0-9A-Za-z]{27}$/);
    expect(created.primaryEmailAddress?.emailAddress).toBe("ada@example.com");
    expect(created.passwordEnabled).toBe(true);
    expect(created.imageUrl).toMatch(/^data:image\/svg\+xml;base64,/);

    const fetched = await clerk.users.getUser(created.id);
    expect(fetched.fullName).toBe("Ada Lovelace");
    expect(fetched.publicMetadata).toEqual({ plan: "pro" });

    const updated = await clerk.users.updateUser(created.id, { lastName: "King", username: "countess" });
    expect(updated.lastName).toBe("King");
    expect(updated.username).toBe("countess");
    expect(updated.updatedAt).toBeGreaterThan(created.updatedAt);

    const merged = await clerk.users.updateUserMetadata(created.id, {
      publicMetadata: { theme: "dark", plan: null } as any,
    });
    expect(merged.publicMetadata).toEqual({ theme: "dark" });

    const deleted = await clerk.users.deleteUser(created.id);
    expect(deleted).toMatchObject({ id: created.id, deleted: true });
    expect(standIn.store.get(created.id)).toBeUndefined();
  });

  test("getUserList pages with limit, offset and orderBy, and getCount counts", async () => {
    const base = Date.now() - 100_000;
    standIn.store.seed(
      Array.from({ length: 25 }, (_, i) => ({
        email_address: [`user${i}@example.com`],
        first_name: `User${String(i).padStart(2, "0")}`,
        created_at: base + i * 1000,
      })),
    );
    const firstPage = await clerk.users.getUserList({ limit: 10 });
    expect(firstPage.totalCount).toBe(25);
    expect(firstPage.data.map((u) => u.firstName)).toEqual(Array.from({ length: 10 }, (_, i) => `User${24 - i}`));

    const ascending = await clerk.users.getUserList({ limit: 10, offset: 20, orderBy: "created_at" });
    expect(ascending.data.map((u) => u.firstName)).toEqual(["User20", "User21", "User22", "User23", "User24"]);

    const filtered = await clerk.users.getUserList({ emailAddress: ["user3@example.com", "user7@example.com"] });
    expect(filtered.totalCount).toBe(2);
    expect(filtered.data.map((u) => u.firstName)).toEqual(["User07", "User03"]);

    expect(await clerk.users.getCount()).toBe(25);
    expect(await clerk.users.getCount({ query: "user1" })).toBe(11);
  });

  test("a missing user surfaces as ClerkAPIResponseError 404 resource_not_found", async () => {
    const error = await expectClerkError(clerk.users.getUser("user_doesnotexist000000000000000"));
    expect(error.status).toBe(404);
    expect(error.errors[0].code).toBe("resource_not_found");
  });

  test("a 429 carries retryAfter from the Retry-After header", async () => {
    standIn.faults.setApiFault("429", 1, 7);
    const error = await expectClerkError(clerk.users.getUserList());
    expect(error.status).toBe(429);
    expect(error.retryAfter).toBe(7);
    expect(error.errors[0].code).toBe("too_many_requests");
  });

  test("a taken email is rejected with form_identifier_exists", async () => {
    await clerk.users.createUser({ emailAddress: ["taken@example.com"] });
    const error = await expectClerkError(clerk.users.createUser({ emailAddress: ["TAKEN@example.com"] }));
    expect(error.status).toBe(422);
    expect(error.errors[0]).toMatchObject({ code: "form_identifier_exists", meta: { paramName: "email_address" } });
  });

  test("a wrong secret key is rejected with 401 authentication_invalid", async () => {
    const stranger = createClerkClient({ secretKey: "sk_test_wrong", apiUrl: standIn.url });
    const error = await expectClerkError(stranger.users.getCount());
    expect(error.status).toBe(401);
    expect(error.errors[0].code).toBe("authentication_invalid");
  });

  test("verifyToken accepts an instance-signed session token through JWKS and through CLERK_JWT_KEY", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = standIn.keys.signJwt({ sub: "user_x", sid: "sess_x", iat: now, nbf: now, exp: now + 60 });
    const viaJwks = await verifyToken(token, { secretKey: standIn.keys.secretKey, apiUrl: standIn.url });
    expect(viaJwks.sub).toBe("user_x");
    const viaPem = await verifyToken(token, { jwtKey: standIn.env().CLERK_JWT_KEY });
    expect(viaPem.sid).toBe("sess_x");
  });
});

describe("raw Backend API answers match Clerk's OpenAPI document", () => {
  test("users: create, get, list, count, update, metadata, delete", async () => {
    const created = await bapi("POST", "/users", "/users", {
      email_address: ["grace@example.com"],
      first_name: "Grace",
      password: "compiler-1952",
      created_at: "2024-01-02T03:04:05.000Z",
    });
    expect(created.status).toBe(200);
    expect(created.json.created_at).toBe(Date.parse("2024-01-02T03:04:05.000Z"));
    const id = created.json.id as string;

    expect((await bapi("GET", `/users/${id}`, "/users/{user_id}")).status).toBe(200);
    const list = await bapi("GET", "/users?limit=5&order_by=-updated_at&email_address=grace@example.com", "/users");
    expect(list.json).toHaveLength(1);
    const count = await bapi("GET", "/users/count?email_address[]=grace@example.com", "/users/count");
    expect(count.json).toEqual({ object: "total_count", total_count: 1 });
    const patched = await bapi("PATCH", `/users/${id}`, "/users/{user_id}", {
      first_name: "Rear Admiral",
      username: null,
    });
    expect(patched.json.first_name).toBe("Rear Admiral");
    const primary = patched.json.email_addresses[0].id;
    const repointed = await bapi("PATCH", `/users/${id}`, "/users/{user_id}", { primary_email_address_id: primary });
    expect(repointed.json.primary_email_address_id).toBe(primary);
    const metadata = await bapi("PATCH", `/users/${id}/metadata`, "/users/{user_id}/metadata", {
      private_metadata: { a: { b: 1 } },
    });
    expect(metadata.json.private_metadata).toEqual({ a: { b: 1 } });
    const deleted = await bapi("DELETE", `/users/${id}`, "/users/{user_id}");
    expect(deleted.json).toEqual({ object: "user", id, deleted: true });
  });

  test("errors: 401, 404, 422 and 429 use Clerk's error body", async () => {
    const unauthenticated = await bapi("GET", "/users", "/users", undefined, "");
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.json.errors[0].code).toBe("authentication_invalid");

    const missing = await bapi("GET", "/users/user_missing", "/users/{user_id}");
    expect(missing.status).toBe(404);
    expect(missing.json.errors[0]).toMatchObject({ code: "resource_not_found", message: "not found" });
    expect(missing.json.clerk_trace_id).toEqual(expect.any(String));

    const badLimit = await bapi("GET", "/users?limit=501", "/users");
    expect(badLimit.status).toBe(422);
    expect(badLimit.json.errors[0]).toMatchObject({ code: "form_param_value_invalid", meta: { param_name: "limit" } });

    const badEmail = await bapi("POST", "/users", "/users", { email_address: ["not-an-email"] });
    expect(badEmail.json.errors[0]).toMatchObject({
      code: "form_param_format_invalid",
      meta: { param_name: "email_address" },
    });

    const unknownParam = await bapi("POST", "/users", "/users", { favourite_colour: "blue" });
    expect(unknownParam.json.errors[0]).toMatchObject({
      code: "form_param_unknown",
      meta: { param_name: "favourite_colour" },
    });

    const { json: user } = await bapi("POST", "/users", "/users", { email_address: ["short@example.com"] });
    const shortPassword = await bapi("PATCH", `/users/${user.id}`, "/users/{user_id}", { password: "short" });
    expect(shortPassword.json.errors[0]).toMatchObject({
      code: "form_password_length_too_short",
      meta: { param_name: "password" },
    });

    standIn.faults.setApiFault("429", 1, 2);
    const limited = await bapi("GET", "/users", "/users");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
  });

  test("GET /v1/jwks serves the instance key as an RS256 JWK", async () => {
    const jwks = await bapi("GET", "/jwks", "/jwks");
    expect(jwks.json.keys).toEqual([
      expect.objectContaining({ kid: standIn.keys.kid, alg: "RS256", use: "sig", kty: "RSA" }),
    ]);
  });
});
