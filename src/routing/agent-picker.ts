import type { StoredCandidate } from '../../db/schema';
import type { Place } from '../geo/place';
import type { SpatialIndex } from '../geo/spatial-index';
import type { AgentSnapshot } from './agent-pool';
import { localTimes, withinHours } from './working-hours';

export type SkipReason = NonNullable<StoredCandidate['skipped']>;

export interface PickRequest {
  place: Place;
  campaignId: string | null;
  now: Date;
  /** An agent not heard from since this is not available. */
  seenAfter: Date;
  /** A call held since before this is presumed lost and does not make the agent busy. */
  staleBefore: Date;
  /** Agents already tried for this call. */
  exclude?: ReadonlySet<string>;
  /** How many eligible agents to return, nearest (or longest waiting) first. */
  max: number;
}

export interface Pick {
  /** Eligible agents in the order to try them. */
  eligible: { agent: AgentSnapshot; km: number | null }[];
  /** What was considered, for the record: the eligible ones and the nearest skipped, with why. */
  candidates: StoredCandidate[];
}

/** How many skipped agents a decision records (the nearest ones). */
const SKIPPED_KEPT = 10;

/** Why an agent cannot take this call now, or undefined when they can. */
export function whySkip(
  a: AgentSnapshot,
  r: PickRequest,
  localTime: (tz: string) => { day: number; hhmm: string },
): SkipReason | undefined {
  if (r.campaignId && a.campaignIds.length && !a.campaignIds.includes(r.campaignId)) {
    return 'not-in-campaign';
  }
  if (a.presence !== 'available' || !a.lastSeenAt || a.lastSeenAt <= r.seenAfter) return 'away';
  if (a.onCallSid && a.onCallSince && a.onCallSince >= r.staleBefore) return 'busy';
  if (!withinHours(a.hours, localTime(a.timezone))) return 'off-hours';
  return undefined;
}

const round = (km: number) => Math.round(km * 10) / 10;

/**
 * The nearest available agents allowed for the campaign, through the spatial index; when the
 * caller's place is unknown, the available agents who have waited longest since their last call.
 */
export function pickAgents(
  pool: { index: SpatialIndex<AgentSnapshot>; agents: Map<string, AgentSnapshot> },
  r: PickRequest,
): Pick {
  const localTime = localTimes(r.now);
  const skipped: { agentId: string; km: number | null; skipped: SkipReason }[] = [];
  const accept = (a: AgentSnapshot, km: number | null) => {
    if (!a.active || r.exclude?.has(a.id)) return false;
    const why = whySkip(a, r, localTime);
    if (why && skipped.length < 1000) skipped.push({ agentId: a.id, km, skipped: why });
    return !why;
  };

  let eligible: Pick['eligible'];
  if (r.place.lat !== null && r.place.lon !== null) {
    eligible = pool.index
      .nearest(r.place.lat, r.place.lon, r.max, (a, km) => accept(a, km))
      .map(({ item, km }) => ({ agent: item, km }));
  } else {
    const waiting = (a: AgentSnapshot) => a.idleSince?.getTime() ?? 0;
    eligible = [...pool.agents.values()]
      .filter((a) => accept(a, null))
      .sort((a, b) => waiting(a) - waiting(b))
      .slice(0, r.max)
      .map((agent) => ({ agent, km: null }));
  }

  // Keep the nearest skipped agents that were closer than the farthest one chosen (all of them
  // when the search ran out of agents before finding enough).
  const farthest = eligible.length < r.max ? Infinity : (eligible.at(-1)?.km ?? Infinity);
  const kept = skipped
    .filter((s) => s.km === null || s.km <= farthest)
    .sort((a, b) => (a.km ?? 0) - (b.km ?? 0))
    .slice(0, SKIPPED_KEPT);
  const candidates: StoredCandidate[] = [
    ...eligible.map((e) => ({ agentId: e.agent.id, km: e.km === null ? null : round(e.km) })),
    ...kept.map((s) => ({ ...s, km: s.km === null ? null : round(s.km) })),
  ].sort((a, b) => (a.km ?? 0) - (b.km ?? 0));
  return { eligible, candidates };
}
