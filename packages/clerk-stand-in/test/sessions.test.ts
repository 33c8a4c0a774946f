import { verifyToken } from "@clerk/backend";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInstanceKeys } from "../src/keys.js";
import { startClerkStandIn, type ClerkStandIn } from "../src/server.js";
import { SessionManager } from "../src/frontend-api/sessions.js";
import { UserStore } from "../src/store/store.js";

const APP_ORIGIN = "http://localhost:3000";

function decode(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = jwt
    .split(".")
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")));
  return { header, payload };
}

function setUp(now?: () => number) {
  const store = new UserStore();
  const keys = createInstanceKeys({ frontendHost: "127.0.0.1:4010", live: true });
  const sessions = new SessionManager({ keys, users: store, issuer: "https://127.0.0.1:4010", now });
  const user = store.create({ email_address: ["ada@example.test"], password: "correct horse", first_name: "Ada" });
  const client = sessions.ensureClient(null);
  return { store, keys, sessions, user, client };
}

describe("session tokens", () => {
  it("carry Clerk's claims and header, and verify with @clerk/backend through the PEM jwtKey", async () => {
    const { keys, sessions, user, client } = setUp();
    const session = sessions.createSession(client, user.id, APP_ORIGIN);
    const jwt = await sessions.mintSessionToken(session);

    const { header, payload } = decode(jwt);
    expect(header).toMatchObject({ alg: "RS256", kid: keys.kid });
    expect(payload).toMatchObject({ sub: user.id, sid: session.id, azp: APP_ORIGIN, iss: "https://127.0.0.1:4010" });
    const iat = payload.iat as number;
    expect(payload.exp).toBe(iat + 60);
    expect(payload.nbf as number).toBeLessThanOrEqual(iat);
    expect(Math.abs(iat - Date.now() / 1000)).toBeLessThan(5);

    // The root export resolves to the claims and throws a TokenVerificationError otherwise.
    const claims = await verifyToken(jwt, { jwtKey: keys.publicKeyPem, authorizedParties: [APP_ORIGIN] });
    expect(claims).toMatchObject({ sub: user.id, sid: session.id });
  });

  it("is rejected once expired", async () => {
    // Minted ten minutes ago: long past its 60-second lifetime.
    const tenMinutesAgo = () => Date.now() - 10 * 60_000;
    const { keys, sessions, user, client } = setUp(tenMinutesAgo);
    const jwt = await sessions.mintSessionToken(sessions.createSession(client, user.id, APP_ORIGIN));

    await expect(verifyToken(jwt, { jwtKey: keys.publicKeyPem })).rejects.toMatchObject({ reason: "token-expired" });
  });

  it("is rejected for another authorised party", async () => {
    const { keys, sessions, user, client } = setUp();
    const jwt = await sessions.mintSessionToken(sessions.createSession(client, user.id, "http://localhost:9999"));
    await expect(
      verifyToken(jwt, { jwtKey: keys.publicKeyPem, authorizedParties: [APP_ORIGIN] }),
    ).rejects.toMatchObject({
      reason: "token-invalid-authorized-parties",
    });
  });
});

describe("sessions", () => {
  it("sign-out ends every session of the client and resets __client_uat to 0", async () => {
    const { sessions, user, client } = setUp();
    const session = sessions.createSession(client, user.id);
    expect(client.uatSeconds).toBeGreaterThan(0);
    expect(client.lastActiveSessionId).toBe(session.id);

    sessions.endAllSessions(client);

    expect(client.uatSeconds).toBe(0);
    expect(client.lastActiveSessionId).toBeNull();
    expect(sessions.activeSessions(client)).toEqual([]);
    await expect(sessions.mintSessionToken(session)).rejects.toMatchObject({ status: 401 });
  });

  it("a new sign-in on the same client replaces the previous session (single-session mode)", () => {
    const { store, sessions, user, client } = setUp();
    const other = store.create({ email_address: ["bob@example.test"], password: "correct horse" });
    const first = sessions.createSession(client, user.id);
    const second = sessions.createSession(client, other.id);
    expect(sessions.activeSessions(client).map((s) => s.id)).toEqual([second.id]);
    expect(sessions.getSession(first.id)?.status).toBe("ended");
  });

  it("deleting the user in the store revokes their sessions", async () => {
    const { store, sessions, user, client } = setUp();
    const session = sessions.createSession(client, user.id);

    store.delete(user.id);

    expect(sessions.getSession(session.id)?.status).toBe("revoked");
    expect(client.uatSeconds).toBe(0);
    await expect(sessions.mintSessionToken(session)).rejects.toMatchObject({ status: 401 });
  });

  it("clients are told apart: a session cannot be touched from another client", () => {
    const { sessions, user, client } = setUp();
    const session = sessions.createSession(client, user.id);
    const otherBrowser = sessions.ensureClient(null);
    expect(otherBrowser.id).not.toBe(client.id);
    expect(() => sessions.touchSession(otherBrowser, session.id)).toThrow(/No session/);
  });
});

describe("session tokens through the running stand-in", () => {
  let standIn: ClerkStandIn;

  beforeAll(async () => {
    standIn = await startClerkStandIn({
      publishableKeyKind: "live",
      frontendHost: (url) => new URL(url).host,
    });
  });
  afterAll(() => standIn.close());

  it("verify through the JWKS at GET /v1/jwks (secretKey + apiUrl, no jwtKey)", async () => {
    standIn.store.create({ email_address: ["jwks@example.test"], password: "correct horse" });
    const res = await fetch(`${standIn.env().CLERK_PROXY_URL}/_testing/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${standIn.controlToken}` },
      body: JSON.stringify({ identifier: "jwks@example.test", origin: APP_ORIGIN }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      cookies: Array<{ name: string; value: string }>;
      user_id: string;
      session_id: string;
    };
    const jwt = body.cookies.find((c) => c.name === "__session")!.value;

    const claims = await verifyToken(jwt, {
      secretKey: standIn.keys.secretKey,
      apiUrl: standIn.url,
      skipJwksCache: true,
      authorizedParties: [APP_ORIGIN],
    });
    expect(claims).toMatchObject({ sub: body.user_id, sid: body.session_id, iss: `https://127.0.0.1:${standIn.port}` });
  });
});
