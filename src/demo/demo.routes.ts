import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../shared/errors';
import { e164, parseInput } from '../shared/validation';
import type { DemoService } from './demo.service';
import { demoLandingPage } from './demo.page';

const placeCallSchema = z
  .object({
    to: e164,
    from: e164.optional(),
    outcome: z
      .enum(['answered', 'busy', 'no-answer', 'voicemail', 'failed', 'canceled'])
      .optional(),
    fromZip: z
      .string()
      .regex(/^\d{5}$/, 'must be a five-digit US ZIP code')
      .optional(),
  })
  .strict();

/** Demo mode only: the sample landing page and simulated calls. Absent otherwise. */
export function demoRoutes(demo: DemoService): Router {
  const r = Router();
  if (!demo.enabled) return r;
  r.get('/', showLandingPage);
  r.post('/demo/v1/calls', express.json({ limit: '4kb' }), placeCall);
  return r;

  async function showLandingPage(_req: Request, res: Response) {
    const siteKey = await demo.siteKey();
    if (!siteKey)
      throw new NotFoundError('demo site (it is created at start-up)', 'demo_not_seeded');
    res.type('html').send(demoLandingPage(siteKey));
  }

  async function placeCall(req: Request, res: Response) {
    res.status(201).json(await demo.placeCall(parseInput(placeCallSchema, req.body)));
  }
}
