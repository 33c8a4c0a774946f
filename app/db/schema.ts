import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const SYNC_SOURCES = ["webhook", "manual", "backfill"] as const;
export type SyncSource = (typeof SYNC_SOURCES)[number];

export const WEBHOOK_EVENT_STATUSES = ["processed", "ignored", "failed"] as const;
export type WebhookEventStatus = (typeof WEBHOOK_EVENT_STATUSES)[number];

/**
 * The app's copy of each Clerk user. Column names are a contract with outside
 * tools (see README): add columns, never rename these.
 */
export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    clerkId: text("clerk_id").notNull().unique(),
    email: text("email"),
    firstName: text("first_name"),
    lastName: text("last_name"),
    username: text("username"),
    imageUrl: text("image_url"),
    clerkCreatedAt: integer("clerk_created_at"),
    // Clerk's own `updated_at` (ms): the only clock used to order writes.
    clerkUpdatedAt: integer("clerk_updated_at"),
    deletedAt: integer("deleted_at"),
    syncedAt: integer("synced_at").notNull(),
    syncSource: text("sync_source", { enum: SYNC_SOURCES }).notNull(),
  },
  (t) => [check("users_sync_source_check", sql`${t.syncSource} in ('webhook', 'manual', 'backfill')`)],
);

/** One row per Svix message: the idempotency ledger and the audit trail. */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    svixId: text("svix_id").primaryKey(),
    eventType: text("event_type").notNull(),
    clerkUserId: text("clerk_user_id"),
    receivedAt: integer("received_at").notNull(),
    status: text("status", { enum: WEBHOOK_EVENT_STATUSES }).notNull(),
    // What the delivery did to the users table: created, updated, unchanged, stale, …
    outcome: text("outcome"),
    error: text("error"),
    attempts: integer("attempts").notNull().default(1),
  },
  (t) => [
    index("webhook_events_clerk_user_id_idx").on(t.clerkUserId),
    check("webhook_events_status_check", sql`${t.status} in ('processed', 'ignored', 'failed')`),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;
export type WebhookEventRow = typeof webhookEvents.$inferSelect;
