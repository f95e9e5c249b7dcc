import {
  AGENT,
  CALLER,
  PUBLIC,
  sequence,
  TRACKING,
  useCarrierReceiver,
  xml,
} from '../../../test/support/carrier-receiver';

// A call placed through the REST API (a follow-up callback): Twilio rings `to`, fetches `url`
// once they answer and follows its TwiML; progress goes to statusCallback.

const receiver = useCarrierReceiver();
const CALL_SID = `CA${'ab'.repeat(16)}`;
const BRIDGE = '/twilio/follow-ups/CA1/bridge';
const STATUS = '/twilio/follow-ups/CA1/status';

const placeCallback = (
  outcome: 'answered' | 'no-answer' | 'busy',
  dialed?: { outcome: 'answered' | 'no-answer'; talkSeconds?: number },
) =>
  receiver.simulator().placeOutboundCall({
    callSid: CALL_SID,
    from: TRACKING,
    to: AGENT,
    url: `${PUBLIC}${BRIDGE}`,
    statusCallback: `${PUBLIC}${STATUS}`,
    statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    outcome,
    ringSeconds: 4,
    ...(dialed ? { dialed } : {}),
  });

describe('placeOutboundCall', () => {
  it('rings the agent, fetches the bridge TwiML signed, dials the caller and reports every event in order', async () => {
    receiver.answers[BRIDGE] = xml(`<Dial callerId="${TRACKING}">${CALLER}</Dial>`);
    const placed = await placeCallback('answered', { outcome: 'answered', talkSeconds: 60 });

    expect(sequence(placed.deliveries)).toEqual([
      `${STATUS} initiated`,
      `${STATUS} ringing`,
      `${STATUS} in-progress`,
      `${BRIDGE} in-progress`,
      `${STATUS} completed`,
    ]);
    expect(receiver.received.every((r) => r.validSignature)).toBe(true);
    expect(placed).toMatchObject({ status: 'completed', answered: true, dialed: [CALLER] });
    for (const d of placed.deliveries) {
      expect(d.params).toMatchObject({
        CallSid: CALL_SID,
        Direction: 'outbound-api',
        From: TRACKING,
        To: AGENT,
      });
    }
    const statuses = placed.deliveries.filter((d) => d.path === STATUS);
    expect(statuses.map((d) => d.params.SequenceNumber)).toEqual(['0', '1', '2', '3']);
    // Billed from the agent's answer: the caller's phone rings from 1 s for the default 6 s,
    // then they talk 60 s.
    expect(statuses.at(-1)?.params.CallDuration).toBe('67');
  });

  it('never fetches the TwiML when the agent does not answer, and ends the call no-answer', async () => {
    receiver.answers[BRIDGE] = xml(`<Dial callerId="${TRACKING}">${CALLER}</Dial>`);
    const placed = await placeCallback('no-answer');
    expect(sequence(placed.deliveries)).toEqual([
      `${STATUS} initiated`,
      `${STATUS} ringing`,
      `${STATUS} no-answer`,
    ]);
    expect(placed).toMatchObject({ status: 'no-answer', answered: false });
    expect(placed.deliveries.at(-1)?.params.CallDuration).toBe('0');
    expect(receiver.received.some((r) => r.path === BRIDGE)).toBe(false);
  });

  it('sends only the completed event when the call asked for no others', async () => {
    receiver.answers[BRIDGE] = xml('<Say>Nobody to call back.</Say><Hangup/>');
    const placed = await receiver.simulator().placeOutboundCall({
      callSid: CALL_SID,
      from: TRACKING,
      to: AGENT,
      url: `${PUBLIC}${BRIDGE}`,
      statusCallback: `${PUBLIC}${STATUS}`,
      outcome: 'answered',
    });
    expect(sequence(placed.deliveries)).toEqual([`${BRIDGE} in-progress`, `${STATUS} completed`]);
    expect(placed.deliveries.at(-1)?.params.SequenceNumber).toBe('0');
  });
});
