ALTER TABLE "campaigns" ADD COLUMN "record_calls" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "call_events" ADD COLUMN "root_call_sid" text NOT NULL;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "outcome" text;--> statement-breakpoint
CREATE INDEX "number_leases_session_idx" ON "number_leases" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "call_events_root_idx" ON "call_events" USING btree ("root_call_sid");