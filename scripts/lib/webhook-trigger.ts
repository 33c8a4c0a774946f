import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import {
  buildClerkOrganization,
  buildClerkOrganizationMembership,
  buildClerkUser,
  clerkEvent,
  deletedClerkOrganization,
  deletedClerkUser,
  signDelivery,
} from "@clerk-sync/clerk-stand-in/testing";
import Database from "better-sqlite3";
import {
  MEMBERSHIP_EVENT_TYPES,
  ORGANIZATION_EVENT_TYPES,
  type MembershipEventType,
  type OrganizationEventType,
} from "~/clerk/clerk-organization";
import { USER_EVENT_TYPES, type UserEventType } from "~/clerk/clerk-user";

/**
 * `npm run webhook:send`: what Clerk → Svix would deliver, built and signed
 * here, like `stripe trigger`, with the stand-in package's Clerk builders and
 * Svix signing, so the app cannot tell it from the real thing.
 */

const EVENT_OPTIONS = { instanceId: "ins_webhook_send", userAgent: "clerk-sync webhook:send" };

export function clerkEventEnvelope(type: string, data: unknown, now: number) {
  return clerkEvent(type, data, { ...EVENT_OPTIONS, timestamp: now });
}

/** Every event type the app handles, and so every one `webhook:send` can build. */
export const SENDABLE_EVENT_TYPES = [...USER_EVENT_TYPES, ...ORGANIZATION_EVENT_TYPES, ...MEMBERSHIP_EVENT_TYPES];
export type SendableEventType = UserEventType | OrganizationEventType | MembershipEventType;

export function isSendableEventType(type: string): type is SendableEventType {
  return (SENDABLE_EVENT_TYPES as readonly string[]).includes(type);
}

/** The objects an event is about: given ids keep a created → updated → deleted sequence on one object. */
export interface EventSubjects {
  userId: string;
  organizationId: string;
  membershipId: string;
}

export function buildClerkEvent(type: SendableEventType, subjects: EventSubjects, now: number = Date.now()) {
  const { userId, organizationId, membershipId } = subjects;
  if (type === "organization.deleted") return clerkEventEnvelope(type, deletedClerkOrganization(organizationId), now);
  // Acme Corp became Acme Inc, the member became an admin: visible changes between created and updated events,
  // with "now" as updated_at so that each event is the newest the app has seen of its object.
  const organization = buildClerkOrganization({
    id: organizationId,
    name: type === "organization.updated" ? "Acme Inc" : "Acme Corp",
    created_at: now,
    updated_at: now,
  });
  if (type.startsWith("organization.")) return clerkEventEnvelope(type, organization, now);
  if (type.startsWith("organizationMembership.")) {
    const member = buildClerkOrganizationMembership({
      id: membershipId,
      role: type === "organizationMembership.updated" ? "org:admin" : "org:member",
      organization,
      public_user_data: { ...buildClerkOrganizationMembership().public_user_data, user_id: userId },
      created_at: now,
      updated_at: now,
    });
    return clerkEventEnvelope(type, member, now);
  }
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

/** A new id in Clerk's shape, `<prefix>_` and 27 characters. */
export function randomClerkId(prefix: "user" | "org" | "orgmem"): string {
  return `${prefix}_${randomBytes(24).toString("base64url").replace(/[-_]/g, "").slice(0, 27)}`;
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
