import { attributeCall } from './attribution';

const T0 = Date.parse('2026-06-01T15:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
const lease = (sessionId: string, from: number, to: number, shared = false) => ({
  sessionId,
  shared,
  startedAt: at(from),
  expiresAt: at(to),
});

describe('attributeCall', () => {
  it('is exact when one visit alone held the number around the call', () => {
    const decision = attributeCall([lease('a', 0, 600)], at(300));
    expect(decision).toMatchObject({ confidence: 'exact', candidates: null });
    expect(decision.chosen?.sessionId).toBe('a');
  });

  it('is exact for one visit with several lease rows (a lapsed lease taken up again)', () => {
    const decision = attributeCall([lease('a', 0, 60), lease('a', 90, 700)], at(300));
    expect(decision).toMatchObject({ confidence: 'exact', candidates: null });
  });

  it('is ambiguous when another visitor held the number within the grace period before the call', () => {
    // a overflowed onto the number and still sees it; c leased it after a's lease ended.
    const decision = attributeCall([lease('a', 0, 100, true), lease('c', 101, 1900)], at(130), {
      graceSeconds: 900,
    });
    expect(decision.confidence).toBe('ambiguous');
    expect(decision.candidates).toEqual(['c', 'a']);
    expect(decision.chosen?.sessionId).toBe('c');
  });

  it('is exact again once the earlier holder ended before the grace period', () => {
    const decision = attributeCall([lease('a', 0, 100), lease('c', 101, 1900)], at(1100), {
      graceSeconds: 900,
    });
    expect(decision).toMatchObject({ confidence: 'exact', candidates: null });
    expect(decision.chosen?.sessionId).toBe('c');
  });

  it('is ambiguous for a shared live lease, naming every live visit', () => {
    const decision = attributeCall([lease('a', 0, 600), lease('b', 10, 610, true)], at(300));
    expect(decision.confidence).toBe('ambiguous');
    expect([...(decision.candidates ?? [])].sort()).toEqual(['a', 'b']);
    expect(decision.chosen?.sessionId).toBe('a');
  });

  it('is expired after every lease ended, with candidates when several visits held it', () => {
    const one = attributeCall([lease('a', 0, 600)], at(700));
    expect(one).toMatchObject({ confidence: 'expired', candidates: null });
    const two = attributeCall([lease('a', 0, 600), lease('b', 0, 650, true)], at(700));
    expect(two.confidence).toBe('expired');
    expect(two.chosen?.sessionId).toBe('b');
    expect(two.candidates).toEqual(['b', 'a']);
  });

  it('is none when no lease was near the call', () => {
    expect(attributeCall([], at(0))).toMatchObject({ confidence: 'none', chosen: undefined });
  });
});
