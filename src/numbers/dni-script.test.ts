import { runInNewContext } from 'node:vm';
import { getDniScript, getDniScriptEtag } from './dni-script';

describe('getDniScript', () => {
  it('minifies the swap script to under 8 KB', () => {
    expect(Buffer.byteLength(getDniScript(), 'utf8')).toBeLessThan(8 * 1024);
  });

  it('returns code that parses as a classic script', () => {
    expect(() => new Function(getDniScript())).not.toThrow();
  });

  it('builds once and keeps the ETag stable for the same code', () => {
    expect(getDniScript()).toBe(getDniScript());
    expect(getDniScriptEtag()).toMatch(/^"[\w-]{22}"$/);
    expect(getDniScriptEtag()).toBe(getDniScriptEtag());
  });

  it('swallows its own errors and adds no globals when the page is hostile', () => {
    const hostileDocument = {
      currentScript: null,
      querySelector: () => {
        throw new Error('blocked by the page');
      },
    };
    const page: Record<string, unknown> = { document: hostileDocument };
    page.window = page;
    const before = Object.keys(page);
    expect(() => runInNewContext(getDniScript(), page)).not.toThrow();
    expect(Object.keys(page)).toEqual(before);
  });
});
