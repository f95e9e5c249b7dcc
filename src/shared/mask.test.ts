import { maskForLog, maskPhone, maskPhonesInText } from './mask';

describe('maskPhone', () => {
  it('keeps only the country digit and the last two digits', () => {
    expect(maskPhone('+14155550123')).toBe('+1••••••••23');
    expect(maskPhone('(415) 555-0123')).toBe('••••••••23');
  });

  it('leaves short strings alone', () => {
    expect(maskPhone('12345')).toBe('12345');
  });
});

describe('maskForLog', () => {
  it('masks phone fields, phone numbers in text and secrets, deeply', () => {
    const out = maskForLog({
      From: '+14155550123',
      msg: 'call from +1 415 555 0123 ended',
      nested: { token: 'abcdefghijkl', list: ['+442079460958'] },
      count: 3,
    }) as Record<string, unknown>;
    const text = JSON.stringify(out);
    expect(text).not.toContain('5550123');
    expect(text).not.toContain('2079460958');
    expect(text).not.toContain('abcdefghijkl');
    expect(out.count).toBe(3);
  });

  it('does not mask ordinary short numbers in text', () => {
    expect(maskPhonesInText('took 1234 ms')).toBe('took 1234 ms');
  });
});

describe('maskPhonesInText', () => {
  it('leaves dates alone', () => {
    expect(maskPhonesInText('at 2026-06-01 15:00:00')).toBe('at 2026-06-01 15:00:00');
  });
});
