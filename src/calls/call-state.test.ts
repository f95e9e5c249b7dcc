import { deriveCall, sortEvents, type StoredEvent } from './call-state';

const t0 = new Date('2026-06-01T15:00:00Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);
let n = 0;
function ev(p: Partial<StoredEvent> & Pick<StoredEvent, 'kind'>): StoredEvent {
  return {
    callSid: 'CAparent',
    status: null,
    sequenceNumber: null,
    twilioTimestamp: null,
    receivedAt: at(0),
    dedupeKey: `k${++n}`,
    params: {},
    ...p,
  };
}

describe('deriveCall', () => {
  const own = [
    ev({ kind: 'voice', status: 'ringing' }),
    ev({
      kind: 'dial',
      status: 'completed',
      params: { DialCallStatus: 'completed', DialCallDuration: '42' },
    }),
    ev({
      kind: 'status',
      status: 'completed',
      twilioTimestamp: at(60),
      params: { CallDuration: '60' },
    }),
  ];
  const child = [
    ev({
      callSid: 'CAchild',
      kind: 'status',
      status: 'initiated',
      sequenceNumber: 0,
      twilioTimestamp: at(1),
      params: { To: '+14155550111' },
    }),
    ev({
      callSid: 'CAchild',
      kind: 'status',
      status: 'ringing',
      sequenceNumber: 1,
      twilioTimestamp: at(2),
      params: { To: '+14155550111' },
    }),
    ev({
      callSid: 'CAchild',
      kind: 'status',
      status: 'in-progress',
      sequenceNumber: 2,
      twilioTimestamp: at(9),
      params: { To: '+14155550111' },
    }),
    ev({
      callSid: 'CAchild',
      kind: 'status',
      status: 'completed',
      sequenceNumber: 3,
      twilioTimestamp: at(51),
      params: { To: '+14155550111', CallDuration: '42' },
    }),
  ];

  it('derives status, outcome, ring and talk time from a whole answered call', () => {
    const d = deriveCall(own, new Map([['CAchild', child]]));
    expect(d).toMatchObject({
      status: 'completed',
      outcome: 'answered',
      durationSeconds: 60,
      talkSeconds: 42,
      ringSeconds: 7,
      answeredBy: '+14155550111',
      dialStatus: 'completed',
    });
    expect(d.answeredAt).toEqual(at(9));
  });

  it('never lets a late ringing callback undo a completed call', () => {
    const late = [...own, ev({ kind: 'status', status: 'ringing', sequenceNumber: 0 })];
    expect(deriveCall(late, new Map()).status).toBe('completed');
  });

  it('gives the same result for every order of the same events', () => {
    const all = [...own];
    const first = deriveCall(all, new Map([['CAchild', child]]));
    for (let i = 0; i < 20; i++) {
      const shuffled = [...all].sort(() => Math.sin(i * 7 + all.length) - 0.1);
      const kids = [...child].reverse();
      expect(deriveCall(shuffled, new Map([['CAchild', kids]]))).toEqual(first);
    }
  });

  it('calls it a voicemail when a message was left after no one answered', () => {
    const d = deriveCall(
      [
        ev({ kind: 'voice', status: 'ringing' }),
        ev({
          kind: 'dial',
          status: 'no-answer',
          params: { DialCallStatus: 'no-answer', DialCallDuration: '0' },
        }),
        ev({
          kind: 'recording',
          status: 'completed',
          params: {
            RecordingStatus: 'completed',
            RecordingUrl: 'https://api.twilio.com/r/RE1',
            RecordingSid: 'RE1',
            RecordingDuration: '17',
            LeadlineRecordingKind: 'voicemail',
          },
        }),
      ],
      new Map(),
    );
    expect(d).toMatchObject({ outcome: 'voicemail', recordingSeconds: 17, recordingSid: 'RE1' });
  });

  it('sorts by what Twilio sent, not by arrival', () => {
    const a = ev({ kind: 'status', status: 'completed', sequenceNumber: 3, receivedAt: at(0) });
    const b = ev({ kind: 'status', status: 'ringing', sequenceNumber: 1, receivedAt: at(5) });
    expect(sortEvents([a, b]).map((e) => e.status)).toEqual(['ringing', 'completed']);
  });
});
