import request from 'supertest';
import { startLeadlineInProcess, type InProcessLeadline } from '../scripts/simulate/in-process';
import { countLabels, type ScoredCall } from '../scripts/simulate/labels';
import { runSimulation, type CallResult } from '../scripts/simulate/run';
import { openTestDatabase } from './support/database';

let leadline: InProcessLeadline;
let drop: () => Promise<void>;
let run: { results: CallResult[]; scored: ScoredCall[]; exitCode: number };
const lines: string[] = [];

// One simulated day (npm run simulate -- --in-process) through the real webhooks, queue and
// scorer with the default rules: visitors, their calls (answered ones with scripted transcripts),
// and a robocaller on the block list.
beforeAll(async () => {
  const { database, drop: dropDatabase } = await openTestDatabase();
  drop = dropDatabase;
  leadline = await startLeadlineInProcess({ database, logLevel: 'silent' });
  run = await runSimulation(
    {
      visitors: 40,
      calls: 25,
      base: leadline.base,
      publicBaseUrl: leadline.base,
      adminKey: leadline.adminKey,
      authToken: leadline.authToken,
      accountSid: leadline.accountSid,
      duplicates: 0,
      reorder: false,
      seed: 7,
      maxPool: 60,
    },
    { log: (line) => lines.push(line) },
  );
}, 120_000);
afterAll(async () => {
  await leadline?.close();
  await drop?.();
});

const total = (s: ScoredCall) => s.explanation.reduce((n, e) => n + e.points, 0);

describe('a simulated day of calls, scored with the default rules', () => {
  it('scores every call, with at least three distinct labels', () => {
    expect(run.exitCode).toBe(0);
    // Every placed call and the robocaller's.
    expect(run.scored).toHaveLength(run.results.length + 1);
    const present = [...countLabels(run.scored)].filter(([, n]) => n > 0).map(([l]) => l);
    expect(present.length).toBeGreaterThanOrEqual(3);
    expect(present).toEqual(expect.arrayContaining(['hot', 'cold', 'spam']));
    expect(lines.find((l) => l.startsWith('scores: '))).toMatch(/\d+ hot, \d+ warm, \d+ cold/);
  });

  it('explains each label by the rules that fired, their points and the facts they saw', () => {
    for (const s of run.scored) {
      expect(s.explanation.length).toBeGreaterThan(0);
      // The score is the explanation's points, clamped to 0–100: nothing hidden.
      expect(s.score).toBe(Math.max(0, Math.min(100, total(s))));
      for (const e of s.explanation) expect(Object.keys(e.facts).length).toBeGreaterThan(0);
      const rules = s.explanation.map((e) => e.rule);
      if (s.label === 'spam') expect(rules).toContain('spam');
      if (s.label === 'hot') {
        expect(s.score).toBeGreaterThanOrEqual(70);
        expect(rules).toEqual(expect.arrayContaining(['answered', 'conversation']));
      }
      if (s.label === 'cold') expect(s.score).toBeLessThan(40);
      if (s.label === 'warm') expect(s.score).toBeGreaterThanOrEqual(40);
    }
    // What callers said reaches the explanation as a quote.
    const quoted = run.scored.flatMap((s) =>
      s.explanation.filter((e) => typeof e.facts.utterance === 'string'),
    );
    expect(quoted.length).toBeGreaterThan(0);
    for (const e of quoted) {
      expect(String(e.facts.utterance).toLowerCase()).toContain(String(e.facts.term));
    }
  });

  it('shows the labels in GET /api/v1/calls, filterable by label', async () => {
    for (const [label, n] of countLabels(run.scored)) {
      if (n === 0) continue;
      const res = await request(leadline.base)
        .get(`/api/v1/calls?label=${label}&limit=200`)
        .set('Authorization', `Bearer ${leadline.adminKey}`)
        .expect(200);
      const calls = res.body.calls as {
        callSid: string;
        score: { label: string };
      }[];
      const mine = calls.filter((c) => run.scored.some((s) => s.callSid === c.callSid));
      expect(mine).toHaveLength(n);
      for (const c of mine) expect(c.score.label).toBe(label);
    }
  });
});
