ALTER TABLE "sites" ADD COLUMN "bot_allow_list" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" DROP COLUMN "scoring";--> statement-breakpoint
ALTER TABLE "calls" DROP COLUMN "agent_id";--> statement-breakpoint
ALTER TABLE "calls" DROP COLUMN "score";--> statement-breakpoint
ALTER TABLE "calls" DROP COLUMN "score_details";--> statement-breakpoint
ALTER TABLE "calls" DROP COLUMN "sync_state";--> statement-breakpoint
ALTER TABLE "calls" DROP COLUMN "salesforce_task_id";--> statement-breakpoint
ALTER TABLE "calls" DROP COLUMN "synced_at";