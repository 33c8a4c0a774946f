import { eq, sql } from "drizzle-orm";
import type { AppDatabase } from "./db.server";
import { webhookEvents, type WebhookEventRow, type WebhookEventStatus } from "./schema";

/**
 * `webhook_events` is the idempotency ledger: Svix delivers at least once, and
 * the row for a `svix-id` is written in the same transaction as the user change,
 * so a repeat sees it and changes nothing.
 */

type Tx = Pick<AppDatabase, "select" | "insert" | "update">;

export interface LedgerEntry {
  svixId: string;
  eventType: string;
  clerkUserId: string | null;
  status: WebhookEventStatus;
  outcome?: string | null;
  error?: string | null;
  receivedAt: number;
}

export function findDelivery(tx: Tx, svixId: string): WebhookEventRow | undefined {
  return tx.select().from(webhookEvents).where(eq(webhookEvents.svixId, svixId)).get();
}

/** Records a delivery; a retried failure overwrites its earlier row and counts the attempt. */
export function recordDelivery(tx: Tx, entry: LedgerEntry): void {
  tx.insert(webhookEvents)
    .values({ ...entry, outcome: entry.outcome ?? null, error: entry.error ?? null })
    .onConflictDoUpdate({
      target: webhookEvents.svixId,
      set: {
        eventType: entry.eventType,
        clerkUserId: entry.clerkUserId,
        status: entry.status,
        outcome: entry.outcome ?? null,
        error: entry.error ?? null,
        receivedAt: entry.receivedAt,
        attempts: sql`${webhookEvents.attempts} + 1`,
      },
    })
    .run();
}
