import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createClerkClient, type ClerkClient } from "@clerk/backend";
import { readClerkConfig, type ClerkConfig } from "~/env.server";
import { clerkUserSchema, clerkUserToRow, type ClerkUserFields } from "./clerk-user";
import { clerkTimeout, toClerkError } from "./clerk-errors.server";

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
