import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  buildClerkOrganization,
  buildClerkOrganizationMembership,
  buildClerkUser,
  clerkPublicUserData,
} from "@clerk-sync/clerk-stand-in/testing";

/**
 * A small fake of a real Clerk instance for the "your own keys" path: a Backend API with the users list
 * (`order_by=+created_at`, `limit`, `starting_after`, `created_at_after/before`) and count that sync:all reads,
 * and its offset-paged organizations and memberships lists (one organization that every user belongs to),
 * under a host name that is not loopback (`api.fake-clerk.test`, resolved to 127.0.0.1 only inside the
 * test's processes by resolve-test-hosts.js), with keys and a signing secret of its own. The app reaches it
 * through Clerk's own settings, as it would reach Clerk.
 */

export const FAKE_CLERK_HOST = "fake-clerk.test";

export interface FakeClerk {
  port: number;
  /** What a user pastes from Clerk's dashboard into `.env`. */
  env: Record<string, string>;
  users: ReturnType<typeof buildClerkUser>[];
  organization: ReturnType<typeof buildClerkOrganization>;
  memberships: ReturnType<typeof buildClerkOrganizationMembership>[];
  /** Backend API requests seen, as `METHOD /path?query`. */
  requests: string[];
  close(): Promise<void>;
}

/** `organizations: false`: an instance with organizations turned off, which Clerk answers 403 for their lists. */
export async function startFakeClerk(userCount = 3, options: { organizations?: boolean } = {}): Promise<FakeClerk> {
  const start = Date.UTC(2025, 0, 1);
  const users = Array.from({ length: userCount }, (_, i) =>
    buildClerkUser({ first_name: `Fake${i}`, created_at: start + i * 60_000, updated_at: start + i * 60_000 }),
  );
  const organization = buildClerkOrganization({ name: "Fake Org", created_at: start, updated_at: start });
  const memberships = users.map((user) =>
    buildClerkOrganizationMembership({
      organization,
      public_user_data: clerkPublicUserData(user),
      created_at: user.created_at,
      updated_at: user.created_at,
    }),
  );
  const offsetPage = (items: unknown[], url: URL) => {
    const offset = Number(url.searchParams.get("offset") ?? 0);
    return {
      data: items.slice(offset, offset + Number(url.searchParams.get("limit") ?? 10)),
      total_count: items.length,
    };
  };
  const secretKey = `sk_live_${randomBytes(24).toString("hex")}`;
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.headers.authorization !== `Bearer ${secretKey}`) {
      return send(401, { errors: [{ code: "authentication_invalid", message: "Unauthorized", long_message: "" }] });
    }
    const after = Number(url.searchParams.get("created_at_after") ?? -Infinity);
    const before = Number(url.searchParams.get("created_at_before") ?? Infinity);
    const inRange = users.filter((user) => user.created_at > after && user.created_at < before);
    if (url.pathname === "/v1/users/count") return send(200, { object: "total_count", total_count: inRange.length });
    if (url.pathname === "/v1/users") {
      const cursor = url.searchParams.get("starting_after");
      const from = cursor ? inRange.findIndex((user) => user.id === cursor) + 1 : 0;
      return send(200, inRange.slice(from, from + Number(url.searchParams.get("limit") ?? 10)));
    }
    if (options.organizations === false && /^\/v1\/organization(s|_memberships)$/.test(url.pathname)) {
      return send(403, {
        errors: [
          {
            code: "organization_not_enabled_in_instance",
            message: "access denied",
            long_message: "The organizations feature is not enabled for this instance.",
          },
        ],
      });
    }
    if (url.pathname === "/v1/organizations") return send(200, offsetPage([organization], url));
    if (url.pathname === "/v1/organization_memberships") return send(200, offsetPage(memberships, url));
    send(404, { errors: [{ code: "resource_not_found", message: "not found", long_message: "" }] });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    port,
    users,
    organization,
    memberships,
    requests,
    env: {
      CLERK_PUBLISHABLE_KEY: `pk_live_${Buffer.from(`clerk.${FAKE_CLERK_HOST}$`).toString("base64")}`,
      CLERK_SECRET_KEY: secretKey,
      CLERK_API_URL: `http://api.${FAKE_CLERK_HOST}:${port}`,
      CLERK_JWT_KEY: publicKey.export({ type: "spki", format: "pem" }).toString(),
      CLERK_WEBHOOK_SIGNING_SECRET: `whsec_${randomBytes(24).toString("base64")}`,
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
