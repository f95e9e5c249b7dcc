CREATE TABLE "salesforce_campaign_members" (
	"who_id" text NOT NULL,
	"sf_campaign_id" text NOT NULL,
	"member_id" text,
	"call_sid" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "salesforce_campaign_members_who_id_sf_campaign_id_pk" PRIMARY KEY("who_id","sf_campaign_id")
);
--> statement-breakpoint
CREATE TABLE "salesforce_sync" (
	"call_sid" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"task_id" text,
	"who_id" text,
	"match_rule" text,
	"needs_update" boolean DEFAULT false NOT NULL,
	"create_sent" boolean DEFAULT false NOT NULL,
	"lead_create_sent" boolean DEFAULT false NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"last_error_code" text,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"claimed_until" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"synced_at" timestamp with time zone,
	"dead_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "salesforce_sync_due_idx" ON "salesforce_sync" USING btree ("state","next_attempt_at");