CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"key_hash" text NOT NULL,
	"key_prefix" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"site_id" uuid NOT NULL,
	"name" text NOT NULL,
	"match" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"hold_seconds" integer DEFAULT 1800 NOT NULL,
	"fallback_number" text NOT NULL,
	"overflow" text DEFAULT 'share_lru' NOT NULL,
	"salesforce_campaign_id" text,
	"scoring" jsonb,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sites" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"site_key" text NOT NULL,
	"allowed_origins" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"swap_targets" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sites_site_key_unique" UNIQUE("site_key")
);
--> statement-breakpoint
CREATE TABLE "number_leases" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"number_id" uuid NOT NULL,
	"session_id" uuid NOT NULL,
	"campaign_id" uuid NOT NULL,
	"shared" boolean DEFAULT false NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pool_exhaustion_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"campaign_id" uuid NOT NULL,
	"session_id" uuid,
	"pool_size" integer,
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tracking_numbers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"campaign_id" uuid,
	"e164" text NOT NULL,
	"twilio_sid" text,
	"kind" text DEFAULT 'pool' NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"locality" text,
	"region" text,
	"demo" boolean DEFAULT false NOT NULL,
	"lease_session_id" uuid,
	"lease_expires_at" timestamp with time zone,
	"last_leased_at" timestamp with time zone,
	"provisioned_at" timestamp with time zone DEFAULT now() NOT NULL,
	"released_at" timestamp with time zone,
	"quarantine_until" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "visitor_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"site_id" uuid NOT NULL,
	"campaign_id" uuid NOT NULL,
	"visitor_id" text,
	"landing_url" text NOT NULL,
	"landing_path" text,
	"referrer" text,
	"referrer_domain" text,
	"source" text,
	"medium" text,
	"utm_campaign" text,
	"utm_term" text,
	"utm_content" text,
	"gclid" text,
	"fbclid" text,
	"msclkid" text,
	"device" text,
	"user_agent" text,
	"number_id" uuid,
	"shared" boolean DEFAULT false NOT NULL,
	"anonymous" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "blocked_numbers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"pattern" text NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "blocked_numbers_pattern_unique" UNIQUE("pattern")
);
--> statement-breakpoint
CREATE TABLE "call_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"call_sid" text NOT NULL,
	"kind" text NOT NULL,
	"status" text,
	"sequence_number" integer,
	"twilio_timestamp" timestamp with time zone,
	"dedupe_key" text NOT NULL,
	"params" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "calls" (
	"call_sid" text PRIMARY KEY NOT NULL,
	"parent_call_sid" text,
	"account_sid" text,
	"direction" text,
	"from_number" text,
	"to_number" text,
	"tracking_number_id" uuid,
	"site_id" uuid,
	"campaign_id" uuid,
	"session_id" uuid,
	"visitor_id" text,
	"attribution" text DEFAULT 'none' NOT NULL,
	"attribution_candidates" jsonb,
	"source" text,
	"medium" text,
	"utm_campaign" text,
	"keyword" text,
	"landing_url" text,
	"landing_path" text,
	"referrer" text,
	"gclid" text,
	"fbclid" text,
	"msclkid" text,
	"device" text,
	"caller_name" text,
	"caller_city" text,
	"caller_state" text,
	"caller_zip" text,
	"caller_country" text,
	"status" text NOT NULL,
	"status_rank" integer DEFAULT 0 NOT NULL,
	"last_sequence" integer DEFAULT -1 NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"answered_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"ring_seconds" integer,
	"duration_seconds" integer,
	"talk_seconds" integer,
	"dial_status" text,
	"agent_id" uuid,
	"answered_by" text,
	"recording_url" text,
	"recording_sid" text,
	"recording_seconds" integer,
	"first_time" boolean,
	"previous_calls" integer DEFAULT 0 NOT NULL,
	"spam" boolean DEFAULT false NOT NULL,
	"score" integer,
	"score_details" jsonb,
	"sync_state" text DEFAULT 'not_ready' NOT NULL,
	"salesforce_task_id" text,
	"synced_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"phone" text NOT NULL,
	"zip" text,
	"lat" double precision NOT NULL,
	"lon" double precision NOT NULL,
	"timezone" text NOT NULL,
	"hours" jsonb,
	"skills" jsonb,
	"campaign_ids" jsonb,
	"token_hash" text NOT NULL,
	"presence" text DEFAULT 'offline' NOT NULL,
	"last_seen_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agents_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "number_leases" ADD CONSTRAINT "number_leases_number_id_tracking_numbers_id_fk" FOREIGN KEY ("number_id") REFERENCES "public"."tracking_numbers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "number_leases" ADD CONSTRAINT "number_leases_session_id_visitor_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."visitor_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pool_exhaustion_events" ADD CONSTRAINT "pool_exhaustion_events_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tracking_numbers" ADD CONSTRAINT "tracking_numbers_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "visitor_sessions" ADD CONSTRAINT "visitor_sessions_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "visitor_sessions" ADD CONSTRAINT "visitor_sessions_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "visitor_sessions" ADD CONSTRAINT "visitor_sessions_number_id_tracking_numbers_id_fk" FOREIGN KEY ("number_id") REFERENCES "public"."tracking_numbers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "campaigns_site_idx" ON "campaigns" USING btree ("site_id");--> statement-breakpoint
CREATE INDEX "number_leases_number_time_idx" ON "number_leases" USING btree ("number_id","started_at","expires_at");--> statement-breakpoint
CREATE INDEX "pool_exhaustion_campaign_idx" ON "pool_exhaustion_events" USING btree ("campaign_id","occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "tracking_numbers_active_e164_uq" ON "tracking_numbers" USING btree ("e164") WHERE "tracking_numbers"."status" = 'active';--> statement-breakpoint
CREATE INDEX "tracking_numbers_pool_idx" ON "tracking_numbers" USING btree ("campaign_id","kind","status","last_leased_at");--> statement-breakpoint
CREATE INDEX "visitor_sessions_visitor_idx" ON "visitor_sessions" USING btree ("site_id","visitor_id","last_seen_at");--> statement-breakpoint
CREATE UNIQUE INDEX "call_events_dedupe_uq" ON "call_events" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "call_events_call_idx" ON "call_events" USING btree ("call_sid");--> statement-breakpoint
CREATE INDEX "calls_campaign_started_idx" ON "calls" USING btree ("campaign_id","started_at");--> statement-breakpoint
CREATE INDEX "calls_from_started_idx" ON "calls" USING btree ("from_number","started_at");--> statement-breakpoint
CREATE INDEX "calls_started_idx" ON "calls" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "calls_parent_idx" ON "calls" USING btree ("parent_call_sid") WHERE "calls"."parent_call_sid" is not null;