import { sql } from 'drizzle-orm';
import { createAgentsRepo } from '../src/routing/agents.repo';
import { createTestContext, type TestContext } from './support/context';

// The first answer to a call claims the nearest agent and stores the decision that dials them in
// one statement: the decision only if the claim won, nothing if another call had the agent.
let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => {
  await t.close();
});

const NOW = new Date('2026-06-01T15:00:00Z');
const presence = {
  seenAfter: new Date(NOW.getTime() - 60_000),
  staleBefore: new Date(NOW.getTime() - 4 * 3600_000),
};
const decision = (number: string) => ({
  campaignId: null,
  callerPlace: { source: 'none' } as never,
  candidates: [],
  attempts: [{ kind: 'agent' as const, agentId: 'x', number, at: NOW.toISOString() }],
  plan: null,
});

async function availableAgent(name: string): Promise<string> {
  const [row] = await t.ctx.database.rows<{ id: string }>(sql`
    insert into agents (name, phone, lat, lon, timezone, token_hash, presence, last_seen_at)
    values (${name}, '+13035550111', 39.7, -105.0, 'America/Denver', ${`hash-${name}`},
      'available', ${NOW.toISOString()}::timestamptz)
    returning id`);
  return row?.id ?? '';
}

const decisionsOf = (callSid: string) =>
  t.ctx.database.rows<{ winner: string | null; dialled: string | null }>(
    sql`select winner, attempts -> 0 ->> 'number' as dialled from call_routing where call_sid = ${callSid}`,
  );

describe('claiming an agent with the decision', () => {
  it('stores the decision with the claim, and writes nothing for a call that lost the agent', async () => {
    const repo = createAgentsRepo(t.ctx.database);
    const agentId = await availableAgent('Ana');

    // This node's view of the agent is older than the row (their phone changed meanwhile): the
    // stored attempt names the number the TwiML dials, the claimed row's.
    const won = await repo.claim(agentId, 'CA-first', NOW, presence, decision('+13035550999'));
    expect(won).toMatchObject({ id: agentId, name: 'Ana', onCallSid: 'CA-first' });
    expect(won?.onCallSince).toEqual(NOW);
    expect(await decisionsOf('CA-first')).toEqual([{ winner: agentId, dialled: '+13035550111' }]);

    const lost = await repo.claim(agentId, 'CA-second', NOW, presence, decision('+13035550111'));
    expect(lost).toBeUndefined();
    expect(await decisionsOf('CA-second')).toEqual([]);
  });
});
