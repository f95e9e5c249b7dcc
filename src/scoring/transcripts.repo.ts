import { asc, inArray } from 'drizzle-orm';
import { callTranscripts } from '../../db/schema';
import type { Db } from '../shared/db';

export type TranscriptRow = typeof callTranscripts.$inferSelect;

/** Scoring's transcript table: one row per final utterance. */
export function createTranscriptsRepo(db: Db) {
  return {
    /** Stores an utterance; false when that (call, track, sequence) is stored already. */
    async insertUtterance(row: TranscriptRow): Promise<boolean> {
      const inserted = await db
        .insert(callTranscripts)
        .values(row)
        .onConflictDoNothing()
        .returning({ callSid: callTranscripts.callSid });
      return inserted.length > 0;
    },

    /** The utterances of some calls, in the order spoken. */
    async forCalls(callSids: string[]): Promise<TranscriptRow[]> {
      if (callSids.length === 0) return [];
      return db
        .select()
        .from(callTranscripts)
        .where(inArray(callTranscripts.callSid, callSids))
        .orderBy(asc(callTranscripts.callSid), asc(callTranscripts.sequence));
    },

    /** Deletes some calls' transcripts (erasure); returns how many utterances went. */
    async deleteForCalls(callSids: string[]): Promise<number> {
      if (callSids.length === 0) return 0;
      const gone = await db
        .delete(callTranscripts)
        .where(inArray(callTranscripts.callSid, callSids))
        .returning({ callSid: callTranscripts.callSid });
      return gone.length;
    },
  };
}
export type TranscriptsRepo = ReturnType<typeof createTranscriptsRepo>;
