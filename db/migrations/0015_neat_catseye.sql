ALTER TABLE "follow_ups" ADD COLUMN "callback_result" text;--> statement-breakpoint
ALTER TABLE "follow_ups" ADD COLUMN "callback_result_at" timestamp with time zone;