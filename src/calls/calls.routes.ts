import { Router, type Request, type Response } from 'express';
import { requireRole } from '../shared/auth';
import { ValidationError } from '../shared/errors';
import { parseInput, uuidParam } from '../shared/validation';
import type { CallRow } from './calls.repo';
import type { CallService } from './calls.service';
import { blockSchema, deadLettersQuery, isStorableDate, listCallsQuery } from './calls.schemas';
import type { WebhookDeadLetters } from './webhook-journal-replay';

export const callOut = (c: CallRow) => ({
  callSid: c.callSid,
  status: c.status,
  outcome: c.outcome,
  from: c.fromNumber,
  to: c.toNumber,
  direction: c.direction,
  campaignId: c.campaignId,
  siteId: c.siteId,
  trackingNumberId: c.trackingNumberId,
  sessionId: c.sessionId,
  visitorId: c.visitorId,
  attribution: c.attribution,
  attributionCandidates: c.attributionCandidates,
  source: c.source,
  medium: c.medium,
  utmCampaign: c.utmCampaign,
  keyword: c.keyword,
  landingUrl: c.landingUrl,
  referrer: c.referrer,
  gclid: c.gclid,
  fbclid: c.fbclid,
  msclkid: c.msclkid,
  device: c.device,
  caller: {
    name: c.callerName,
    city: c.callerCity,
    state: c.callerState,
    zip: c.callerZip,
    country: c.callerCountry,
  },
  startedAt: c.startedAt,
  answeredAt: c.answeredAt,
  endedAt: c.endedAt,
  ringSeconds: c.ringSeconds,
  durationSeconds: c.durationSeconds,
  talkSeconds: c.talkSeconds,
  dialStatus: c.dialStatus,
  answeredBy: c.answeredBy,
  recording: c.recordingUrl
    ? { url: c.recordingUrl, sid: c.recordingSid, seconds: c.recordingSeconds }
    : null,
  firstTime: c.firstTime,
  previousCalls: c.previousCalls,
  spam: c.spam,
});

const encodeCursor = (c: CallRow) =>
  Buffer.from(`${c.startedAt.toISOString()}|${c.callSid}`).toString('base64url');
function decodeCursor(cursor: string) {
  const [at, sid] = Buffer.from(cursor, 'base64url').toString().split('|');
  const startedAt = new Date(at ?? '');
  if (!sid || !isStorableDate(startedAt)) {
    throw new ValidationError('invalid query: cursor: not a cursor this API returned', [
      { field: 'cursor', message: 'invalid' },
    ]);
  }
  return { startedAt, callSid: sid };
}

/** /api/v1/calls and the block list; mounted behind authentication. */
export function callsRoutes(
  /** The calls service, with the webhook dead-letter store an admin looks at and retries. */
  calls: CallService & { webhookDeadLetters: WebhookDeadLetters },
  /** Routing's stored decision for a call (calls does not read routing's tables). */
  routingOf: (callSid: string) => Promise<unknown> = async () => null,
  /** Routing's batch reads by call sid: decisions (for the list) and agents' dispositions. */
  fromRouting: {
    routingsOf?: (callSids: string[]) => Promise<Map<string, unknown>>;
    dispositionsOf?: (callSids: string[]) => Promise<Map<string, unknown>>;
  } = {},
): Router {
  const none = async () => new Map<string, unknown>();
  const routingsOf = fromRouting.routingsOf ?? none;
  const dispositionsOf = fromRouting.dispositionsOf ?? none;
  const r = Router();
  r.get('/calls', listCalls);
  r.get('/calls/webhook-dead-letters', requireRole('admin'), listDeadLetters);
  r.post('/calls/webhook-dead-letters/:id/retry', requireRole('admin'), retryDeadLetter);
  r.get('/calls/:sid', getCall);
  r.get('/blocked-numbers', listBlocked);
  r.post('/blocked-numbers', requireRole('admin'), blockNumber);
  r.delete('/blocked-numbers/:id', requireRole('admin'), unblockNumber);
  return r;

  async function listCalls(req: Request, res: Response) {
    const q = parseInput(listCallsQuery, req.query, 'query');
    const { rows, scannedTo } = await calls.listScored(
      {
        campaignId: q.campaignId,
        since: q.since,
        until: q.until,
        status: q.status,
        outcome: q.outcome,
        attribution: q.attribution,
        cursor: q.cursor ? decodeCursor(q.cursor) : undefined,
        limit: q.limit + 1,
      },
      { label: q.label, qualified: q.qualified },
    );
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1]?.call;
    // A score-filtered page may end short of the limit with more calls left to read.
    const next = rows.length > q.limit ? last : scannedTo;
    const sids = page.map((r) => r.call.callSid);
    const [salesforce, routings, dispositions] = await Promise.all([
      calls.salesforceOf(sids),
      routingsOf(sids),
      dispositionsOf(sids),
    ]);
    res.json({
      calls: page.map((r) => ({
        ...callOut(r.call),
        score: r.score,
        salesforce: salesforce.get(r.call.callSid) ?? null,
        routing: routings.get(r.call.callSid) ?? null,
        disposition: dispositions.get(r.call.callSid) ?? null,
      })),
      nextCursor: next ? encodeCursor(next) : null,
    });
  }

  async function getCall(req: Request, res: Response) {
    const sid = String(req.params.sid);
    if (!/^CA[0-9a-fA-F]{32}$/.test(sid)) {
      throw new ValidationError('invalid call sid: must be CA followed by 32 hex digits', [
        { field: 'sid', message: 'invalid' },
      ]);
    }
    const { call, legs, events, score } = await calls.getCall(sid);
    res.json({
      ...callOut(call),
      routing: await routingOf(sid),
      disposition: (await dispositionsOf([sid])).get(sid) ?? null,
      score,
      salesforce: (await calls.salesforceOf([sid])).get(sid) ?? null,
      legs: legs.map((l) => ({
        callSid: l.callSid,
        to: l.toNumber,
        status: l.status,
        answeredAt: l.answeredAt,
        endedAt: l.endedAt,
        durationSeconds: l.durationSeconds,
      })),
      events: events.map((e) => ({
        callSid: e.callSid,
        kind: e.kind,
        status: e.status,
        sequenceNumber: e.sequenceNumber,
        timestamp: e.twilioTimestamp,
        receivedAt: e.receivedAt,
      })),
    });
  }

  async function listBlocked(_req: Request, res: Response) {
    res.json({ blocked: await calls.listBlocked() });
  }
  async function blockNumber(req: Request, res: Response) {
    const input = parseInput(blockSchema, req.body);
    res.status(201).json(await calls.block(input.pattern, input.reason ?? null));
  }
  async function unblockNumber(req: Request, res: Response) {
    await calls.unblock(parseInput(uuidParam, req.params.id, 'blocked number id'));
    res.status(204).end();
  }

  async function listDeadLetters(req: Request, res: Response) {
    const q = parseInput(deadLettersQuery, req.query, 'query');
    res.json({ deadLetters: await calls.webhookDeadLetters.list(q.limit) });
  }
  async function retryDeadLetter(req: Request, res: Response) {
    const id = parseInput(uuidParam, req.params.id, 'dead letter id');
    res.json(await calls.webhookDeadLetters.retry(id));
  }
}
