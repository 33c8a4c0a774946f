import { eq, sql } from "drizzle-orm";
import { preparedQueries, sqlPlaceholder, type QueryRunner } from "./db.server";
import { webhookEvents, type WebhookEventRow, type WebhookEventStatus } from "./schema";
import type { WriteTransaction } from "./write-transaction.server";

/**
 * `webhook_events` is the idempotency ledger: Svix delivers at least once, and
 * the row for a `svix-id` is written in the same transaction as the user change,
 * so a repeat sees it and changes nothing.
 */

export interface LedgerEntry {
  svixId: string;
  eventType: string;
  clerkUserId: string | null;
  status: WebhookEventStatus;
  outcome?: string | null;
  error?: string | null;
  receivedAt: number;
}

const entryColumns = {
  eventType: sqlPlaceholder("eventType"),
  clerkUserId: sqlPlaceholder("clerkUserId"),
  status: sqlPlaceholder("status"),
  outcome: sqlPlaceholder("outcome"),
  error: sqlPlaceholder("error"),
  receivedAt: sqlPlaceholder("receivedAt"),
};

// Every delivery runs both; prepared once per connection (see preparedQueries).
const ledgerQueries = (db: QueryRunner) => ({
  find: db
    .select()
    .from(webhookEvents)
    .where(eq(webhookEvents.svixId, sql.placeholder("svixId")))
    .prepare(),
  // A retried failure overwrites its earlier row and counts the attempt.
  record: db
    .insert(webhookEvents)
    .values({ svixId: sqlPlaceholder("svixId"), ...entryColumns })
    .onConflictDoUpdate({
      target: webhookEvents.svixId,
      set: { ...entryColumns, attempts: sql`${webhookEvents.attempts} + 1` },
    })
    .prepare(),
});

export function findDelivery(tx: QueryRunner, svixId: string): WebhookEventRow | undefined {
  return preparedQueries(tx, ledgerQueries).find.get({ svixId });
}

/** Records a delivery; a retried failure overwrites its earlier row and counts the attempt. */
export function recordDelivery(tx: WriteTransaction, entry: LedgerEntry): void {
  preparedQueries(tx, ledgerQueries).record.run({
    ...entry,
    outcome: entry.outcome ?? null,
    error: entry.error ?? null,
  });
}
