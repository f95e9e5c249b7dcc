import { findKeyTerm, type Utterance } from './key-terms';
import { ruleSetInput, formatPath } from './rules.schemas';
import { scoreCall, type CallFacts } from './scorer';
import { defaultRuleSet } from './default-rules';

const said = (track: Utterance['track'], sequence: number, text: string): Utterance => ({
  track,
  sequence,
  text,
});

describe('findKeyTerm', () => {
  const transcript = [
    said('outbound', 5, 'We can book a time on Friday, or cancel anytime.'),
    said('inbound', 2, 'What is the PRICE of a priceless vase?'),
    said('inbound', 4, "How   much... much?  I'd rather reschedule."),
  ];

  it('matches whole words case-insensitively, never inside another word', () => {
    expect(findKeyTerm(transcript, ['price'], 'both')).toEqual({
      term: 'price',
      utterance: 'What is the PRICE of a priceless vase?',
      track: 'inbound',
    });
    expect(findKeyTerm(transcript, ['schedule'], 'both')).toBeNull(); // only "reschedule"
    expect(findKeyTerm([said('inbound', 1, 'priceless')], ['price'], 'both')).toBeNull();
    expect(findKeyTerm([said('inbound', 1, 'Prices?')], ['price'], 'both')).toBeNull();
  });

  it('matches phrases across spacing and punctuation, but only as a whole', () => {
    expect(findKeyTerm(transcript, ['how much'], 'inbound')?.utterance).toBe(
      "How   much... much?  I'd rather reschedule.",
    );
    expect(findKeyTerm(transcript, ['book a time'], 'both')?.track).toBe('outbound');
    expect(findKeyTerm(transcript, ['book a'], 'both')?.term).toBe('book a');
    expect(findKeyTerm(transcript, ['book time'], 'both')).toBeNull();
  });

  it('looks only at the track asked for', () => {
    expect(findKeyTerm(transcript, ['cancel'], 'inbound')).toBeNull();
    expect(findKeyTerm(transcript, ['cancel'], 'outbound')?.track).toBe('outbound');
    expect(findKeyTerm(transcript, ['vase'], 'outbound')).toBeNull();
  });

  it('quotes the first utterance spoken, whatever order the transcript is stored in', () => {
    const found = findKeyTerm(
      [said('inbound', 9, 'cancel it'), said('inbound', 3, 'please cancel')],
      ['cancel'],
      'both',
    );
    expect(found?.utterance).toBe('please cancel');
  });

  it('treats regular-expression characters in a term literally', () => {
    expect(
      findKeyTerm([said('inbound', 1, 'is it $5.00 or more')], ['$5.00'], 'both'),
    ).not.toBeNull();
    expect(findKeyTerm([said('inbound', 1, 'is it $5100')], ['5.00'], 'both')).toBeNull();
  });
});

describe('transcript rules', () => {
  const rule = (when: unknown) => ({ id: 'r', name: 'R', when, points: 10 });
  const issues = (when: unknown) => {
    const r = ruleSetInput.safeParse({ rules: [rule(when)] });
    return r.success ? [] : r.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  };

  it('are validated like every condition, naming the bad field', () => {
    expect(issues({ fact: 'transcript', contains: ['appointment'] })).toEqual([]);
    expect(issues({ fact: 'transcript', contains: [] })[0]).toContain('rules[0].when.contains');
    expect(issues({ fact: 'transcript', contains: ['quote'], track: 'agent' })[0]).toContain(
      'rules[0].when.track',
    );
    expect(issues({ fact: 'transcript', contains: ['...'] })[0]).toContain(
      'must contain a letter or digit',
    );
    expect(issues({ fact: 'transcript', has: ['quote'] }).join()).toContain('has');
  });

  it('default to both tracks', () => {
    const parsed = ruleSetInput.parse({
      rules: [rule({ fact: 'transcript', contains: ['quote'] })],
    });
    expect(parsed.rules[0]?.when).toEqual({
      fact: 'transcript',
      contains: ['quote'],
      track: 'both',
    });
  });
});

describe('scoring with key terms', () => {
  const facts = (transcript: Utterance[]): CallFacts => ({
    callSid: `CA${'1'.repeat(32)}`,
    siteId: null,
    campaignId: null,
    answered: true,
    talkSeconds: 120,
    firstTime: false,
    source: null,
    medium: null,
    keyword: null,
    callerState: null,
    callerZip: null,
    startedAt: new Date('2026-06-02T15:30:00Z'),
    disposition: null,
    spam: false,
    attribution: 'none',
    transcript,
  });

  it('quotes the matching utterance in the explanation, with the term and track', () => {
    const result = scoreCall(
      facts([said('inbound', 2, 'Can I get a quote for a new roof?')]),
      defaultRuleSet,
      0,
    );
    expect(result.explanation.find((e) => e.rule === 'asked-price')).toEqual({
      rule: 'asked-price',
      name: 'Asked about price',
      points: 10,
      facts: { term: 'quote', utterance: 'Can I get a quote for a new roof?', track: 'inbound' },
    });
  });

  it('moves the default score up for an appointment and down for a cancellation', () => {
    const plain = scoreCall(facts([]), defaultRuleSet, 0).score;
    const booked = scoreCall(
      facts([said('inbound', 2, 'I need an appointment')]),
      defaultRuleSet,
      0,
    ).score;
    const cancelling = scoreCall(
      facts([said('inbound', 2, 'I want to cancel')]),
      defaultRuleSet,
      0,
    ).score;
    expect(booked).toBe(plain + 15);
    expect(cancelling).toBe(plain - 25);
    // The agent saying "cancel" is not the caller wanting to.
    expect(scoreCall(facts([said('outbound', 2, 'cancel')]), defaultRuleSet, 0).score).toBe(plain);
  });

  it('fires nothing for a call without a transcript', () => {
    const result = scoreCall({ ...facts([]), transcript: undefined }, defaultRuleSet, 0);
    expect(result.explanation.map((e) => e.rule)).not.toContain('wants-appointment');
  });
});
