import { ruleSetInput, type Condition } from './rules.schemas';
import { matches, scoreCall, type CallFacts } from './scorer';
import { defaultRuleSet } from './default-rules';

const CAMPAIGN_A = '11111111-1111-4111-8111-111111111111';
const CAMPAIGN_B = '22222222-2222-4222-8222-222222222222';

function facts(over: Partial<CallFacts> = {}): CallFacts {
  return {
    callSid: `CA${'0'.repeat(32)}`,
    siteId: null,
    campaignId: CAMPAIGN_A,
    answered: true,
    talkSeconds: 120,
    firstTime: true,
    source: 'google',
    medium: 'cpc',
    keyword: 'emergency plumber',
    callerState: 'WA',
    callerZip: '98101',
    // A Tuesday, 10:30 in Chicago.
    startedAt: new Date('2026-06-02T15:30:00Z'),
    disposition: null,
    spam: false,
    attribution: 'exact',
    ...over,
  };
}

const test = (cond: Condition, f: CallFacts) => {
  const seen: Record<string, unknown> = {};
  return { hit: matches(cond, f, seen), seen };
};

describe('conditions over call facts', () => {
  it.each<[string, Condition, Partial<CallFacts>, Partial<CallFacts>]>([
    ['answered', { fact: 'answered', is: true }, { answered: true }, { answered: false }],
    ['firstTime', { fact: 'firstTime', is: false }, { firstTime: false }, { firstTime: true }],
    ['spam', { fact: 'spam', is: true }, { spam: true }, { spam: false }],
    ['talkSeconds gte', { fact: 'talkSeconds', gte: 60 }, { talkSeconds: 60 }, { talkSeconds: 59 }],
    ['talkSeconds lte', { fact: 'talkSeconds', lte: 15 }, { talkSeconds: 15 }, { talkSeconds: 16 }],
    ['campaign', { fact: 'campaign', in: [CAMPAIGN_B] }, { campaignId: CAMPAIGN_B }, {}],
    [
      'source equals',
      { fact: 'source', equals: 'Google' },
      { source: 'google' },
      { source: 'bing' },
    ],
    ['medium in', { fact: 'medium', in: ['cpc', 'ppc'] }, { medium: 'PPC' }, { medium: 'organic' }],
    ['keyword', { fact: 'keyword', equals: 'plumber' }, { keyword: 'plumber' }, { keyword: null }],
    ['callerState', { fact: 'callerState', in: ['wa', 'OR'] }, {}, { callerState: 'CA' }],
    [
      'callerDistance (Seattle within 50 km)',
      { fact: 'callerDistance', lat: 47.6062, lon: -122.3321, withinKm: 50 },
      { callerZip: '98101' },
      { callerZip: '10001' },
    ],
    [
      'hourOfDay in a time zone',
      { fact: 'hourOfDay', timezone: 'America/Chicago', from: 9, to: 17 },
      {},
      { startedAt: new Date('2026-06-02T03:00:00Z') },
    ],
    [
      'hourOfDay wrapping past midnight',
      { fact: 'hourOfDay', timezone: 'UTC', from: 22, to: 6 },
      { startedAt: new Date('2026-06-02T23:30:00Z') },
      { startedAt: new Date('2026-06-02T12:00:00Z') },
    ],
    [
      'businessHours',
      {
        fact: 'businessHours',
        timezone: 'America/Chicago',
        days: [1, 2, 3, 4, 5],
        open: '09:00',
        close: '17:00',
      },
      {},
      // Sunday 10:30 in Chicago: the right hour on a closed day.
      { startedAt: new Date('2026-06-07T15:30:00Z') },
    ],
    [
      'disposition',
      { fact: 'disposition', in: ['booked'] },
      { disposition: 'Booked' },
      { disposition: null },
    ],
    [
      'attribution',
      { fact: 'attribution', in: ['exact'] },
      { attribution: 'exact' },
      { attribution: 'ambiguous' },
    ],
  ])('%s: fires on a matching call and not on another', (_name, cond, yes, no) => {
    expect(test(cond, facts(yes)).hit).toBe(true);
    expect(test(cond, facts(no)).hit).toBe(false);
  });

  it('records the distance it measured and the ZIP it measured from', () => {
    const { seen } = test(
      { fact: 'callerDistance', lat: 47.6062, lon: -122.3321, withinKm: 50 },
      facts({ callerZip: '98101' }),
    );
    expect(seen.callerZip).toBe('98101');
    expect(seen.distanceKm).toBeLessThan(5);
  });

  it('never places a caller without a known ZIP inside a service area', () => {
    const { hit, seen } = test(
      { fact: 'callerDistance', lat: 47.6, lon: -122.3, withinKm: 20_000 },
      facts({ callerZip: null }),
    );
    expect(hit).toBe(false);
    expect(seen.distanceKm).toBeNull();
  });

  it('combines with all, any and not', () => {
    const long: Condition = { fact: 'talkSeconds', gte: 60 };
    const paid: Condition = { fact: 'medium', in: ['cpc'] };
    const call = facts({ talkSeconds: 90, medium: 'organic' });
    expect(test({ all: [long, paid] }, call).hit).toBe(false);
    expect(test({ any: [long, paid] }, call).hit).toBe(true);
    expect(test({ not: paid }, call).hit).toBe(true);
    expect(test({ all: [long, { not: paid }] }, call).hit).toBe(true);
  });
});

describe('scoreCall', () => {
  const rules = ruleSetInput.parse({
    rules: [
      { id: 'answered', name: 'Answered', when: { fact: 'answered', is: true }, points: 30 },
      {
        id: 'long-paid',
        name: 'Long paid call',
        when: {
          all: [
            { fact: 'talkSeconds', gte: 60 },
            { fact: 'medium', in: ['cpc'] },
          ],
        },
        points: 40,
      },
      {
        id: 'campaign-value',
        name: 'Campaign value',
        when: { fact: 'campaign', in: [CAMPAIGN_A, CAMPAIGN_B] },
        points: { perCampaign: { [CAMPAIGN_A]: 50, [CAMPAIGN_B]: 5 } },
      },
      { id: 'missed', name: 'Missed', when: { fact: 'answered', is: false }, points: -30 },
    ],
  });

  it('explains every rule that fired with its points and the facts it looked at', () => {
    const result = scoreCall(facts(), rules, 3);
    expect(result.explanation).toEqual([
      { rule: 'answered', name: 'Answered', points: 30, facts: { answered: true } },
      {
        rule: 'long-paid',
        name: 'Long paid call',
        points: 40,
        facts: { talkSeconds: 120, medium: 'cpc' },
      },
      {
        rule: 'campaign-value',
        name: 'Campaign value',
        points: 50,
        facts: { campaignId: CAMPAIGN_A },
      },
    ]);
    // 120 points clamp to 100.
    expect(result).toMatchObject({ score: 100, label: 'hot', qualified: true, rulesVersion: 3 });
  });

  it('gives each campaign its own value', () => {
    expect(scoreCall(facts({ campaignId: CAMPAIGN_B }), rules, 1).score).toBe(75);
  });

  it('clamps at 0 and labels by thresholds', () => {
    const missed = scoreCall(
      facts({ answered: false, talkSeconds: 0, campaignId: null }),
      rules,
      1,
    );
    expect(missed).toMatchObject({ score: 0, label: 'cold', qualified: false });
    const warm = scoreCall(
      facts({ medium: 'organic', campaignId: null, talkSeconds: 10 }),
      {
        ...rules,
        thresholds: { hot: 70, warm: 30, qualified: 50 },
      },
      1,
    );
    expect(warm).toMatchObject({ score: 30, label: 'warm', qualified: false });
  });

  it('lets a rule set qualified and label outright, the first such rule winning', () => {
    const set = ruleSetInput.parse({
      rules: [
        {
          id: 'booked',
          name: 'Booked',
          when: { fact: 'keyword', equals: 'emergency plumber' },
          set: { qualified: true, label: 'booked' },
        },
        {
          id: 'never',
          name: 'Never',
          when: { fact: 'answered', is: true },
          set: { label: 'cold' },
        },
      ],
    });
    const result = scoreCall(facts(), set, 1);
    expect(result).toMatchObject({ score: 0, qualified: true, label: 'booked' });
    expect(result.explanation[0]).toMatchObject({
      rule: 'booked',
      points: 0,
      set: { label: 'booked' },
    });
  });

  it('labels a spam call spam and never qualifies it, whatever its points', () => {
    const result = scoreCall(facts({ spam: true }), rules, 1);
    expect(result.score).toBe(100);
    expect(result).toMatchObject({ label: 'spam', qualified: false });
  });

  it('scores calls differently under the default rules for clear reasons', () => {
    const hot = scoreCall(facts({ talkSeconds: 240 }), defaultRuleSet, 0);
    const hangUp = scoreCall(
      facts({ talkSeconds: 5, firstTime: false, medium: null }),
      defaultRuleSet,
      0,
    );
    const spam = scoreCall(facts({ spam: true }), defaultRuleSet, 0);
    expect(hot).toMatchObject({ label: 'hot', qualified: true });
    expect(hangUp).toMatchObject({ label: 'cold', qualified: false });
    expect(hangUp.explanation.map((e) => e.rule)).toContain('hang-up');
    expect(spam).toMatchObject({ label: 'spam', qualified: false, score: 0 });
  });
});
