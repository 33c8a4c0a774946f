import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { buildClerkUser, clerkEvent, deletedClerkUser, signDelivery } from "@clerk-sync/clerk-stand-in/testing";
import Database from "better-sqlite3";
import type { UserEventType } from "~/clerk/clerk-user";

/**
 * `npm run webhook:send`: what Clerk → Svix would deliver, built and signed
 * here, like `stripe trigger`, with the stand-in package's Clerk builders and
 * Svix signing, so the app cannot tell it from the real thing.
 */

const EVENT_OPTIONS = { instanceId: "ins_webhook_send", userAgent: "clerk-sync webhook:send" };

export function clerkEventEnvelope(type: string, data: unknown, now: number) {
  return clerkEvent(type, data, { ...EVENT_OPTIONS, timestamp: now });
}

export function buildClerkEvent(type: UserEventType, userId: string, now: number = Date.now()) {
  if (type === "user.deleted") return clerkEventEnvelope(type, deletedClerkUser(userId), now);
  // Ada Lovelace became Ada King: a visible change between user.created and user.updated.
  // "now" as updated_at makes this event the newest the app has seen (it orders writes by updated_at).
  const user = buildClerkUser({
    id: userId,
    last_name: type === "user.created" ? "Lovelace" : "King",
    created_at: now,
  });
  return clerkEventEnvelope(type, user, now);
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
export function signForSvix(
  body: string,
  secret: string,
  options: { badSignature?: boolean; now?: Date } = {},
): SignedDelivery {
  const key = options.badSignature ? `whsec_${randomBytes(24).toString("base64")}` : secret;
  const svixHeaders = signDelivery(key, body, { timestamp: options.now });
  return {
    body,
    svixId: svixHeaders["svix-id"],
    headers: {
      "content-type": "application/json",
      "user-agent": "Svix-Webhooks/1.0 (clerk-sync webhook:send)",
      ...svixHeaders,
    },
  };
}

export interface LedgerRow {
  status: string;
  outcome: string | null;
  error: string | null;
  attempts: number;
}

export type LedgerLookup =
  { kind: "row"; row: LedgerRow } | { kind: "no_row" } | { kind: "unavailable"; reason: string };

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
