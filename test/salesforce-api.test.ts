import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../src/app';
import { createContext, type AppContext } from '../src/context';
import { deployMetadata } from '../src/salesforce/deploy';
import { createSalesforceClient } from '../src/salesforce/salesforce.client';
import { loadConfig } from '../src/shared/config';
import type { Database } from '../src/shared/db';
import { createLogger } from '../src/shared/logger';
import { carrierFor } from './support/carrier';
import { ManualClock } from './support/clock';
import { TEST_ADMIN_KEY } from './support/context';
import { openTestDatabase } from './support/database';
import { buildCampaign, buildPool, buildSite } from './support/factories';
import { startSalesforceStandin, type SalesforceStandin } from '../src/demo/salesforce/standin';
import { startTestTwilio } from './support/twilio';
import type { TwilioStandin } from '../src/demo/twilio-rest/standin';

const clock = new ManualClock('2026-06-01T15:00:00Z');
const admin = `Bearer ${TEST_ADMIN_KEY}`;
let sf: SalesforceStandin;
let twilio: { standin: TwilioStandin; env: Record<string, string> };
let database: Database;
let databaseUrl: string | undefined;
let drop: () => Promise<void>;
const running: AppContext[] = [];

beforeAll(async () => {
  sf = await startSalesforceStandin();
  twilio = await startTestTwilio();
  ({ database, url: databaseUrl, drop } = await openTestDatabase());
  await deployMetadata(
    createSalesforceClient({
      instanceUrl: sf.url,
      accessToken: 'initial-token',
      apiVersion: '60.0',
      timeoutMs: 5_000,
    }),
  );
});
afterAll(async () => {
  for (const ctx of running.splice(0)) await ctx.stop();
  await drop();
  await sf.close();
  await twilio.standin.close();
});

/** Leadline on the test database, with or without Salesforce settings. */
async function leadline(env: Record<string, string>): Promise<{ ctx: AppContext; app: Express }> {
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LEADLINE_ADMIN_KEY: TEST_ADMIN_KEY,
    PUBLIC_BASE_URL: 'https://leadline.test',
    SF_SYNC_WINDOW_MS: '100',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...twilio.env,
    ...env,
  });
  const ctx = createContext({ config, database, logger: createLogger('silent'), clock });
  await ctx.start();
  running.push(ctx);
  return { ctx, app: createApp(ctx) };
}

async function waitFor<T>(check: () => Promise<T | undefined>, what: string, ms = 20_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface SalesforceOfCall {
  state: string;
  taskId?: string;
  whoId?: string;
}
const salesforceOf = async (app: Express, sid: string) => {
  const res = await request(app).get(`/api/v1/calls/${sid}`).set('Authorization', admin);
  return res.body.salesforce as SalesforceOfCall | null;
};

describe('Salesforce sync through the app', () => {
  it('waits while Salesforce is not configured, says so, and sends the call once it is', async () => {
    const paused = await leadline({});
    const site = await buildSite(paused.ctx);
    const campaign = await buildCampaign(paused.ctx, {
      siteId: site.id,
      salesforceCampaignId: '701000000000009AAA',
    });
    const [number] = await buildPool(paused.ctx, campaign.id, 1);
    if (!number) throw new Error('no number provisioned');
    clock.advance(60_000);
    const { callSid } = await carrierFor(paused.app, clock).placeCall({
      from: '+13125559001',
      to: number.e164,
      outcome: 'answered',
      fromZip: '60601',
      ringSeconds: 5,
      talkSeconds: 200,
    });

    const waiting = await waitFor(async () => {
      const s = await salesforceOf(paused.app, callSid);
      return s?.state === 'not_configured' ? s : undefined;
    }, 'the call to wait for Salesforce');
    expect(waiting.taskId).toBeUndefined();
    const status = await request(paused.app)
      .get('/api/v1/salesforce/sync')
      .set('Authorization', admin);
    expect(status.body.state).toBe('not_configured');
    expect(status.body.counts.not_configured).toBeGreaterThanOrEqual(1);
    expect(sf.all('Task')).toHaveLength(0);
    await paused.ctx.stop();

    const configured = await leadline(sf.env);
    const synced = await waitFor(async () => {
      const s = await salesforceOf(configured.app, callSid);
      return s?.state === 'synced' ? s : undefined;
    }, 'the call to reach Salesforce');
    const tasks = sf.all('Task').filter((t) => t.CallObject === callSid);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ Id: synced.taskId, WhoId: synced.whoId, CallType: 'Inbound' });
    expect(sf.all('CampaignMember')).toEqual([
      expect.objectContaining({
        CampaignId: '701000000000009AAA',
        LeadId: synced.whoId,
        Status: 'Responded',
      }),
    ]);
    const list = await request(configured.app)
      .get(`/api/v1/calls?campaignId=${campaign.id}`)
      .set('Authorization', admin);
    expect(list.body.calls[0].salesforce).toMatchObject({ state: 'synced', taskId: synced.taskId });

    // The Lead becomes a won Opportunity in Salesforce; the read-back brings the revenue home.
    const won = sf.insert('Opportunity', {
      Name: 'Boiler replacement',
      StageName: 'Closed Won',
      IsWon: true,
      IsClosed: true,
      Amount: 12000,
      CloseDate: '2026-06-15',
    });
    const lead = sf.all('Lead').find((l) => l.Id === synced.whoId);
    Object.assign(lead ?? {}, { IsConverted: true, ConvertedOpportunityId: won.Id });
    await configured.ctx.salesforce.readBack();
    const revenue = await request(configured.app)
      .get('/api/v1/salesforce/revenue?groupBy=campaign')
      .set('Authorization', admin);
    expect(revenue.body.rows).toEqual([
      { key: campaign.id, deals: 1, wonDeals: 1, revenue: 12000, openPipeline: 0 },
    ]);
  });

  it('retries dead letters on request and refuses a malformed call sid', async () => {
    const { app } = await leadline(sf.env);
    const bad = await request(app)
      .post('/api/v1/salesforce/sync/retry')
      .set('Authorization', admin)
      .send({ callSid: 'nope' });
    expect(bad.status).toBe(400);
    const ok = await request(app)
      .post('/api/v1/salesforce/sync/retry')
      .set('Authorization', admin)
      .send({});
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ retried: [] });
  });
});
