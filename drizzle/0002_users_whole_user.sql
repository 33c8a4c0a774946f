ALTER TABLE `users` ADD `public_metadata` text;--> statement-breakpoint
ALTER TABLE `users` ADD `private_metadata` text;--> statement-breakpoint
ALTER TABLE `users` ADD `last_sign_in_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `banned` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `external_id` text;