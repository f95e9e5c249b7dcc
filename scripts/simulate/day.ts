// What makes a simulated day's calls score differently, for reasons a person can read: answered
// callers say things the default key-term rules listen for, and one robocaller is on the block list.

type Rng = () => number;
export interface Utterance {
  track: 'inbound' | 'outbound';
  text: string;
}

/** A number on the block list for the run: its call is recorded as spam and scored so. */
export const ROBOCALLER = '+12025550199';

const GREETING: Utterance = {
  track: 'outbound',
  text: 'Thanks for calling Sim Plumbing, how can I help you today?',
};

/** What answered callers say; each moves the score a different way (or not at all). */
const CONVERSATIONS: { weight: number; says: Utterance[] }[] = [
  {
    weight: 3,
    says: [
      { track: 'inbound', text: "Hi, I'd like to book an appointment to fix a leaking pipe." },
      { track: 'outbound', text: 'Sure, we have an available slot tomorrow at ten.' },
    ],
  },
  {
    weight: 3,
    says: [
      { track: 'inbound', text: 'How much would a new water heater cost, roughly?' },
      { track: 'outbound', text: 'I can email you a quote this afternoon.' },
    ],
  },
  {
    weight: 1,
    says: [
      { track: 'inbound', text: 'I need to cancel the visit you booked for Friday.' },
      { track: 'outbound', text: 'No problem, that is done.' },
    ],
  },
  {
    weight: 3,
    says: [
      { track: 'inbound', text: 'Are you open on Saturdays?' },
      { track: 'outbound', text: 'Yes, from nine to one.' },
    ],
  },
];

/** The transcript of an answered call: the agent's greeting, then one of the conversations. */
export function conversation(rng: Rng): Utterance[] {
  const total = CONVERSATIONS.reduce((n, c) => n + c.weight, 0);
  let roll = rng() * total;
  const picked = CONVERSATIONS.find((c) => (roll -= c.weight) < 0) ?? CONVERSATIONS[0];
  return [GREETING, ...(picked?.says ?? [])];
}
