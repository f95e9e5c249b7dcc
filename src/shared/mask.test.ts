import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { maskPhone, maskPhonesInText } from './mask';

/** A logger writing into an array, so a test reads exactly what would reach the log. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger('info', stream), text: () => lines.join('') };
}

describe('maskPhone', () => {
  it('keeps only the country digit and the last two digits', () => {
    expect(maskPhone('+14155550123')).toBe('+1••••••••23');
    expect(maskPhone('(415) 555-0123')).toBe('••••••••23');
  });

  it('leaves short strings alone', () => {
    expect(maskPhone('12345')).toBe('12345');
  });
});

describe('maskPhonesInText', () => {
  it.each([
    'call from +1 415 555 0123 ended',
    'call from (415) 555-0123 ended',
    'caller 415-555-0123.',
    'uk caller +44 20 7946 0958',
    'to +14155550123',
  ])('masks the phone number in %j', (text) => {
    const out = maskPhonesInText(text);
    expect(out).not.toBe(text);
    expect(out.replace(/\D/g, '')).not.toMatch(/5550|7946/);
  });

  it.each([
    ['a UUID', 'session 550e8400-e29b-41d4-a716-446655440000 renewed'],
    ['an all-digit UUID', 'id 12345678-1234-1234-1234-123456789012'],
    ['a CallSid', 'call CA1234567890abcdef1234567890abcdef done'],
    ['a request id', 'req req-20260601-4155550123 done'],
    ['a digits-only id after an underscore', 'visitor v_4155550123456 back'],
    ['a date', 'at 2026-06-01 15:00:00'],
    ['a timestamp', 'at 2026-06-01T15:00:00.000Z'],
    ['a short number', 'took 1234 ms'],
  ])('leaves %s alone', (_what, text) => {
    expect(maskPhonesInText(text)).toBe(text);
  });
});

describe('createLogger', () => {
  it('masks phones at phone keys, at any of three depths, and hides secrets', () => {
    const { log, text } = capture();
    log.info({
      From: '+14155550123',
      params: { To: '+442079460958', CallSid: 'CA0123456789abcdef0123456789abcdef' },
      req: { headers: { authorization: 'Bearer ll_adm_abcdefghijkl', host: 'x' } },
      number: { e164: '+14155550199' },
      token: 'abcdefghijkl',
      count: 3,
    });
    const out = text();
    expect(out).not.toMatch(/5550123|2079460958|5550199|abcdefghijkl/);
    expect(out).toContain('"From":"+1••••••••23"');
    expect(out).toContain('CA0123456789abcdef0123456789abcdef');
    expect(out).toContain('"count":3');
  });

  it('keeps ids with long digit runs exactly as the database has them', () => {
    const { log, text } = capture();
    const sessionId = '550e8400-e29b-41d4-a716-446655440000';
    const reqId = 'lb-20260601-4155550123';
    log.info(
      { sessionId, reqId, visitorId: 'GA1.1.1234567890.1712345678' },
      `renewed ${sessionId}`,
    );
    const out = JSON.parse(text()) as Record<string, string>;
    expect(out).toMatchObject({
      sessionId,
      reqId,
      visitorId: 'GA1.1.1234567890.1712345678',
      msg: `renewed ${sessionId}`,
    });
  });

  it('masks phone numbers in messages, error messages and query strings', () => {
    const { log, text } = capture();
    log.error(
      {
        err: new Error('no route for +14155550123'),
        req: { url: '/api/v1/calls?from=%2B14155550123' },
      },
      'call from 415-555-0123 failed',
    );
    expect(text()).not.toMatch(/5550123|555-0123/);
  });
});
