import {
  AGENT,
  CALLER,
  PUBLIC,
  sequence,
  TRACKING,
  useCarrierReceiver,
  xml,
} from '../../../test/support/carrier-receiver';
import { signTwilioRequest } from '../../shared/twilio';
import { mulberry32 } from './simulator';

// How deliveries reach Leadline: retried duplicates, reordered callbacks, pacing; checked against
// a receiver that validates every signature (test/support/carrier-receiver.ts).

const receiver = useCarrierReceiver();
const { call, simulator } = receiver;

describe('placeCall: retries and reordering', () => {
  it('sends duplicates as identical retries (body, signature, idempotency token) after the original', async () => {
    const placed = await call('voicemail', { duplicates: 3 });

    const dupes = receiver.received.filter(
      (r, i) => receiver.received.findIndex((o) => o.body === r.body) !== i,
    );
    expect(dupes).toHaveLength(3);
    expect(placed.deliveries.filter((d) => d.duplicate)).toHaveLength(3);
    for (const dupe of dupes) {
      const original = receiver.received.find((r) => r.body === dupe.body);
      expect(original).not.toBe(dupe);
      expect(dupe.signature).toBe(original?.signature);
      expect(dupe.token).toBe(original?.token);
      expect(dupe.path).not.toBe('/twilio/voice');
    }
    const tokens = new Set(receiver.received.map((r) => r.token));
    expect(tokens.size).toBe(receiver.received.length - 3);
  });

  it('reorder shuffles the asynchronous callbacks but sends the same set, the voice webhook first', async () => {
    const inOrder = await call('answered', { duplicates: 1 });
    const inOrderBodies = receiver.received.map((r) => r.body);
    receiver.received = [];
    const shuffled = await call('answered', { duplicates: 1, reorder: true });
    const shuffledBodies = receiver.received.map((r) => r.body);

    expect(shuffled.callSid).toBe(inOrder.callSid);
    expect(shuffledBodies[0]).toBe(inOrderBodies[0]);
    expect([...shuffledBodies].sort()).toEqual([...inOrderBodies].sort());
    expect(shuffledBodies).not.toEqual(inOrderBodies);
    expect(shuffled.expected).toEqual(inOrder.expected);
    for (const [i, d] of shuffled.deliveries.entries()) {
      if (!d.duplicate) continue;
      const original = shuffled.deliveries.findIndex((o) => o.params === d.params);
      expect(original).toBeLessThan(i);
    }
  });

  it('reorder never sends the asynchronous callbacks in their natural order, whatever the seed', async () => {
    // Two callbacks (the agent leg's and the call's completion): a plain shuffle keeps them in
    // order half of the time.
    receiver.answers['/twilio/voice'] = xml(
      `<Dial><Number statusCallback="/twilio/status">${AGENT}</Number></Dial>`,
    );
    for (let seed = 1; seed <= 16; seed++) {
      const placed = await simulator({ rng: mulberry32(seed) }).placeCall({
        from: CALLER,
        to: TRACKING,
        outcome: 'answered',
        reorder: true,
      });
      expect(sequence(placed.deliveries)).toEqual([
        '/twilio/voice ringing',
        '/twilio/status completed',
        '/twilio/status completed child',
      ]);
    }
  });

  it('waits delayMs between deliveries when asked to, and not otherwise', async () => {
    const quick = Date.now();
    await call('busy');
    const quickMs = Date.now() - quick;
    const slow = Date.now();
    await call('busy', { delayMs: 40 });

    expect(Date.now() - slow).toBeGreaterThanOrEqual(4 * 40);
    expect(quickMs).toBeLessThan(4 * 40);
  });
});

// Guards the receiver: if it accepted anything, "signatures validate" would prove nothing.
it('the test receiver refuses a request signed with another token', async () => {
  const params = { CallSid: 'CA1' };
  const res = await fetch(`${receiver.target}/twilio/status`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': signTwilioRequest('wrong', `${PUBLIC}/twilio/status`, params),
    },
    body: new URLSearchParams(params).toString(),
  });
  expect(res.status).toBe(403);
});
