import request from 'supertest';
import type { Express } from 'express';
import { createCarrierSimulator, mulberry32 } from '../../src/demo/carrier/simulator';
import type { Clock } from '../../src/shared/clock';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from './twilio';

export const PUBLIC_BASE_URL = 'https://leadline.test';

let seeds = Date.now() % 1_000_000;

/**
 * The carrier simulator delivering straight into an in-process app (no sockets). Each simulator
 * gets its own seed unless one is given, so CallSids never repeat across tests.
 */
export function carrierFor(app: Express, clock: Clock, seed = ++seeds * 7919) {
  return createCarrierSimulator({
    publicBaseUrl: PUBLIC_BASE_URL,
    authToken: TEST_AUTH_TOKEN,
    accountSid: TEST_ACCOUNT_SID,
    now: () => clock.now(),
    rng: mulberry32(seed),
    send: async ({ path, headers, body }) => {
      const res = await request(app).post(path).set(headers).send(body);
      return { status: res.status, text: res.text };
    },
  });
}
