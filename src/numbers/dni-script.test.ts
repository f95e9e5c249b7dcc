import { runInNewContext } from 'node:vm';
import express from 'express';
import request from 'supertest';
import { getDniScript, getDniScriptEtag } from './dni-script';
import { dniScriptRoutes } from './dni-script.routes';

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

describe('GET /dni.js', () => {
  const app = express().use(dniScriptRoutes({ code: 'void 0;', etag: '"abc"' }));

  it('answers the script with strong-ETag, public caching and any-origin headers', async () => {
    const res = await request(app).get('/dni.js').expect(200);
    expect(res.text).toBe('void 0;');
    expect(res.headers).toMatchObject({
      etag: '"abc"',
      'cache-control': 'public, max-age=300',
      'access-control-allow-origin': '*',
    });
    expect(res.headers['content-type']).toMatch(/^application\/javascript/);
  });

  it('answers 304 without a body when the browser already holds that version', async () => {
    const res = await request(app).get('/dni.js').set('If-None-Match', 'W/"old", "abc"');
    expect(res.status).toBe(304);
    expect(res.text).toBe('');
  });

  it('sends the script again once it has changed', async () => {
    await request(app).get('/dni.js').set('If-None-Match', '"old"').expect(200);
  });
});
