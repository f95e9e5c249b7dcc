import { ruleSetInput, type RuleSet } from './rules.schemas';

/** The rule version a site scores with until it saves its own rules. */
export const DEFAULT_RULES_VERSION = 0;

/**
 * Every site's rules until it replaces them: a spam call is spam; an answered, long, first-time
 * call from paid search is hot; a short answered call is cold; a caller asking for an appointment
 * or a price scores higher, one asking to cancel lower. Parsed once, so it obeys the same
 * schema as a site's own rules.
 */
export const defaultRuleSet: RuleSet = ruleSetInput.parse({
  rules: [
    {
      id: 'spam',
      name: 'Spam or blocked caller',
      when: { fact: 'spam', is: true },
      points: -100,
      set: { qualified: false, label: 'spam' },
    },
    { id: 'answered', name: 'Answered', when: { fact: 'answered', is: true }, points: 20 },
    {
      id: 'conversation',
      name: 'Talked a minute or more',
      when: { fact: 'talkSeconds', gte: 60 },
      points: 25,
    },
    {
      id: 'long-conversation',
      name: 'Talked three minutes or more',
      when: { fact: 'talkSeconds', gte: 180 },
      points: 20,
    },
    {
      id: 'first-time',
      name: 'First-time caller',
      when: { fact: 'firstTime', is: true },
      points: 15,
    },
    {
      id: 'paid-search',
      name: 'Came from paid search',
      when: { fact: 'medium', in: ['cpc', 'ppc', 'paid', 'paidsearch'] },
      points: 10,
    },
    {
      id: 'exact-attribution',
      name: 'Tied to one visit',
      when: { fact: 'attribution', in: ['exact'] },
      points: 5,
    },
    {
      id: 'hang-up',
      name: 'Answered but over within 15 seconds',
      when: {
        all: [
          { fact: 'answered', is: true },
          { fact: 'talkSeconds', lte: 15 },
        ],
      },
      points: -20,
    },
    {
      id: 'wants-appointment',
      name: 'Asked for an appointment',
      when: {
        fact: 'transcript',
        contains: ['appointment', 'schedule', 'book a time', 'come in', 'available slot'],
      },
      points: 15,
    },
    {
      id: 'asked-price',
      name: 'Asked about price',
      when: {
        fact: 'transcript',
        contains: ['price', 'quote', 'how much', 'estimate', 'cost'],
        track: 'inbound',
      },
      points: 10,
    },
    {
      id: 'wants-to-cancel',
      name: 'Caller wants to cancel',
      when: { fact: 'transcript', contains: ['cancel', 'cancellation'], track: 'inbound' },
      points: -25,
    },
  ],
});
