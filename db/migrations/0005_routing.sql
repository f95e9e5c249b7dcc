CREATE TABLE "call_routing" (
	"call_sid" text PRIMARY KEY NOT NULL,
	"campaign_id" uuid,
	"caller_place" jsonb NOT NULL,
	"candidates" jsonb NOT NULL,
	"winner" uuid,
	"attempts" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "socket_io_attachments" (
	"id" bigserial NOT NULL,
	"created_at" timestamp with time zone DEFAULT now(),
	"payload" "bytea",
	CONSTRAINT "socket_io_attachments_id_unique" UNIQUE("id")
);
--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "dial_timeout_seconds" integer DEFAULT 20 NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "max_agent_attempts" integer DEFAULT 3 NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "voicemail" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "greeting" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "active" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "on_call_sid" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "on_call_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "idle_since" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "agents_on_call_idx" ON "agents" USING btree ("on_call_sid");--> statement-breakpoint
CREATE INDEX "agents_updated_idx" ON "agents" USING btree ("updated_at");