import { createClerkClient, type ClerkClient } from "@clerk/backend";
import { isClerkAPIResponseError } from "@clerk/remix/errors";
import { readClerkConfig, type ClerkConfig } from "~/env.server";
import { clerkUserSchema, clerkUserToRow, type ClerkUserFields } from "./clerk-user";
import { ClerkAnswerMalformed, ClerkResponseError } from "./clerk-errors.server";

/**
 * The app's only door to Clerk's Backend API. It is the real SDK pointed at
 * `CLERK_API_URL`: Clerk in production, the offline stand-in in development and
 * tests. Errors come back as a small union the pages can explain.
 */

export type ClerkApiFailure =
  | { kind: "not_found"; message: string; detail?: string }
  | { kind: "rate_limited"; message: string; retryAfterSeconds: number | null }
  | { kind: "unavailable"; message: string; status: number | null; detail?: string }
  | { kind: "timeout"; message: string };

export class ClerkApiError extends Error {
  constructor(readonly failure: ClerkApiFailure) {
    super(failure.message);
    this.name = "ClerkApiError";
  }
}

let cachedClient: { key: string; client: ClerkClient } | undefined;

export function getClerkClient(config: Pick<ClerkConfig, "apiUrl" | "secretKey"> = readClerkConfig()): ClerkClient {
  const key = `${config.apiUrl}|${config.secretKey}`;
  if (cachedClient?.key !== key) {
    cachedClient = { key, client: createClerkClient({ secretKey: config.secretKey, apiUrl: config.apiUrl }) };
  }
  return cachedClient.client;
}

export function toClerkApiFailure(error: unknown): ClerkApiFailure {
  if (error instanceof ClerkApiError) return error.failure;
  // A 200 that is not what was asked for (the backfill's reader): perhaps a proxy's fault, so worth asking again.
  if (error instanceof ClerkAnswerMalformed) return { kind: "unavailable", message: error.message, status: null };
  // The SDK's error, or the same answer read by the backfill's own page reader.
  if (isClerkAPIResponseError(error) || error instanceof ClerkResponseError) {
    // Clerk's own words (e.g. which key is wrong), for tools that print them; the pages use `message`.
    const detail = error.errors[0]?.longMessage ?? error.errors[0]?.message;
    if (error.status === 404) return { kind: "not_found", message: "Clerk has no such user.", detail };
    if (error.status === 429) {
      const retryAfterSeconds = typeof error.retryAfter === "number" ? error.retryAfter : null;
      return { kind: "rate_limited", message: "Clerk is rate-limiting requests.", retryAfterSeconds };
    }
    return {
      kind: "unavailable",
      message: error.status ? `Clerk answered with an error (HTTP ${error.status}).` : "Clerk could not be reached.",
      status: error.status ?? null,
      detail,
    };
  }
  return { kind: "unavailable", message: "Clerk could not be reached.", status: null };
}

/** Asking again can help: a 5xx, a timeout, a dropped connection (429s wait for Retry-After instead). */
export function isRetryableFailure(failure: ClerkApiFailure): boolean {
  if (failure.kind === "timeout") return true;
  return failure.kind === "unavailable" && (failure.status === null || failure.status >= 500);
}

/** Rejects with a `timeout` failure when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ClerkApiError({ kind: "timeout", message: `Clerk did not answer within ${ms / 1000} s.` })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One user from Clerk, as the columns we store. Throws `ClerkApiError`. */
export async function fetchClerkUser(
  userId: string,
  config: ClerkConfig = readClerkConfig(),
): Promise<ClerkUserFields> {
  try {
    const user = await withTimeout(getClerkClient(config).users.getUser(userId), config.apiTimeoutMs);
    return clerkUserToRow(clerkUserSchema.parse(user.raw));
  } catch (error) {
    throw new ClerkApiError(toClerkApiFailure(error));
  }
}
