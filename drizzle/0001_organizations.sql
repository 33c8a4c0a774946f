CREATE TABLE `organization_memberships` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`clerk_id` text NOT NULL,
	`organization_clerk_id` text NOT NULL,
	`user_clerk_id` text NOT NULL,
	`role` text,
	`permissions` text,
	`public_metadata` text,
	`clerk_created_at` integer,
	`clerk_updated_at` integer,
	`deleted_at` integer,
	`synced_at` integer NOT NULL,
	`sync_source` text NOT NULL,
	CONSTRAINT "organization_memberships_sync_source_check" CHECK("organization_memberships"."sync_source" in ('webhook', 'manual', 'backfill'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organization_memberships_clerk_id_unique` ON `organization_memberships` (`clerk_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `organization_memberships_live_member_unique` ON `organization_memberships` (`organization_clerk_id`,`user_clerk_id`) WHERE "organization_memberships"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX `organization_memberships_user_clerk_id_idx` ON `organization_memberships` (`user_clerk_id`);--> statement-breakpoint
CREATE TABLE `organizations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`clerk_id` text NOT NULL,
	`name` text,
	`slug` text,
	`image_url` text,
	`public_metadata` text,
	`private_metadata` text,
	`created_by` text,
	`clerk_created_at` integer,
	`clerk_updated_at` integer,
	`deleted_at` integer,
	`synced_at` integer NOT NULL,
	`sync_source` text NOT NULL,
	CONSTRAINT "organizations_sync_source_check" CHECK("organizations"."sync_source" in ('webhook', 'manual', 'backfill'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organizations_clerk_id_unique` ON `organizations` (`clerk_id`);--> statement-breakpoint
CREATE INDEX `organizations_slug_idx` ON `organizations` (`slug`);