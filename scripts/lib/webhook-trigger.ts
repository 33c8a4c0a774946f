import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { Webhook } from "svix";
import type { UserEventType } from "~/clerk/clerk-user";

/**
 * `npm run webhook:send`: what Clerk → Svix would deliver, built and signed
 * here, like `stripe trigger`. The payloads follow Clerk's shape (snake_case
 * user, `{ object, id, deleted }` for deletions, the event envelope) closely
 * enough that the app cannot tell them from the real thing.
 */

export function clerkUserJson(userId: string, type: Exclude<UserEventType, "user.deleted">, now: number) {
  const suffix = userId.replace(/^user_/, "");
  const emailId = `idn_${suffix}`;
  return {
    object: "user",
    id: userId,
    external_id: null,
    primary_email_address_id: emailId,
    email_addresses: [
      {
        object: "email_address",
        id: emailId,
        email_address: `${userId.toLowerCase()}@example.com`,
        verification: { status: "verified", strategy: "from_oauth_google", attempts: null, expire_at: null },
        linked_to: [],
        reserved: false,
        created_at: now,
        updated_at: now,
      },
    ],
    primary_phone_number_id: null,
    phone_numbers: [],
    web3_wallets: [],
    external_accounts: [],
    // Ada Lovelace became Ada King: a visible change between user.created and user.updated.
    first_name: "Ada",
    last_name: type === "user.created" ? "Lovelace" : "King",
    username: null,
    image_url: "https://img.clerk.com/preview.png",
    has_image: false,
    public_metadata: {},
    private_metadata: {},
    unsafe_metadata: {},
    password_enabled: false,
    two_factor_enabled: false,
    banned: false,
    locked: false,
    last_sign_in_at: null,
    // The app orders writes by updated_at: "now" makes this event the newest it has seen.
    created_at: now,
    updated_at: now,
  };
}

export function clerkEventEnvelope(type: string, data: unknown, now: number) {
  return {
    data,
    event_attributes: { http_request: { client_ip: "127.0.0.1", user_agent: "clerk-sync webhook:send" } },
    instance_id: "ins_webhook_send",
    object: "event",
    timestamp: now,
    type,
  };
}

export function buildClerkEvent(type: UserEventType, userId: string, now: number = Date.now()) {
  const data = type === "user.deleted" ? { object: "user", id: userId, deleted: true } : clerkUserJson(userId, type, now);
  return clerkEventEnvelope(type, data, now);
}

export function randomUserId(): string {
  return `user_${randomBytes(24).toString("base64url").replace(/[-_]/g, "").slice(0, 27)}`;
}

export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
  svixId: string;
}

/** Svix's three headers over the exact body bytes; `badSignature` signs with a secret the app does not know. */
export function signForSvix(body: string, secret: string, options: { badSignature?: boolean; now?: Date } = {}): SignedDelivery {
  const svixId = `msg_${randomUUID().replaceAll("-", "")}`;
  const key = options.badSignature ? `whsec_${randomBytes(24).toString("base64")}` : secret;
  const timestamp = options.now ?? new Date();
  const signature = new Webhook(key).sign(svixId, timestamp, body);
  return {
    body,
    svixId,
    headers: {
      "content-type": "application/json",
      "user-agent": "Svix-Webhooks/1.0 (clerk-sync webhook:send)",
      "svix-id": svixId,
      "svix-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
      "svix-signature": signature,
    },
  };
}

export interface LedgerRow {
  status: string;
  outcome: string | null;
  error: string | null;
  attempts: number;
}

export type LedgerLookup = { kind: "row"; row: LedgerRow } | { kind: "no_row" } | { kind: "unavailable"; reason: string };

/** The app's record of this delivery in webhook_events, read from the SQLite file when it is on this machine. */
export function readLedgerRow(databasePath: string, svixId: string): LedgerLookup {
  if (databasePath === ":memory:") return { kind: "unavailable", reason: "DATABASE_URL is :memory:" };
  if (!existsSync(databasePath)) return { kind: "unavailable", reason: `no SQLite file at ${databasePath}` };
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare("select status, outcome, error, attempts from webhook_events where svix_id = ?")
      .get(svixId) as LedgerRow | undefined;
    return row ? { kind: "row", row } : { kind: "no_row" };
  } catch (error) {
    return { kind: "unavailable", reason: (error as Error).message };
  } finally {
    db.close();
  }
}

export function defaultWebhookUrl(env: Record<string, string | undefined> = process.env): string {
  return `http://localhost:${env.PORT?.trim() || "3000"}/api/webhooks/clerk`;
}
