import type { WebhookEventStatus } from "~/db/schema";
import { isBeyondClockSkew, MAX_CLOCK_SKEW_MS } from "~/db/user-writer.server";
import type { WriteTransaction } from "~/db/write-transaction.server";

/**
 * What a per-entity handler makes of a verified event, before any transaction:
 * a reason to refuse it, or the write to run in the delivery's one transaction
 * beside its ledger row (handle-webhook.server.ts owns both).
 */
export type EventHandling =
  | { ok: false; ledgerId: string | null; error: string }
  | { ok: true; ledgerId: string | null; write: (tx: WriteTransaction) => HandledEvent };

export interface HandledEvent {
  status: Extract<WebhookEventStatus, "processed" | "ignored">;
  outcome: string;
}

export function zodMessage(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.map(String).join(".") || "data"}: ${issue.message}` : "invalid payload";
}

/**
 * Why an ordering key is refused, or null. As a stored key it would make every real later change "stale"
 * (decision 006); refused, Svix retries, and a retry lands once this clock has caught up.
 */
export function futureDated(field: string, updatedAt: number, now: number): string | null {
  return isBeyondClockSkew(updatedAt, now)
    ? `${field} is more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes ahead of this server's clock`
    : null;
}
