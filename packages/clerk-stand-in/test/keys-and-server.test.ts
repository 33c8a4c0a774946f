import { createPublicKey, verify } from "node:crypto";
import { describe, expect, test } from "vitest";
import { createInstanceKeys, publishableKeyFor, startClerkStandIn } from "../src/index.js";

describe("instance keys", () => {
  test("publishable keys encode the frontend host the way Clerk's SDKs decode it", () => {
    const key = publishableKeyFor("localhost:4010/fapi");
    expect(key).toMatch(/^pk_test_/);
    expect(Buffer.from(key.slice("pk_test_".length), "base64").toString()).toBe("localhost:4010/fapi$");
    expect(publishableKeyFor("clerk.example.com", true)).toMatch(/^pk_live_/);
  });

  test("signJwt makes RS256 tokens with the kid that the JWKS and the PEM verify", () => {
    const keys = createInstanceKeys();
    const token = keys.signJwt({ sub: "user_1" }, { cty: "x" });
    const [header, payload, signature] = token.split(".");
    expect(JSON.parse(Buffer.from(header, "base64url").toString())).toEqual({
      alg: "RS256",
      typ: "JWT",
      kid: keys.kid,
      cty: "x",
    });
    expect(JSON.parse(Buffer.from(payload, "base64url").toString())).toEqual({ sub: "user_1" });
    const [jwk] = keys.jwks().keys;
    expect(jwk).toMatchObject({ kid: keys.kid, alg: "RS256", use: "sig", kty: "RSA", e: "AQAB" });
    for (const publicKey of [
      createPublicKey({ key: { ...jwk }, format: "jwk" } as Parameters<typeof createPublicKey>[0]),
      createPublicKey(keys.publicKeyPem),
    ]) {
      expect(
        verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, "base64url")),
      ).toBe(true);
    }
    expect(keys.secretKey).toMatch(/^sk_test_[0-9A-Za-z]{40}$/);
  });
});

describe("stand-in server", () => {
  test("env() names what the app reads, and unknown paths answer Clerk's 404", async () => {
    const standIn = await startClerkStandIn({ port: 0, webhookSecret: "whsec_dGVzdCBzZWNyZXQgZm9yIHN0YW5kLWlu" });
    try {
      expect(standIn.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(standIn.env()).toMatchObject({
        CLERK_API_URL: standIn.url,
        CLERK_SECRET_KEY: standIn.keys.secretKey,
        CLERK_PUBLISHABLE_KEY: standIn.keys.publishableKey,
        CLERK_JWT_KEY: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----\S+-----END PUBLIC KEY-----$/),
        CLERK_WEBHOOK_SIGNING_SECRET: "whsec_dGVzdCBzZWNyZXQgZm9yIHN0YW5kLWlu",
      });
      for (const path of ["/nowhere", "/_control/nowhere"]) {
        const response = await fetch(`${standIn.url}${path}`, {
          headers: { authorization: `Bearer ${standIn.controlToken}` },
        });
        expect(response.status).toBe(404);
        expect(((await response.json()) as any).errors[0].code).toBe("resource_not_found");
      }
    } finally {
      await standIn.close();
    }
  });
});
