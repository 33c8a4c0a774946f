import { readFileSync } from "node:fs";
import {
  buildClerkUser,
  clerkEmailAddress,
  clerkEvent as buildClerkEvent,
  signDelivery,
  type ClerkUserOverrides,
} from "@clerk-sync/clerk-stand-in/testing";
import { TEST_WEBHOOK_SECRET } from "./test-env";

/** Clerk's own example payloads (tests/fixtures/clerk), as Svix would deliver them. */
export function loadFixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(new URL(`../fixtures/clerk/${name}.json`, import.meta.url), "utf8"));
}

export interface SignOptions {
  secret?: string;
  svixId?: string;
  /** Seconds since the epoch for the svix-timestamp header. */
  timestamp?: number;
  url?: string;
  headers?: Record<string, string>;
}

export function signBody(body: string, options: SignOptions = {}) {
  const timestamp = options.timestamp === undefined ? undefined : new Date(options.timestamp * 1000);
  return {
    ...signDelivery(options.secret ?? TEST_WEBHOOK_SECRET, body, { svixId: options.svixId, timestamp }),
    "content-type": "application/json",
    ...options.headers,
  };
}

export function signedRequest(payload: unknown, options: SignOptions = {}): Request {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  return new Request(options.url ?? "http://localhost/api/webhooks/clerk", {
    method: "POST",
    headers: signBody(body, options),
    body,
  });
}

let clock = Date.UTC(2026, 0, 1);

/**
 * A Clerk user payload, distinct per call unless `id` is given, one second
 * newer than the previous one, whose primary email is its second address (so
 * the app must follow primary_email_address_id, not take the first).
 */
export function clerkUser<T extends ClerkUserOverrides = Record<never, never>>(overrides: T = {} as T) {
  const id = (overrides.id as string) ?? buildClerkUser().id;
  const primary = clerkEmailAddress({ id: `idn_${id.slice(5)}`, email_address: `${id}@example.com` });
  clock += 1000;
  return buildClerkUser({
    id,
    primary_email_address_id: primary.id,
    email_addresses: [
      clerkEmailAddress({ id: `idn_secondary_${id.slice(5)}`, email_address: `old-${id}@example.com` }),
      primary,
    ],
    private_metadata: null,
    created_at: clock,
    updated_at: clock,
    ...overrides,
  });
}

export function clerkEvent(type: string, data: unknown, timestamp = Date.now()) {
  return buildClerkEvent(type, data, { timestamp, instanceId: "ins_test", userAgent: "test" });
}
