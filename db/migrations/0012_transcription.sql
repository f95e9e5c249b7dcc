CREATE TABLE "call_transcripts" (
	"call_sid" text NOT NULL,
	"track" text NOT NULL,
	"sequence" integer NOT NULL,
	"text" text NOT NULL,
	"confidence" real,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "call_transcripts_call_sid_track_sequence_pk" PRIMARY KEY("call_sid","track","sequence")
);
--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "transcription" boolean DEFAULT false NOT NULL;