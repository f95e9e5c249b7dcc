import { buildSpatialIndex } from '../geo/spatial-index';
import { UNKNOWN_PLACE, type Place } from '../geo/place';
import type { AgentSnapshot } from './agent-pool';
import { pickAgents, type PickRequest } from './agent-picker';
import { localTime } from '../geo/local-time';
import { withinHours } from './working-hours';

const NOW = new Date('2026-06-01T18:00:00Z'); // Monday 11:00 in Los Angeles, 14:00 in New York
const CAMPAIGN = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';

let seq = 0;
function agent(overrides: Partial<AgentSnapshot> & { lat: number; lon: number }): AgentSnapshot {
  return {
    id: `agent-${++seq}`,
    name: 'A',
    phone: '+14155550100',
    timezone: 'America/Los_Angeles',
    hours: null,
    campaignIds: [],
    active: true,
    presence: 'available',
    lastSeenAt: new Date(NOW.getTime() - 5_000),
    onCallSid: null,
    onCallSince: null,
    idleSince: null,
    ...overrides,
  };
}

const SF: Place = { lat: 37.77, lon: -122.42, how: 'zip' };

async function pick(list: AgentSnapshot[], r: Partial<PickRequest> = {}) {
  const index = await buildSpatialIndex(list);
  return pickAgents(
    { index, agents: new Map(list.map((a) => [a.id, a])) },
    {
      place: SF,
      campaignId: CAMPAIGN,
      now: NOW,
      seenAfter: new Date(NOW.getTime() - 60_000),
      staleBefore: new Date(NOW.getTime() - 4 * 3600_000),
      max: 3,
      ...r,
    },
  );
}

describe('pickAgents', () => {
  const oakland = () => agent({ lat: 37.8, lon: -122.27 });
  const losAngeles = () => agent({ lat: 34.05, lon: -118.24 });
  const seattle = () => agent({ lat: 47.6, lon: -122.33, timezone: 'America/Los_Angeles' });

  it('orders available agents nearest first, with distances', async () => {
    const [oak, la, sea] = [oakland(), losAngeles(), seattle()];
    const p = await pick([sea, la, oak]);
    expect(p.eligible.map((e) => e.agent.id)).toEqual([oak.id, la.id, sea.id]);
    expect(p.eligible[0]?.km).toBeGreaterThan(10);
    expect(p.eligible[0]?.km).toBeLessThan(20);
  });

  it('skips a busy agent and records why', async () => {
    const busy = agent({ lat: 37.78, lon: -122.41, onCallSid: 'CA1', onCallSince: NOW });
    const la = losAngeles();
    const p = await pick([busy, la]);
    expect(p.eligible.map((e) => e.agent.id)).toEqual([la.id]);
    expect(p.candidates).toEqual([
      { agentId: busy.id, km: expect.any(Number), skipped: 'busy' },
      { agentId: la.id, km: expect.any(Number) },
    ]);
  });

  it('does not count a call held past the stale limit as busy', async () => {
    const stuck = agent({
      lat: 37.78,
      lon: -122.41,
      onCallSid: 'CA1',
      onCallSince: new Date(NOW.getTime() - 5 * 3600_000),
    });
    expect((await pick([stuck])).eligible.map((e) => e.agent.id)).toEqual([stuck.id]);
  });

  it('keeps agents to the campaigns they are allowed (none listed = all)', async () => {
    const other = agent({ lat: 37.78, lon: -122.41, campaignIds: [OTHER] });
    const mine = agent({ lat: 34.05, lon: -118.24, campaignIds: [CAMPAIGN] });
    const anyCampaign = seattle();
    const p = await pick([other, mine, anyCampaign]);
    expect(p.eligible.map((e) => e.agent.id)).toEqual([mine.id, anyCampaign.id]);
    expect(p.candidates.find((c) => c.agentId === other.id)?.skipped).toBe('not-in-campaign');
  });

  it('treats away, offline and silent consoles as away, and leaves inactive agents out', async () => {
    const away = agent({ lat: 37.78, lon: -122.41, presence: 'away' });
    const silent = agent({
      lat: 37.79,
      lon: -122.41,
      lastSeenAt: new Date(NOW.getTime() - 120_000),
    });
    const inactive = agent({ lat: 37.77, lon: -122.42, active: false });
    const p = await pick([away, silent, inactive]);
    expect(p.eligible).toEqual([]);
    expect(p.candidates.map((c) => [c.agentId, c.skipped])).toEqual(
      expect.arrayContaining([
        [away.id, 'away'],
        [silent.id, 'away'],
      ]),
    );
    expect(p.candidates.some((c) => c.agentId === inactive.id)).toBe(false);
  });

  it('respects working hours in the agent’s own time zone', async () => {
    // 18:00 UTC is 11:00 in Los Angeles and 14:00 in New York.
    const morningWest = agent({ lat: 37.78, lon: -122.41, hours: { '1': [['09:00', '12:00']] } });
    const morningEast = agent({
      lat: 37.79,
      lon: -122.41,
      timezone: 'America/New_York',
      hours: { '1': [['09:00', '12:00']] },
    });
    const p = await pick([morningWest, morningEast]);
    expect(p.eligible.map((e) => e.agent.id)).toEqual([morningWest.id]);
    expect(p.candidates.find((c) => c.agentId === morningEast.id)?.skipped).toBe('off-hours');
  });

  it('asks the caller nobody can locate to the agent who has waited longest', async () => {
    const recent = agent({ lat: 37.78, lon: -122.41, idleSince: new Date(NOW.getTime() - 60_000) });
    const longest = agent({
      lat: 47.6,
      lon: -122.33,
      idleSince: new Date(NOW.getTime() - 3_600_000),
    });
    const p = await pick([recent, longest], { place: UNKNOWN_PLACE });
    expect(p.eligible.map((e) => [e.agent.id, e.km])).toEqual([
      [longest.id, null],
      [recent.id, null],
    ]);
  });

  it('leaves out agents already tried for this call', async () => {
    const [oak, la] = [oakland(), losAngeles()];
    const p = await pick([oak, la], { exclude: new Set([oak.id]) });
    expect(p.eligible.map((e) => e.agent.id)).toEqual([la.id]);
  });
});

describe('working hours', () => {
  const nineToFive = { '1': [['09:00', '17:00']] as [string, string][] };

  it('reads the wall clock across the spring-forward DST change', () => {
    // Monday 9 March 2026, after US clocks moved forward on Sunday 8 March: 13:30 UTC = 09:30 EDT.
    const after = localTime(new Date('2026-03-09T13:30:00Z'), 'America/New_York');
    expect(after).toEqual({ day: 1, hhmm: '09:30' });
    expect(withinHours(nineToFive, after)).toBe(true);
    // The Monday before, 13:30 UTC was 08:30 EST: not yet working.
    const before = localTime(new Date('2026-03-02T13:30:00Z'), 'America/New_York');
    expect(before).toEqual({ day: 1, hhmm: '08:30' });
    expect(withinHours(nineToFive, before)).toBe(false);
  });

  it('treats the end of a range as exclusive and other days as off', () => {
    expect(withinHours(nineToFive, { day: 1, hhmm: '17:00' })).toBe(false);
    expect(withinHours(nineToFive, { day: 1, hhmm: '16:59' })).toBe(true);
    expect(withinHours(nineToFive, { day: 2, hhmm: '10:00' })).toBe(false);
    expect(withinHours(null, { day: 0, hhmm: '03:00' })).toBe(true);
  });

  it('crosses midnight into the local weekday, not the UTC one', () => {
    // Tuesday 02:00 UTC is still Monday 19:00 in Los Angeles (PDT).
    expect(localTime(new Date('2026-06-02T02:00:00Z'), 'America/Los_Angeles')).toEqual({
      day: 1,
      hhmm: '19:00',
    });
  });
});
