import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createClerkClient, type ClerkClient } from "@clerk/backend";
import { readClerkConfig, type ClerkConfig } from "~/env.server";
import { clerkUserSchema, clerkUserToRow, type ClerkUserFields } from "./clerk-user";
import {
  clerkMembershipSchema,
  clerkMembershipToRow,
  clerkOrganizationSchema,
  clerkOrganizationToRow,
  type ClerkMembershipFields,
  type ClerkOrganizationFields,
} from "./clerk-organization";
import { clerkAnswerMalformed, clerkTimeout, toClerkError } from "./clerk-errors.server";

/**
 * The app's only door to Clerk's Backend API. It is the real SDK pointed at
 * `CLERK_API_URL`: Clerk in production, the offline stand-in in development and
 * tests. Every failure comes back as a `ClerkError` (clerk-errors.server.ts).
 */

let cachedClient: { key: string; client: ClerkClient } | undefined;

export function getClerkClient(config: Pick<ClerkConfig, "apiUrl" | "secretKey"> = readClerkConfig()): ClerkClient {
  const key = `${config.apiUrl}|${config.secretKey}`;
  if (cachedClient?.key !== key) {
    cachedClient = { key, client: createClerkClient({ secretKey: config.secretKey, apiUrl: config.apiUrl }) };
  }
  return cachedClient.client;
}

/** Rejects with a `timeout` ClerkError when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(clerkTimeout(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One user from Clerk, as the columns we store. Throws `ClerkError`. */
export async function fetchClerkUser(
  userId: string,
  config: ClerkConfig = readClerkConfig(),
): Promise<ClerkUserFields> {
  try {
    const user = await withTimeout(getClerkClient(config).users.getUser(userId), config.apiTimeoutMs);
    return clerkUserToRow(clerkUserSchema.parse(user.raw));
  } catch (error) {
    throw toClerkError(error);
  }
}

/** One organization from Clerk, as the columns we store. Throws `ClerkError` (`not_found` once it is deleted). */
export async function fetchClerkOrganization(
  organizationId: string,
  config: ClerkConfig = readClerkConfig(),
): Promise<ClerkOrganizationFields> {
  try {
    const organization = await withTimeout(
      getClerkClient(config).organizations.getOrganization({ organizationId }),
      config.apiTimeoutMs,
    );
    return clerkOrganizationToRow(clerkOrganizationSchema.parse(organization.raw));
  } catch (error) {
    throw toClerkError(error);
  }
}

/** A membership as Clerk lists it: with the whole organization, which the writer stores under its own rule. */
export interface ClerkMembershipWithOrganization {
  membership: ClerkMembershipFields;
  organization: ClerkOrganizationFields;
}

/** Clerk's largest page: one request for nearly every user's or organization's memberships. */
export const MEMBERSHIP_PAGE_SIZE = 500;
// Reads of a listing that kept changing under its offset pages before Sync gives up and says so.
const LISTING_READS = 3;

interface ListingOptions {
  pageSize?: number;
}

type MembershipPage = { data: { raw: unknown }[]; totalCount: number };

/**
 * Every page of a membership listing. Sync tombstones what the listing leaves out, so it must be complete:
 * offset pages shift when a membership comes or goes between two requests, which could skip one. A listing
 * whose total moved, or whose distinct ids do not add up to the total, is read again from the start.
 */
async function readWholeMembershipListing(
  readPage: (page: { limit: number; offset: number }) => Promise<MembershipPage>,
  config: ClerkConfig,
  { pageSize = MEMBERSHIP_PAGE_SIZE }: ListingOptions,
): Promise<ClerkMembershipWithOrganization[]> {
  try {
    for (let read = 1; read <= LISTING_READS; read++) {
      const byId = new Map<string, ClerkMembershipWithOrganization>();
      let total: number | undefined;
      let steady = true;
      for (let offset = 0; total === undefined || offset < total; offset += pageSize) {
        const page = await withTimeout(readPage({ limit: pageSize, offset }), config.apiTimeoutMs);
        if (total !== undefined && page.totalCount !== total) steady = false;
        total ??= page.totalCount;
        for (const item of page.data) {
          const payload = clerkMembershipSchema.parse(item.raw);
          byId.set(payload.id, {
            membership: clerkMembershipToRow(payload),
            organization: clerkOrganizationToRow(payload.organization),
          });
        }
        if (page.data.length === 0) break;
      }
      if (steady && byId.size === total) return [...byId.values()];
    }
  } catch (error) {
    throw toClerkError(error);
  }
  throw clerkAnswerMalformed("Clerk's list of memberships kept changing while it was read.");
}

/** Every membership of one user, each with its organization. Throws `ClerkError`. */
export function fetchClerkUserMemberships(
  userId: string,
  config: ClerkConfig = readClerkConfig(),
  options: ListingOptions = {},
): Promise<ClerkMembershipWithOrganization[]> {
  const users = getClerkClient(config).users;
  return readWholeMembershipListing(
    (page) => users.getOrganizationMembershipList({ userId, ...page }),
    config,
    options,
  );
}

/** Every membership of one organization. Throws `ClerkError` (`not_found` once it is deleted). */
export function fetchClerkOrganizationMemberships(
  organizationId: string,
  config: ClerkConfig = readClerkConfig(),
  options: ListingOptions = {},
): Promise<ClerkMembershipWithOrganization[]> {
  const organizations = getClerkClient(config).organizations;
  return readWholeMembershipListing(
    (page) => organizations.getOrganizationMembershipList({ organizationId, ...page }),
    config,
    options,
  );
}

let sdkApiVersion: Promise<string> | undefined;

/**
 * The `Clerk-API-Version` the installed @clerk/backend sends, for the one request the app makes without it
 * (the backfill's page reader) to send the same. The SDK does not export it, so it is asked once per process:
 * a throwaway client counts users at a loopback listener, which reads the header and answers zero.
 */
export function clerkApiVersionOfSdk(): Promise<string> {
  sdkApiVersion ??= new Promise<string>((resolve, reject) => {
    const listener = createServer((req, res) => {
      const version = req.headers["clerk-api-version"];
      res.writeHead(200, { "content-type": "application/json", connection: "close" });
      res.end('{"object":"total_count","total_count":0}');
      listener.close();
      if (typeof version === "string" && version !== "") resolve(version);
      else reject(new Error("@clerk/backend sent no Clerk-API-Version header."));
    });
    listener.on("error", reject);
    listener.listen(0, "127.0.0.1", () => {
      const apiUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
      createClerkClient({ secretKey: "sk_test_asking_the_sdk_its_api_version", apiUrl })
        .users.getCount()
        .catch((error: unknown) => {
          listener.close();
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
  });
  return sdkApiVersion;
}
