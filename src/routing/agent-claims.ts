import type { StoredCandidate, StoredPlace } from '../../db/schema';
import type { DirectoryEntry } from '../numbers/number-directory';
import type { Clock } from '../shared/clock';
import type { AgentPool } from './agent-pool';
import { pickAgents } from './agent-picker';
import type { AgentRow, AgentsRepo } from './agents.repo';
import type { NewCallRouting } from './routing.repo';
import { DEFAULT_ROUTING } from './answers';
import type { NotifyAgent } from './screen-pop';

export interface AgentClaimsDeps {
  agents: Pick<AgentsRepo, 'claim' | 'release'>;
  pool: AgentPool;
  clock: Clock;
  notifyAgent: NotifyAgent;
  /** An agent whose console has not been heard from for this long is not available. */
  heartbeatTimeoutMs: number;
  /** A call longer than this is presumed lost (its final callback never came). */
  maxCallMs: number;
  /** Past this (ms since the webhook arrived) no agent is claimed: the caller went elsewhere. */
  answerDeadlineMs: number;
}

/** Spare candidates beyond the first, for claims lost to another call at the same moment. */
const CLAIM_SPARES = 4;

/**
 * Agents busy on calls: the nearest available agent claimed for a call (atomically in SQL, so two
 * calls on any nodes never dial one agent), and freed again when their leg or the call ends.
 */
export function createAgentClaims(deps: AgentClaimsDeps) {
  const { agents, pool, clock } = deps;
  const presence = (now: Date) => ({
    seenAfter: new Date(now.getTime() - deps.heartbeatTimeoutMs),
    staleBefore: new Date(now.getTime() - deps.maxCallMs),
  });

  return {
    /** Picks and claims the nearest available agent, trying the next if another call took one. */
    async claimNearest(
      callSid: string,
      place: StoredPlace,
      number: DirectoryEntry,
      exclude: ReadonlySet<string>,
      /** performance.now() when the webhook arrived. */
      started: number,
      /**
       * The call's first routing decision, should this agent win: stored by the claim's own
       * statement (one round trip for the usual call). Without it, only the agent is claimed.
       */
      decisionFor?: (
        agent: Pick<AgentRow, 'id' | 'phone'>,
        candidates: StoredCandidate[],
      ) => Omit<NewCallRouting, 'callSid' | 'winner'>,
    ): Promise<{ winner: AgentRow | undefined; candidates: StoredCandidate[] }> {
      const settings = number.routing ?? DEFAULT_ROUTING;
      if (settings.maxAgentAttempts <= 0) return { winner: undefined, candidates: [] };
      const now = clock.now();
      const pick = pickAgents(await pool.ready(), {
        place,
        campaignId: number.campaignId,
        now,
        ...presence(now),
        exclude,
        max: 1 + CLAIM_SPARES,
      });
      for (const { agent } of pick.eligible) {
        // Real time, not the injected clock: past the deadline the caller was sent elsewhere.
        if (performance.now() - started > deps.answerDeadlineMs) break;
        const row = await agents.claim(
          agent.id,
          callSid,
          now,
          presence(now),
          decisionFor?.(agent, pick.candidates),
        );
        if (row) {
          pool.changed(row);
          return { winner: row, candidates: pick.candidates };
        }
        // Another call (maybe on another node) took them a moment ago.
        const c = pick.candidates.find((x) => x.agentId === agent.id);
        if (c) c.skipped = 'busy';
      }
      return { winner: undefined, candidates: pick.candidates };
    },

    /** Frees the agents on a call (or one of them) and tells their consoles the call ended. */
    async free(callSid: string, agentId?: string): Promise<void> {
      const freed = await agents.release(callSid, clock.now(), agentId);
      for (const row of freed) {
        pool.changed(row);
        deps.notifyAgent(row.id, 'call-ended', { callSid });
      }
    },
  };
}
export type AgentClaims = ReturnType<typeof createAgentClaims>;
