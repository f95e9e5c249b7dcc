import { asc, inArray, lt } from 'drizzle-orm';
import { callTranscripts } from '../../db/schema';
import type { Db } from '../shared/db';

export type TranscriptRow = typeof callTranscripts.$inferSelect;

/** Scoring's transcript table: one row per final utterance. */
export function createTranscriptsRepo(db: Db) {
  async function deleteForCalls(callSids: string[]): Promise<number> {
    if (callSids.length === 0) return 0;
    const gone = await db
      .delete(callTranscripts)
      .where(inArray(callTranscripts.callSid, callSids))
      .returning({ callSid: callTranscripts.callSid });
    return gone.length;
  }

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
    deleteForCalls,

    /**
     * Deletes the transcripts of up to `limit` calls that have an utterance before `before`
     * (a call's transcript goes whole); returns those calls and how many utterances went.
     */
    async deleteOlderThan(
      before: Date,
      limit: number,
    ): Promise<{ callSids: string[]; utterances: number }> {
      const old = await db
        .selectDistinct({ callSid: callTranscripts.callSid })
        .from(callTranscripts)
        .where(lt(callTranscripts.at, before))
        .limit(limit);
      const callSids = old.map((r) => r.callSid);
      return { callSids, utterances: await deleteForCalls(callSids) };
    },
  };
}
export type TranscriptsRepo = ReturnType<typeof createTranscriptsRepo>;
