// The routing decision at scale, in process: the nearest available agent among 100,000 through
// the spatial index (routing's own pickAgents), against a linear scan that applies the same
// availability rule to every agent. Used by `npm run bench`; runnable alone with
// `tsx scripts/bench-routing.ts`.
import { buildSpatialIndex } from '../src/geo/spatial-index';
import { pickAgents, whySkip, type PickRequest } from '../src/routing/agent-picker';
import type { AgentSnapshot } from '../src/routing/agent-pool';
import { localTimes } from '../src/routing/working-hours';
import { percentile, type MicroRow } from './bench/stats';
import { mulberry32 } from '../src/shared/random';
import { greatCircleKm } from '../src/geo/distance';

const AGENTS = 100_000;
const TIMEZONES = ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles'];

/** Agents spread over the contiguous US; about 60% available, the rest away, busy or off-hours. */
function makeAgents(rng: () => number, now: Date): AgentSnapshot[] {
  const agents: AgentSnapshot[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const roll = rng();
    agents.push({
      id: `agent-${i}`,
      name: `Agent ${i}`,
      phone: `+1206555${String(i % 10_000).padStart(4, '0')}`,
      lat: 25 + rng() * 24,
      lon: -124 + rng() * 57,
      timezone: TIMEZONES[i % TIMEZONES.length] ?? 'America/New_York',
      hours: roll > 0.9 ? { '0': [['09:00', '09:01']] } : null,
      campaignIds: [],
      active: true,
      presence: roll < 0.75 ? 'available' : 'away',
      lastSeenAt: now,
      onCallSid: roll > 0.6 && roll < 0.75 ? `CA${i}` : null,
      onCallSince: roll > 0.6 && roll < 0.75 ? now : null,
      idleSince: null,
    });
  }
  return agents;
}

function rowOf(name: string, timesMs: number[], errors: number): MicroRow {
  const total = timesMs.reduce((s, t) => s + t, 0);
  return {
    name,
    rps: Math.round(timesMs.length / (total / 1000)),
    p50Ms: +percentile(timesMs, 50).toFixed(4),
    p99Ms: +percentile(timesMs, 99).toFixed(4),
    errors,
  };
}

/** Runs both rows; the linear scan checks that both find the same nearest agent. */
export async function benchRouting(opts: { queries?: number; scanQueries?: number } = {}) {
  const rng = mulberry32(20_261_129);
  const now = new Date();
  const agents = makeAgents(rng, now);
  const index = await buildSpatialIndex(agents);
  const pool = { index, agents: new Map(agents.map((a) => [a.id, a])) };
  const request = (lat: number, lon: number): PickRequest => ({
    place: { lat, lon, how: 'zip' },
    campaignId: null,
    now,
    seenAfter: new Date(now.getTime() - 60_000),
    staleBefore: new Date(now.getTime() - 4 * 3_600_000),
    max: 1,
  });
  const callers = Array.from({ length: opts.queries ?? 20_000 }, () => ({
    lat: 25 + rng() * 24,
    lon: -124 + rng() * 57,
  }));

  // Warm up the JIT on both paths before timing.
  for (const c of callers.slice(0, 200)) pickAgents(pool, request(c.lat, c.lon));

  const indexed: number[] = [];
  const chosen: (string | undefined)[] = [];
  for (const c of callers) {
    const t0 = process.hrtime.bigint();
    const pick = pickAgents(pool, request(c.lat, c.lon));
    indexed.push(Number(process.hrtime.bigint() - t0) / 1e6);
    chosen.push(pick.eligible[0]?.agent.id);
  }

  const scan: number[] = [];
  let mismatches = 0;
  const scanCount = Math.min(opts.scanQueries ?? 300, callers.length);
  for (let q = 0; q < scanCount; q++) {
    const c = callers[q];
    if (!c) break;
    const t0 = process.hrtime.bigint();
    const r = request(c.lat, c.lon);
    const localTime = localTimes(r.now);
    let best: AgentSnapshot | undefined;
    let bestKm = Infinity;
    for (const a of agents) {
      if (!a.active || whySkip(a, r, localTime)) continue;
      const km = greatCircleKm(c.lat, c.lon, a.lat, a.lon);
      if (km < bestKm) [best, bestKm] = [a, km];
    }
    scan.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (best?.id !== chosen[q]) mismatches += 1;
  }

  return [
    rowOf('routing nearest of 100,000', indexed, 0),
    // A mismatch would mean the index and the scan disagree on the nearest agent: an error.
    rowOf('linear scan of 100,000', scan, mismatches),
  ];
}

if (require.main === module) {
  void benchRouting().then((rows) => {
    console.table(rows);
    const [idx, lin] = rows;
    if (idx && lin) console.log(`index is ${(idx.rps / lin.rps).toFixed(0)}x the linear scan`);
  });
}
