CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`clerk_id` text NOT NULL,
	`email` text,
	`first_name` text,
	`last_name` text,
	`username` text,
	`image_url` text,
	`clerk_created_at` integer,
	`clerk_updated_at` integer,
	`deleted_at` integer,
	`synced_at` integer NOT NULL,
	`sync_source` text NOT NULL,
	CONSTRAINT "users_sync_source_check" CHECK("users"."sync_source" in ('webhook', 'manual', 'backfill'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_clerk_id_unique` ON `users` (`clerk_id`);--> statement-breakpoint
CREATE TABLE `webhook_events` (
	`svix_id` text PRIMARY KEY NOT NULL,
	`event_type` text NOT NULL,
	`clerk_user_id` text,
	`received_at` integer NOT NULL,
	`status` text NOT NULL,
	`outcome` text,
	`error` text,
	`attempts` integer DEFAULT 1 NOT NULL,
	CONSTRAINT "webhook_events_status_check" CHECK("webhook_events"."status" in ('processed', 'ignored', 'failed'))
);
--> statement-breakpoint
CREATE INDEX `webhook_events_clerk_user_id_idx` ON `webhook_events` (`clerk_user_id`);