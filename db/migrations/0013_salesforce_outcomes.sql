CREATE TABLE "salesforce_outcomes" (
	"opportunity_id" text PRIMARY KEY NOT NULL,
	"call_sid" text NOT NULL,
	"who_id" text NOT NULL,
	"via" text NOT NULL,
	"stage" text,
	"is_won" boolean DEFAULT false NOT NULL,
	"is_closed" boolean DEFAULT false NOT NULL,
	"amount" double precision,
	"close_date" text,
	"campaign_id" text,
	"source" text,
	"keyword" text,
	"read_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "salesforce_outcomes_call_idx" ON "salesforce_outcomes" USING btree ("call_sid");