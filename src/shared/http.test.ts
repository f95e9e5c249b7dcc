import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { ValidationError } from './errors';
import { errorHandler, requestContext } from './http';
import { createLogger } from './logger';

/** An app with the request log at `level`, whose log lines a test reads back as objects. */
function appLoggingAt(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const app = express();
  app.use(requestContext(createLogger(level, stream)));
  app.post('/dni/v1/sessions', (_req, res) => void res.json({ ok: true }));
  app.post('/twilio/voice', (req) => {
    throw new ValidationError(`invalid body: To: required (request ${req.id})`, []);
  });
  app.get('/api/v1/sites', (_req, res) => void res.json({ sites: [] }));
  app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
  app.use(errorHandler);
  return { app, lines };
}

describe('request log', () => {
  it('logs API requests at info with the id it echoes in X-Request-Id', async () => {
    const { app, lines } = appLoggingAt('info');
    const res = await request(app).get('/api/v1/sites').expect(200);
    const line = lines.find((l) => l.msg === 'request completed');
    expect(line).toMatchObject({
      level: 30,
      reqId: res.headers['x-request-id'],
      req: { method: 'GET', url: '/api/v1/sites' },
      res: { statusCode: 200 },
    });
  });

  it('writes nothing for a quiet path that succeeds, but still gives it an id', async () => {
    const { app, lines } = appLoggingAt('info');
    const res = await request(app).post('/dni/v1/sessions').send({}).expect(200);
    expect(res.headers['x-request-id']).toMatch(/^[\w-]{36}$/);
    await request(app).get('/health').expect(200);
    expect(lines).toEqual([]);
  });

  it("keeps a caller's request id and logs a quiet path's failure bound to it", async () => {
    const { app, lines } = appLoggingAt('info');
    const res = await request(app)
      .post('/twilio/voice')
      .set('X-Request-Id', 'lb-42')
      .send({})
      .expect(400);
    expect(res.headers['x-request-id']).toBe('lb-42');
    expect(lines).toEqual([
      expect.objectContaining({ reqId: 'lb-42', code: 'validation_failed', status: 400 }),
    ]);
  });

  it('replaces an X-Request-Id that could inject into the log', async () => {
    const { app } = appLoggingAt('info');
    const res = await request(app)
      .get('/api/v1/sites')
      .set('X-Request-Id', 'a b"},{"level":60')
      .expect(200);
    expect(res.headers['x-request-id']).toMatch(/^[\w-]{36}$/);
  });

  it('follows quiet paths at debug, where their successes are logged', async () => {
    const { app, lines } = appLoggingAt('debug');
    await request(app).get('/health').expect(200);
    await request(app).post('/dni/v1/sessions').send({}).expect(200);
    expect(lines).toEqual([
      expect.objectContaining({ level: 20, msg: 'request completed', res: { statusCode: 200 } }),
    ]);
  });
});
