import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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
    // JSON text, as Clerk sent it, like organizations'.
    publicMetadata: text("public_metadata"),
    privateMetadata: text("private_metadata"),
    // ms.
    lastSignInAt: integer("last_sign_in_at"),
    // Nullable, no default: a row from before this column has not heard from Clerk, and false would say it had.
    banned: integer("banned", { mode: "boolean" }),
    externalId: text("external_id"),
    clerkCreatedAt: integer("clerk_created_at"),
    // Clerk's own `updated_at` (ms): the only clock used to order writes.
    clerkUpdatedAt: integer("clerk_updated_at"),
    deletedAt: integer("deleted_at"),
    syncedAt: integer("synced_at").notNull(),
    syncSource: text("sync_source", { enum: SYNC_SOURCES }).notNull(),
  },
  (t) => [check("users_sync_source_check", sql`${t.syncSource} in ('webhook', 'manual', 'backfill')`)],
);

/**
 * The app's copy of each Clerk organization. Column names are a contract with
 * outside tools, as for `users`. `members_count` is not kept: Clerk changes it
 * without moving `updated_at`, so count live memberships instead (decision 008).
 */
export const organizations = sqliteTable(
  "organizations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    clerkId: text("clerk_id").notNull().unique(),
    // Nullable: a deletion that overtook the creation leaves a tombstone with ids only.
    name: text("name"),
    // Not unique: Clerk frees a slug on rename or deletion, and events for two organizations can arrive out of order.
    slug: text("slug"),
    imageUrl: text("image_url"),
    // JSON text, as Clerk sent it.
    publicMetadata: text("public_metadata"),
    privateMetadata: text("private_metadata"),
    createdBy: text("created_by"),
    clerkCreatedAt: integer("clerk_created_at"),
    // Clerk's own `updated_at` (ms): the only clock used to order writes.
    clerkUpdatedAt: integer("clerk_updated_at"),
    deletedAt: integer("deleted_at"),
    syncedAt: integer("synced_at").notNull(),
    syncSource: text("sync_source", { enum: SYNC_SOURCES }).notNull(),
  },
  (t) => [
    index("organizations_slug_idx").on(t.slug),
    check("organizations_sync_source_check", sql`${t.syncSource} in ('webhook', 'manual', 'backfill')`),
  ],
);

/** One row per Clerk membership id (`orgmem_…`): a person's role in an organization. */
export const organizationMemberships = sqliteTable(
  "organization_memberships",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    clerkId: text("clerk_id").notNull().unique(),
    organizationClerkId: text("organization_clerk_id").notNull(),
    userClerkId: text("user_clerk_id").notNull(),
    role: text("role"),
    // JSON text: an array of permission keys, and an object.
    permissions: text("permissions"),
    publicMetadata: text("public_metadata"),
    clerkCreatedAt: integer("clerk_created_at"),
    clerkUpdatedAt: integer("clerk_updated_at"),
    deletedAt: integer("deleted_at"),
    syncedAt: integer("synced_at").notNull(),
    syncSource: text("sync_source", { enum: SYNC_SOURCES }).notNull(),
  },
  (t) => [
    // Clerk allows one membership per person and organization at a time; tombstones of earlier ones stay beside it.
    uniqueIndex("organization_memberships_live_member_unique")
      .on(t.organizationClerkId, t.userClerkId)
      .where(sql`${t.deletedAt} is null`),
    index("organization_memberships_user_clerk_id_idx").on(t.userClerkId),
    check("organization_memberships_sync_source_check", sql`${t.syncSource} in ('webhook', 'manual', 'backfill')`),
  ],
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
export type OrganizationRow = typeof organizations.$inferSelect;
export type OrganizationMembershipRow = typeof organizationMemberships.$inferSelect;
