import { randomUUID } from 'node:crypto';
import type { CallRow } from '../calls/calls.repo';
import type { CallService } from '../calls/calls.service';
import type { Enqueue } from '../jobs/queue';
import type { Clock } from '../shared/clock';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { DEFAULT_RULES_VERSION, defaultRuleSet } from './default-rules';
import type { Utterance } from './key-terms';
import { formatPath, ruleSetInput, type RuleSet } from './rules.schemas';
import { scoreCall, type CallFacts, type CallScore } from './scorer';
import type { ScoringRepo } from './scoring.repo';

/** Statuses after which Twilio sends nothing more about a call: it can be scored. */
export const FINAL_STATUSES = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

export interface ScoringServiceDeps {
  repo: ScoringRepo;
  calls: Pick<CallService, 'findCall' | 'listCalls'>;
  sites: { getSite(id: string): Promise<unknown> };
  enqueue: Enqueue;
  clock: Clock;
  log: Logger;
  /** Calls' final utterances, for key-term rules, and their erasure (the transcript service). */
  transcripts?: {
    transcriptsOf(callSids: string[]): Promise<Map<string, Utterance[]>>;
    forgetCalls?(callSids: string[]): Promise<number>;
    forgetOlderThan?(
      before: Date,
      limit: number,
    ): Promise<{ callSids: string[]; utterances: number }>;
  };
  /** The call's disposition label (routing owns dispositions); absent: no disposition fact. */
  dispositionOf?: (callSid: string) => Promise<string | null>;
}

/** The document of `GET/PUT /api/v1/scoring-rules`. */
export interface RuleSetDocument extends RuleSet {
  siteId: string;
  version: number;
}

const RESCORE_PAGE = 200;

/** Explanation facts that say where the caller was. */
const PLACE_FACTS = ['callerState', 'callerZip', 'distanceKm'] as const;
/** Explanation facts that quote a transcript (key-term rules). */
const QUOTE_FACTS = ['term', 'utterance'] as const;

/** Rules per site (versioned), scoring a call with them, and rescoring calls after a change. */
export function createScoringService(deps: ScoringServiceDeps) {
  const { repo, calls, sites, enqueue, clock, log } = deps;
  const transcriptsOf = (callSids: string[]) =>
    deps.transcripts?.transcriptsOf(callSids) ?? Promise.resolve(new Map<string, Utterance[]>());

  async function rulesFor(siteId: string | null): Promise<{ version: number; ruleSet: RuleSet }> {
    const row = siteId ? await repo.latestRuleSet(siteId) : undefined;
    if (!row) return { version: DEFAULT_RULES_VERSION, ruleSet: defaultRuleSet };
    // Stored documents were validated when saved; parsing again fills defaults added since.
    return { version: row.version, ruleSet: ruleSetInput.parse(row.document) };
  }

  async function scoreRow(
    call: CallRow,
    transcript: Utterance[],
    ruleSetFor = rulesFor,
  ): Promise<CallScore> {
    const { version, ruleSet } = await ruleSetFor(call.siteId);
    const disposition = (await deps.dispositionOf?.(call.callSid)) ?? null;
    const result = scoreCall({ ...factsOf(call, transcript), disposition }, ruleSet, version);
    await repo.upsertScore({
      callSid: call.callSid,
      siteId: call.siteId,
      score: result.score,
      qualified: result.qualified,
      label: result.label,
      explanation: result.explanation,
      rulesVersion: result.rulesVersion,
      scoredAt: clock.now(),
    });
    return result;
  }

  return {
    /** A site's rules in force: its latest saved version, or the defaults (version 0). */
    async getRules(siteId: string): Promise<RuleSetDocument> {
      await sites.getSite(siteId);
      const { version, ruleSet } = await rulesFor(siteId);
      return { siteId, version, ...ruleSet };
    },

    /**
     * Replaces a site's rules with a new version. A bad document is a 400 naming the bad rule
     * (`rules[2].when.all[0]: unknown fact "talkSecs"`), and nothing is saved.
     */
    async putRules(siteId: string, input: unknown): Promise<RuleSetDocument> {
      await sites.getSite(siteId);
      const parsed = ruleSetInput.safeParse(input);
      if (!parsed.success) throw ruleSetError(parsed.error.issues, input);
      const latest = await repo.latestRuleSet(siteId);
      const version = (latest?.version ?? DEFAULT_RULES_VERSION) + 1;
      if (!(await repo.insertRuleSet(siteId, version, parsed.data))) {
        throw new ConflictError('the rules changed meanwhile; read them again', 'rules_changed');
      }
      log.info({ siteId, version }, 'scoring rules saved');
      return { siteId, version, ...parsed.data };
    },

    /** Scores one call if it has finished; null when it is unknown or still going. Idempotent. */
    async scoreCall(callSid: string): Promise<CallScore | null> {
      const call = await calls.findCall(callSid);
      if (!call || call.parentCallSid || !FINAL_STATUSES.has(call.status)) return null;
      const transcript = (await transcriptsOf([callSid])).get(callSid) ?? [];
      return scoreRow(call, transcript);
    },

    /** The scores of some calls, by call sid (calls without one are absent). */
    async scoresFor(callSids: string[]): Promise<Map<string, CallScore>> {
      const rows = await repo.scoresFor(callSids);
      return new Map(
        rows.map((r) => [
          r.callSid,
          {
            score: r.score,
            qualified: r.qualified,
            label: r.label,
            explanation: r.explanation as CallScore['explanation'],
            rulesVersion: r.rulesVersion,
          },
        ]),
      );
    },

    /** Queues rescoring of calls started since `since` (one site's, or all); returns the job id. */
    async startRescore(input: { siteId?: string; since: Date }): Promise<{ jobId: string }> {
      if (input.siteId) await sites.getSite(input.siteId);
      const id = randomUUID();
      const siteId = input.siteId ?? null;
      await repo.createRun({ id, siteId, since: input.since });
      await enqueue(
        'scoring.rescore',
        { runId: id, siteId, since: input.since.toISOString() },
        { id },
      );
      return { jobId: id };
    },

    async rescoreProgress(jobId: string) {
      const run = await repo.getRun(jobId);
      if (!run) throw new NotFoundError('rescore job', 'rescore_job_not_found');
      return {
        jobId: run.id,
        siteId: run.siteId,
        since: run.since,
        state: run.state,
        scored: run.scored,
        error: run.error,
        createdAt: run.createdAt,
        finishedAt: run.finishedAt,
      };
    },

    /** The `scoring.rescore` job: walks the calls newest first, a page at a time. */
    async runRescore(p: { runId: string; siteId: string | null; since: string }): Promise<void> {
      // A retried run starts over; scoring is idempotent, so only the count restarts.
      await repo.updateRun(p.runId, { state: 'running', scored: 0, error: null });
      const rules = new Map<string | null, Promise<{ version: number; ruleSet: RuleSet }>>();
      const cachedRules = (siteId: string | null) => {
        let r = rules.get(siteId);
        if (!r) rules.set(siteId, (r = rulesFor(siteId)));
        return r;
      };
      try {
        let cursor: { startedAt: Date; callSid: string } | undefined;
        for (;;) {
          const page = await calls.listCalls({
            since: new Date(p.since),
            cursor,
            limit: RESCORE_PAGE,
          });
          const mine = page.filter(
            (c) => FINAL_STATUSES.has(c.status) && (p.siteId === null || c.siteId === p.siteId),
          );
          const transcripts = await transcriptsOf(mine.map((c) => c.callSid));
          for (const call of mine) {
            await scoreRow(call, transcripts.get(call.callSid) ?? [], cachedRules);
          }
          if (mine.length > 0) await repo.addScored(p.runId, mine.length);
          const last = page[page.length - 1];
          if (page.length < RESCORE_PAGE || !last) break;
          cursor = { startedAt: last.startedAt, callSid: last.callSid };
        }
        await repo.updateRun(p.runId, { state: 'completed', finishedAt: clock.now() });
      } catch (err) {
        await repo
          .updateRun(p.runId, { state: 'failed', error: String(err) })
          .catch(() => undefined);
        throw err;
      }
    },

    /** Privacy: the caller's place and quoted words leave these calls' explanations; scores stay. */
    forgetCallerFacts: (callSids: string[]) =>
      repo.forgetFacts(callSids, [...PLACE_FACTS, ...QUOTE_FACTS]),

    /** Privacy (erasure): deletes these calls' transcripts; returns how many utterances went. */
    forgetTranscripts: async (callSids: string[]): Promise<number> =>
      (await deps.transcripts?.forgetCalls?.(callSids)) ?? 0,

    /**
     * Privacy (retention): deletes the transcripts of up to `limit` calls with an utterance older
     * than `before`, and the quotes of them in those calls' explanations. Returns the utterances.
     */
    async expireTranscripts(before: Date, limit: number): Promise<number> {
      const gone = await deps.transcripts?.forgetOlderThan?.(before, limit);
      if (!gone) return 0;
      await repo.forgetFacts(gone.callSids, QUOTE_FACTS);
      return gone.utterances;
    },
  };
}
export type ScoringService = ReturnType<typeof createScoringService>;

/** The facts a rule can test, read from a call. */
export function factsOf(c: CallRow, transcript: Utterance[] = []): CallFacts {
  return {
    callSid: c.callSid,
    siteId: c.siteId,
    campaignId: c.campaignId,
    answered: c.outcome === 'answered' || (c.talkSeconds ?? 0) > 0,
    talkSeconds: c.talkSeconds,
    firstTime: c.firstTime,
    source: c.source,
    medium: c.medium,
    keyword: c.keyword,
    callerState: c.callerState,
    callerZip: c.callerZip,
    startedAt: c.startedAt,
    // Filled in by scoreRow from routing's dispositions (injected); a bare call has none.
    disposition: null,
    spam: c.spam,
    attribution: c.attribution,
    transcript,
  };
}

function ruleSetError(
  issues: { path: (string | number)[]; message: string }[],
  input: unknown,
): ValidationError {
  const rules = (input as { rules?: unknown })?.rules;
  const details = issues.map((i) => {
    const index = i.path[0] === 'rules' && typeof i.path[1] === 'number' ? i.path[1] : undefined;
    const rule =
      index !== undefined && Array.isArray(rules)
        ? (rules[index] as { id?: unknown } | undefined)?.id
        : undefined;
    return {
      field: formatPath(i.path) || 'body',
      message: i.message,
      ...(typeof rule === 'string' ? { ruleId: rule } : {}),
    };
  });
  const summary = details
    .slice(0, 5)
    .map((d) => `${d.field}: ${d.message}`)
    .join('; ');
  return new ValidationError(`invalid scoring rules: ${summary}`, details);
}
