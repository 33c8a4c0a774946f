import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { Webhook } from "svix";
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
  const svixId = options.svixId ?? `msg_${randomUUID().replaceAll("-", "")}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = new Webhook(options.secret ?? TEST_WEBHOOK_SECRET).sign(svixId, new Date(timestamp * 1000), body);
  return {
    "svix-id": svixId,
    "svix-timestamp": String(timestamp),
    "svix-signature": signature,
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

/** A Clerk user payload with a primary email, distinct per call unless `id` is given. */
export function clerkUser(overrides: Record<string, unknown> = {}) {
  const id = (overrides.id as string) ?? `user_${randomUUID().replaceAll("-", "").slice(0, 27)}`;
  const emailId = `idn_${id.slice(5)}`;
  clock += 1000;
  return {
    object: "user",
    id,
    primary_email_address_id: emailId,
    email_addresses: [
      { object: "email_address", id: `idn_secondary_${id.slice(5)}`, email_address: `old-${id}@example.com` },
      { object: "email_address", id: emailId, email_address: `${id}@example.com` },
    ],
    first_name: "Ada",
    last_name: "Lovelace",
    username: null,
    image_url: "https://img.clerk.com/avatar",
    public_metadata: {},
    private_metadata: null,
    unsafe_metadata: {},
    created_at: clock,
    updated_at: clock,
    ...overrides,
  };
}

export function clerkEvent(type: string, data: unknown, timestamp = Date.now()) {
  return { object: "event", type, data, timestamp, instance_id: "ins_test", event_attributes: { http_request: { client_ip: "127.0.0.1", user_agent: "test" } } };
}
