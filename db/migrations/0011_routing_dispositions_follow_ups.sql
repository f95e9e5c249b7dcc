CREATE TABLE "webhook_dead_letters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"dedupe_key" text NOT NULL,
	"kind" text NOT NULL,
	"call_sid" text,
	"params" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"error" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "call_dispositions" (
	"call_sid" text PRIMARY KEY NOT NULL,
	"label" text NOT NULL,
	"note" text,
	"agent_id" uuid,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "follow_ups" (
	"call_sid" text PRIMARY KEY NOT NULL,
	"campaign_id" uuid,
	"missed_at" timestamp with time zone NOT NULL,
	"state" text DEFAULT 'open' NOT NULL,
	"claimed_by" uuid,
	"claimed_at" timestamp with time zone,
	"first_callback_at" timestamp with time zone,
	"callback_call_sid" text,
	"outcome" text,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_dead_letters_dedupe_uq" ON "webhook_dead_letters" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "webhook_dead_letters_call_idx" ON "webhook_dead_letters" USING btree ("call_sid");--> statement-breakpoint
CREATE INDEX "follow_ups_state_idx" ON "follow_ups" USING btree ("state");--> statement-breakpoint
CREATE INDEX "follow_ups_missed_idx" ON "follow_ups" USING btree ("missed_at");