CREATE TABLE "call_scores" (
	"call_sid" text PRIMARY KEY NOT NULL,
	"site_id" uuid,
	"score" integer NOT NULL,
	"qualified" boolean NOT NULL,
	"label" text NOT NULL,
	"explanation" jsonb NOT NULL,
	"rules_version" integer NOT NULL,
	"scored_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scoring_rescore_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"site_id" uuid,
	"since" timestamp with time zone NOT NULL,
	"state" text NOT NULL,
	"scored" integer DEFAULT 0 NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "scoring_rule_sets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"site_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"document" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "call_routing" ADD COLUMN "plan" jsonb;--> statement-breakpoint
CREATE INDEX "call_scores_label_idx" ON "call_scores" USING btree ("label");--> statement-breakpoint
CREATE INDEX "call_scores_site_scored_idx" ON "call_scores" USING btree ("site_id","scored_at");--> statement-breakpoint
CREATE UNIQUE INDEX "scoring_rule_sets_site_version_uq" ON "scoring_rule_sets" USING btree ("site_id","version");--> statement-breakpoint
CREATE VIEW "public"."call_scores_v" AS (select "call_sid", "score", "qualified", "label", "rules_version", "scored_at" from "call_scores");