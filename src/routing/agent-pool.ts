import type { WeeklyHours } from '../../db/schema';
import { buildSpatialIndex, type SpatialIndex } from '../geo/spatial-index';
import type { Logger } from '../shared/logger';
import type { AgentRow, AgentsRepo } from './agents.repo';

/** What routing needs to know about an agent, kept in memory on every node. */
export interface AgentSnapshot {
  id: string;
  name: string;
  phone: string;
  lat: number;
  lon: number;
  timezone: string;
  hours: WeeklyHours | null;
  campaignIds: string[];
  active: boolean;
  presence: AgentRow['presence'];
  lastSeenAt: Date | null;
  onCallSid: string | null;
  onCallSince: Date | null;
  idleSince: Date | null;
}

const snapshotOf = (r: AgentRow): AgentSnapshot => ({
  id: r.id,
  name: r.name,
  phone: r.phone,
  lat: r.lat,
  lon: r.lon,
  timezone: r.timezone,
  hours: r.hours ?? null,
  campaignIds: r.campaignIds ?? [],
  active: r.active,
  presence: r.presence,
  lastSeenAt: r.lastSeenAt,
  onCallSid: r.onCallSid,
  onCallSince: r.onCallSince,
  idleSince: r.idleSince,
});

export interface AgentPoolDeps {
  repo: AgentsRepo;
  log: Logger;
  /** How often other nodes' changes are read (ms). */
  syncEveryMs?: number;
}

/**
 * Every node's view of the agents: a map of their current state, and a spatial index over their
 * positions. The index is rebuilt only when an agent is added or moves (never per call); presence
 * and calls change the map in place, which the routing filter reads. Changes made on this node
 * apply at once; other nodes' arrive with the next sync. The view may lag: the atomic claim in
 * SQL is what guarantees an agent is dialled for one call at a time.
 */
export function createAgentPool(deps: AgentPoolDeps) {
  const { repo, log } = deps;
  const agents = new Map<string, AgentSnapshot>();
  let index: SpatialIndex<AgentSnapshot> | null = null;
  let building: Promise<void> | null = null;
  let stale = true;
  let cursor = new Date(0);
  let timer: NodeJS.Timeout | undefined;
  let loaded: Promise<void> | null = null;

  function rebuild(): Promise<void> {
    stale = false;
    const points = [...agents.values()];
    const run = buildSpatialIndex(points).then((built) => {
      index = built;
      if (building === run) building = null;
    });
    building = run;
    return run;
  }

  /** Applies a row; returns true when the index must be rebuilt (new agent or a move). */
  function apply(row: AgentRow): boolean {
    const before = agents.get(row.id);
    const next = snapshotOf(row);
    if (before) Object.assign(before, next);
    else agents.set(row.id, next);
    if (row.updatedAt > cursor) cursor = row.updatedAt;
    return !before || before.lat !== next.lat || before.lon !== next.lon;
  }

  async function sync(): Promise<void> {
    // A margin re-reads the last seconds: rows committed late with an earlier timestamp.
    const rows = await repo.changedSince(new Date(cursor.getTime() - 2000));
    let moved = false;
    for (const r of rows) moved = apply(r) || moved;
    if (moved) stale = true;
  }

  function load(): Promise<void> {
    loaded ??= sync().catch((err: unknown) => {
      loaded = null;
      throw err;
    });
    return loaded;
  }

  /** The index, current with every change this node knows of. Waits only after a change. */
  async function ready() {
    await load();
    if (stale || !index) await rebuild();
    else if (building) await building;
    if (!index) throw new Error('agent index was not built');
    return { index, agents };
  }

  return {
    /** Loads every agent once (on first use, or from start()). */
    load,
    ready,
    /** A change made on this node (create, edit, presence, claim, release). */
    changed(row: AgentRow): void {
      if (apply(row)) {
        stale = true;
        // Rebuild now, in the background, so the next call finds it ready.
        void rebuild().catch((err: unknown) => log.error({ err }, 'agent index rebuild failed'));
      }
    },

    get: (id: string) => agents.get(id),

    start(): void {
      const every = deps.syncEveryMs ?? 2000;
      timer = setInterval(() => {
        sync().catch((err: unknown) => log.warn({ err }, 'agent sync failed; will retry'));
      }, every);
      timer.unref();
    },
    stop(): void {
      if (timer) clearInterval(timer);
    },
    sync,
  };
}
export type AgentPool = ReturnType<typeof createAgentPool>;
