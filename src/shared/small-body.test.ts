import http from 'node:http';
import express from 'express';
import request from 'supertest';
import { errorHandler } from './http';
import { formBody, MALFORMED_JSON, smallBody } from './small-body';

const app = express();
app.post(
  '/echo',
  smallBody({
    types: ['application/json', 'text/plain'],
    limit: 64,
    parse: JSON.parse,
    malformed: MALFORMED_JSON,
  }),
  (req, res) => {
    res.json({ body: req.body === undefined ? 'unread' : req.body });
  },
);
app.post('/form', formBody({ limit: 256, parameterLimit: 4 }), (req, res) => {
  res.json({ body: req.body === undefined ? 'unread' : { ...req.body } });
});
app.use(errorHandler);

describe('smallBody', () => {
  it('parses a JSON body sent as application/json or text/plain (sendBeacon)', async () => {
    const json = await request(app).post('/echo').send({ a: 1 }).expect(200);
    expect(json.body).toEqual({ body: { a: 1 } });
    const text = await request(app)
      .post('/echo')
      .set('Content-Type', 'text/plain;charset=UTF-8')
      .send('{"b":"é"}')
      .expect(200);
    expect(text.body).toEqual({ body: { b: 'é' } });
  });

  it('leaves a body of another type, or no body, unread', async () => {
    const form = await request(app)
      .post('/echo')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('a=1')
      .expect(200);
    expect(form.body).toEqual({ body: 'unread' });
    const none = await request(app).post('/echo').expect(200);
    expect(none.body).toEqual({ body: 'unread' });
  });

  it('answers malformed JSON with 400 malformed_json', async () => {
    const res = await request(app)
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send('{"a":')
      .expect(400);
    expect(res.body.error.code).toBe('malformed_json');
  });

  it('answers a body over the limit with 413, whether announced or streamed', async () => {
    const announced = await request(app)
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ a: 'x'.repeat(100) }))
      .expect(413);
    expect(announced.body.error.code).toBe('body_too_large');

    // Chunked: no Content-Length, so the limit is found while reading.
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as { port: number };
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(
          {
            port,
            host: '127.0.0.1',
            method: 'POST',
            path: '/echo',
            headers: { 'Content-Type': 'application/json' },
          },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.write('{"a":"');
        req.write('x'.repeat(100));
        req.end('"}');
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body).error.code).toBe('body_too_large');
    } finally {
      server.close();
    }
  });

  it('answers a charset other than UTF-8, or a compressed body, with 415', async () => {
    const latin = await request(app)
      .post('/echo')
      .set('Content-Type', 'application/json; charset=iso-8859-1')
      .send('{"a":1}')
      .expect(415);
    expect(latin.body.error.code).toBe('unsupported_encoding');
    const gzip = await request(app)
      .post('/echo')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('{"a":1}')
      .expect(415);
    expect(gzip.body.error.code).toBe('unsupported_encoding');
  });
});

describe('formBody', () => {
  it('decodes a form as Twilio posts it: + and %-escapes, a repeated name as an array', async () => {
    const res = await request(app)
      .post('/form')
      .type('form')
      .send('From=%2B14155550100&CallerName=Ana+Lopez&Tag=a&Tag=b')
      .expect(200);
    expect(res.body).toEqual({
      body: { From: '+14155550100', CallerName: 'Ana Lopez', Tag: ['a', 'b'] },
    });
  });

  it('keeps a parameter named like an Object property as a parameter', async () => {
    const res = await request(app)
      .post('/form')
      .type('form')
      .send('__proto__=x&constructor=y')
      .expect(200);
    // JSON.parse makes __proto__ an own property (an object literal would set the prototype).
    expect(res.text).toBe('{"body":{"__proto__":"x","constructor":"y"}}');
  });

  it('answers more parameters than allowed with 413 too_many_parameters', async () => {
    const res = await request(app)
      .post('/form')
      .type('form')
      .send('a=1&b=2&c=3&d=4&e=5')
      .expect(413);
    expect(res.body.error.code).toBe('too_many_parameters');
  });
});
