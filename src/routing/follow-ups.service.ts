import type { Clock } from '../shared/clock';
import { ConflictError, ForbiddenError, NotFoundError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { TwilioCallsApi } from '../shared/twilio';
import type { AgentPool } from './agent-pool';
import type { AgentRow, AgentsRepo } from './agents.repo';
import type { FollowUpRow, FollowUpsRepo } from './follow-ups.repo';
import type { RoutingRepo } from './routing.repo';
import type { NotifyAgent } from './screen-pop';
import { bridgeTwiml, sayAndHangUp, SORRY } from './twiml';

/** What routing needs to know about a finished call (from the calls feature). */
export interface FinishedCall {
  from: string | null;
  /** The tracking number the caller dialled: the callback shows it as caller id. */
  to: string | null;
  /** The calls feature's outcome: answered, voicemail, missed, abandoned, busy, failed, spam… */
  outcome: string | null;
  endedAt: Date | null;
  city: string | null;
  state: string | null;
  /** The campaign of the number dialled (null: a number Leadline does not track). */
  campaignId: string | null;
}

export interface FollowUpServiceDeps {
  repo: FollowUpsRepo;
  decisions: RoutingRepo;
  agents: Pick<AgentsRepo, 'list' | 'find' | 'claimForCallback' | 'release'>;
  /** This node's view of the agents, told when a callback makes one busy or free. */
  pool?: Pick<AgentPool, 'changed'>;
  /** A callback longer than this is presumed lost (its final status never came). */
  maxCallMs?: number;
  /** The calls feature's view of a call; null when unknown. */
  callOf: (callSid: string) => Promise<FinishedCall | null>;
  /** The same for several calls at once (one read for a whole list), by call sid. */
  callsOf: (callSids: string[]) => Promise<Map<string, FinishedCall>>;
  twilio: TwilioCallsApi;
  notifyAgent: NotifyAgent;
  publicBaseUrl: string;
  clock: Clock;
  log: Logger;
}

/** Outcomes after which nobody needs to call back. */
const NOT_MISSED = new Set(['answered', 'spam', 'in-progress']);
/** A callback leg's final CallStatus → what the follow-up records (completed: the agent answered). */
const CALLBACK_RESULTS = {
  completed: 'answered',
  'no-answer': 'no-answer',
  busy: 'busy',
  failed: 'failed',
  canceled: 'canceled',
} as const;
type CallbackResult = (typeof CALLBACK_RESULTS)[keyof typeof CALLBACK_RESULTS];
const callbackResultOf = (status: string): CallbackResult | undefined =>
  Object.hasOwn(CALLBACK_RESULTS, status)
    ? CALLBACK_RESULTS[status as keyof typeof CALLBACK_RESULTS]
    : undefined;

/** What an agent on a callback is on, in agents.on_call_sid (the leg's sid is not known yet). */
const onCallbackKey = (callSid: string) => `follow-up:${callSid}`;

/** Changes this close together share one broadcast of the lists (a burst of missed calls). */
const BROADCAST_DELAY_MS = 250;
/** How many pending follow-ups a console lists. */
const LIST_LIMIT = 100;

const eligible = (agent: AgentRow, campaignId: string | null) =>
  agent.active &&
  (!agent.campaignIds || agent.campaignIds.length === 0 || campaignId === null
    ? true
    : agent.campaignIds.includes(campaignId));

/**
 * Missed calls are followed up: a call that reached no agent becomes a follow-up, listed in every
 * eligible agent's console, claimed by one (atomically, across nodes), called back through
 * Twilio (the agent rings first, then the caller), and closed with an outcome.
 */
export function createFollowUpService(deps: FollowUpServiceDeps) {
  const { repo, decisions, agents, clock, log } = deps;
  const url = (path: string) => `${deps.publicBaseUrl}${path}`;
  const maxCallMs = deps.maxCallMs ?? 4 * 3600_000;

  /** Marks the agent busy for their callback, as a dialled agent is for a call. */
  async function busyForCallback(callSid: string, agentId: string): Promise<void> {
    const now = clock.now();
    const row = await agents.claimForCallback(agentId, onCallbackKey(callSid), now, {
      staleBefore: new Date(now.getTime() - maxCallMs),
    });
    if (!row) throw new ConflictError('you are on a call; call back once it ends', 'agent_busy');
    deps.pool?.changed(row);
  }

  /** Frees the agent of a callback, as the end of a call frees its agent. */
  async function freeFromCallback(callSid: string): Promise<void> {
    for (const row of await agents.release(onCallbackKey(callSid), clock.now())) {
      deps.pool?.changed(row);
      deps.notifyAgent(row.id, 'call-ended', { callSid });
    }
  }

  /** The list items of some follow-ups: two reads whatever the list's length. */
  async function describe(rows: FollowUpRow[]) {
    const sids = rows.map((f) => f.callSid);
    const [names, calls] = await Promise.all([
      decisions.campaignNamesOf(sids),
      deps.callsOf(sids).catch(() => new Map<string, FinishedCall>()),
    ]);
    return rows.map((f) => {
      const call = calls.get(f.callSid);
      return {
        callSid: f.callSid,
        state: f.state,
        campaign: { id: f.campaignId, name: names.get(f.callSid) ?? null },
        caller: {
          number: call?.from ?? null,
          city: call?.city ?? null,
          state: call?.state ?? null,
        },
        missedAt: f.missedAt,
        claimedBy: f.claimedBy,
        firstCallbackAt: f.firstCallbackAt,
        lastCallback: f.callbackResult
          ? { result: f.callbackResult, at: f.callbackResultAt }
          : null,
      };
    });
  }
  type FollowUpOut = Awaited<ReturnType<typeof describe>>[number];

  const visibleTo = (agent: AgentRow, f: FollowUpOut) =>
    eligible(agent, f.campaign.id) && (f.state === 'open' || f.claimedBy === agent.id);

  /** Sends each eligible agent their list again (on every node, through the sockets' rooms). */
  async function broadcast(): Promise<void> {
    const items = await describe(await repo.listPending(LIST_LIMIT));
    for (const agent of await agents.list()) {
      if (!agent.active) continue;
      deps.notifyAgent(agent.id, 'follow-ups', {
        followUps: items.filter((f) => visibleTo(agent, f)),
      });
    }
  }
  /**
   * One broadcast at a time, a moment after the first change: the changes of that moment, and any
   * while one runs, are sent together, so a burst of missed calls reads and sends the lists (up
   * to 100 items to every agent) a few times, not once per call and all at once.
   */
  let scheduled: Promise<void> | undefined;
  let broadcasting: Promise<void> | undefined;
  let again = false;
  function broadcastQuietly(): Promise<void> {
    scheduled ??= new Promise<void>((resolve) => {
      setTimeout(resolve, BROADCAST_DELAY_MS).unref();
    }).then(() => {
      scheduled = undefined;
      return sendLists();
    });
    return scheduled;
  }
  function sendLists(): Promise<void> {
    if (broadcasting) {
      again = true;
      return broadcasting;
    }
    broadcasting = (async () => {
      do {
        again = false;
        await broadcast().catch((err: unknown) => log.warn({ err }, 'follow-up lists not sent'));
      } while (again);
    })().finally(() => (broadcasting = undefined));
    return broadcasting;
  }

  async function claimedBy(callSid: string, agentId: string): Promise<FollowUpRow> {
    const row = await repo.find(callSid);
    if (!row) throw new NotFoundError('follow-up', 'follow_up_not_found');
    if (row.state !== 'claimed' || row.claimedBy !== agentId) {
      throw new ForbiddenError('claim this follow-up first', 'follow_up_not_claimed');
    }
    return row;
  }

  return {
    /**
     * A parent call reached its final status: if no agent (or fallback) answered it, it becomes
     * a follow-up. Idempotent: a repeated final status keeps the first.
     */
    async callFinished(callSid: string): Promise<void> {
      const [decision, call] = await Promise.all([decisions.find(callSid), deps.callOf(callSid)]);
      if (!call || call.outcome === null || NOT_MISSED.has(call.outcome)) return;
      // A call answered with the fallback number because routing could not decide in time (the
      // database slow or down, or Twilio unable to reach the voice webhook) has no decision: its
      // campaign is the dialled number's. A number Leadline does not track has neither.
      const campaignId = decision?.campaignId ?? call.campaignId;
      if (!campaignId) return;
      const created = await repo.insert({
        callSid,
        campaignId,
        missedAt: call.endedAt ?? clock.now(),
      });
      if (!created) return;
      log.info({ callSid, campaignId, outcome: call.outcome }, 'follow-up');
      void broadcastQuietly();
    },

    /** An agent's list: open follow-ups they may take and the ones they claimed. */
    async listFor(agentId: string): Promise<FollowUpOut[]> {
      const agent = await agents.find(agentId);
      if (!agent) return [];
      const items = await describe(await repo.listPending(LIST_LIMIT));
      return items.filter((f) => visibleTo(agent, f));
    },

    /** Claims a follow-up for one agent; the first claim wins across every node (409 after). */
    async claim(callSid: string, agentId: string) {
      const [agent, row] = await Promise.all([agents.find(agentId), repo.find(callSid)]);
      if (!row) throw new NotFoundError('follow-up', 'follow_up_not_found');
      if (!agent || !eligible(agent, row.campaignId)) {
        throw new ForbiddenError('this follow-up belongs to a campaign you do not take');
      }
      const claimed = await repo.claim(callSid, agentId, clock.now());
      if (!claimed) throw new ConflictError('another agent claimed it first', 'already_claimed');
      void broadcastQuietly();
      return claimed;
    },

    /**
     * Calls the caller back: Twilio rings the agent's phone, and once they answer, asks the
     * bridge route for TwiML that dials the caller. The first attempt's time is what the
     * speed-to-lead report measures.
     */
    async callBack(callSid: string, agentId: string) {
      await claimedBy(callSid, agentId);
      const [agent, call] = await Promise.all([agents.find(agentId), deps.callOf(callSid)]);
      if (!agent) throw new NotFoundError('agent', 'agent_not_found');
      if (!call?.from || !call.to) throw new NotFoundError('caller number', 'caller_unknown');
      // Busy from the moment their phone is rung, so no caller is routed to them meanwhile.
      await busyForCallback(callSid, agentId);
      let placed: { sid: string };
      try {
        placed = await deps.twilio.createCall({
          to: agent.phone,
          from: call.to,
          url: url(`/twilio/follow-ups/${callSid}/bridge`),
          statusCallback: url(`/twilio/follow-ups/${callSid}/status`),
        });
      } catch (err) {
        await freeFromCallback(callSid).catch(() => undefined);
        throw err;
      }
      const row = await repo.recordCallback(callSid, agentId, placed.sid, clock.now());
      log.info({ callSid, agentId, callbackCallSid: placed.sid }, 'follow-up callback placed');
      void broadcastQuietly();
      return row;
    },

    /**
     * A callback leg's status callback: a final status records how the attempt ended (answered,
     * no-answer, busy, failed, canceled; with the time) and frees the agent. Progress events and
     * an earlier attempt's late callback change nothing; Twilio's retries record nothing twice.
     */
    async callbackStatus(
      callSid: string,
      leg: { callbackCallSid: string; status: string },
    ): Promise<void> {
      const result = callbackResultOf(leg.status);
      if (!result) return;
      const recorded = await repo.recordCallbackResult(
        callSid,
        leg.callbackCallSid,
        result,
        clock.now(),
      );
      const latest = recorded ?? (await repo.find(callSid));
      if (latest?.callbackCallSid !== leg.callbackCallSid) return;
      await freeFromCallback(callSid);
      if (!recorded) return;
      log.info(
        { callSid, callbackCallSid: leg.callbackCallSid, result },
        'follow-up callback ended',
      );
      void broadcastQuietly();
    },

    /** The TwiML for the agent's answered leg: dial the caller from the tracking number. */
    async bridge(callSid: string): Promise<string> {
      const [row, call] = await Promise.all([repo.find(callSid), deps.callOf(callSid)]);
      if (!row || row.state !== 'claimed' || !call?.from || !call.to) return sayAndHangUp(SORRY);
      return bridgeTwiml(call.from, call.to);
    },

    /** Closes a claimed follow-up with its outcome. */
    async close(callSid: string, agentId: string, outcome: string) {
      await claimedBy(callSid, agentId);
      const row = await repo.close(callSid, agentId, outcome, clock.now());
      if (!row) throw new ConflictError('the follow-up changed meanwhile', 'follow_up_changed');
      void broadcastQuietly();
      return row;
    },

    /** Whoever claimed a call's follow-up (they may set its disposition after calling back). */
    async claimantOf(callSid: string): Promise<string | null> {
      return (await repo.find(callSid))?.claimedBy ?? null;
    },

    /** Follow-ups of calls missed in [since, until], for the speed-to-lead report. */
    missedBetween: (since: Date, until: Date) => repo.missedBetween(since, until),
  };
}
export type FollowUpService = ReturnType<typeof createFollowUpService>;
