import { randomBytes } from 'node:crypto';
import { callScores } from '../db/schema';
import type { CallRow } from '../src/calls/calls.repo';
import type { CallScore } from '../src/calls/calls.service';
import { deployMetadata } from '../src/salesforce/deploy';
import { createSalesforceClient } from '../src/salesforce/salesforce.client';
import { createSyncRepo } from '../src/salesforce/sync.repo';
import { createSyncService, type SyncService } from '../src/salesforce/sync.service';
import type { Database } from '../src/shared/db';
import { createLogger } from '../src/shared/logger';
import { ManualClock } from './support/clock';
import { openTestDatabase } from './support/database';
import {
  startSalesforceStandin,
  type Failure,
  type SalesforceStandin,
} from '../src/demo/salesforce/standin';

const log = createLogger('silent');
let sf: SalesforceStandin;
let database: Database;
let drop: () => Promise<void>;
const clock = new ManualClock('2026-06-01T15:00:00Z');
const calls = new Map<string, CallRow>();
const scores = new Map<string, CallScore>();
let phoneSeq = 0;

beforeAll(async () => {
  sf = await startSalesforceStandin();
  ({ database, drop } = await openTestDatabase());
  await deployMetadata(client());
});
afterAll(async () => {
  await drop();
  await sf.close();
});

function client(timeoutMs = 5_000) {
  return createSalesforceClient({ ...settings(), timeoutMs });
}
const settings = () => ({
  instanceUrl: sf.url,
  accessToken: 'initial-token',
  apiVersion: '60.0',
  timeoutMs: 5_000,
});

function syncService(over: { timeoutMs?: number; refresh?: boolean } = {}): SyncService {
  const api = createSalesforceClient(
    over.refresh
      ? {
          loginUrl: sf.url,
          clientId: 'test-client',
          clientSecret: 'test-secret',
          refreshToken: 'test-refresh-token',
          apiVersion: '60.0',
          timeoutMs: over.timeoutMs ?? 5_000,
        }
      : { ...settings(), timeoutMs: over.timeoutMs ?? 5_000 },
  );
  return createSyncService({
    repo: createSyncRepo(database.db),
    api,
    calls: { findCall: async (sid) => calls.get(sid) },
    scores: async (sids) =>
      new Map(sids.flatMap((s) => (scores.has(s) ? [[s, scores.get(s) as CallScore]] : []))),
    campaigns: {
      getCampaign: async (id) => ({
        name: `Campaign ${id.slice(0, 4)}`,
        salesforceCampaignId: id.startsWith('sf') ? '701000000000001AAA' : null,
      }),
    },
    clock,
    log,
    publicBaseUrl: 'https://leadline.test',
    // Tests flush by hand; the window's timer never fires during a test.
    windowMs: 3_600_000,
    random: () => 0.5,
  });
}

const newPhone = () => `+1312${String(5_550_000 + ++phoneSeq).padStart(7, '0')}`;

/** A finished, scored call from `from` (a new number unless given). */
async function scoredCall(sync: SyncService, over: Partial<CallRow> = {}) {
  const callSid = `CA${randomBytes(16).toString('hex')}`;
  calls.set(callSid, {
    callSid,
    fromNumber: newPhone(),
    toNumber: '+14155550100',
    campaignId: 'c0ffee00-0000-4000-8000-000000000001',
    attribution: 'exact',
    status: 'completed',
    outcome: 'answered',
    startedAt: clock.now(),
    durationSeconds: 125,
    talkSeconds: 120,
    callerName: null,
    callerCity: 'Chicago',
    callerState: 'IL',
    callerZip: '60601',
    firstTime: true,
    source: 'google',
    medium: 'cpc',
    keyword: 'plumber near me',
    landingUrl: 'https://www.example.com/?utm_source=google',
    recordingUrl: null,
    ...over,
  } as CallRow);
  scores.set(callSid, {
    score: 82,
    qualified: true,
    label: 'hot',
    explanation: [],
    rulesVersion: 0,
  });
  await sync.callScored(callSid);
  return callSid;
}

const tasksFor = (callSid: string) => sf.all('Task').filter((t) => t.CallObject === callSid);
const stateOf = async (sync: SyncService, callSid: string) =>
  (await sync.statesOf([callSid])).get(callSid);

describe('Salesforce sync: matching the caller', () => {
  it('puts the Task on a Contact whose phone was typed with punctuation, and records the rule', async () => {
    const sync = syncService();
    const contact = sf.insert('Contact', { LastName: 'Rivera', Phone: '(312) 555-8801' });
    sf.insert('Lead', { LastName: 'Older lead', Company: 'x', Phone: '312.555.8801' });
    const sid = await scoredCall(sync, { fromNumber: '+13125558801' });
    await sync.flush();
    const [task] = tasksFor(sid);
    expect(task?.WhoId).toBe(contact.Id);
    expect(task).toMatchObject({
      TaskSubtype: 'Call',
      CallType: 'Inbound',
      Status: 'Completed',
      CallDurationInSeconds: 125,
      Leadline_Score__c: 82,
      Leadline_Score_Label__c: 'hot',
      Leadline_Keyword__c: 'plumber near me',
    });
    expect(task?.RecordTypeId).toMatch(/^012/);
    expect(await stateOf(sync, sid)).toMatchObject({
      state: 'synced',
      whoId: contact.Id,
      matchRule: 'contact',
      taskId: task?.Id,
    });
  });

  it('matches the most recently modified open Lead and never a converted one', async () => {
    const sync = syncService();
    sf.insert('Lead', {
      LastName: 'Converted',
      Company: 'x',
      Phone: '+1 312-555-8802',
      IsConverted: true,
    });
    sf.insert('Lead', { LastName: 'Old', Company: 'x', Phone: '3125558802' });
    const recent = sf.insert('Lead', {
      LastName: 'Recent',
      Company: 'x',
      MobilePhone: '(312) 555 8802',
    });
    const sid = await scoredCall(sync, { fromNumber: '+13125558802' });
    await sync.flush();
    expect(tasksFor(sid)[0]?.WhoId).toBe(recent.Id);
    expect((await stateOf(sync, sid))?.matchRule).toBe('lead');
  });

  it('creates one Lead for an unknown caller (named "Caller <last 4>") even when it calls twice in a batch', async () => {
    const sync = syncService();
    const from = newPhone();
    const a = await scoredCall(sync, { fromNumber: from });
    const b = await scoredCall(sync, { fromNumber: from });
    await sync.flush();
    const leads = sf
      .all('Lead')
      .filter((l) => String(l.Phone).replace(/\D/g, '').endsWith(from.slice(-10)));
    expect(leads).toHaveLength(1);
    expect(leads[0]).toMatchObject({
      LastName: `Caller ${from.slice(-4)}`,
      Company: '[not provided]',
      LeadSource: 'google',
      City: 'Chicago',
      State: 'IL',
    });
    expect(tasksFor(a)[0]?.WhoId).toBe(leads[0]?.Id);
    expect(tasksFor(b)[0]?.WhoId).toBe(leads[0]?.Id);
    expect((await stateOf(sync, a))?.matchRule).toBe('lead-created');
  });

  it('adds the person to the mapped Campaign as Responded once, however often they call', async () => {
    const sync = syncService();
    const from = newPhone();
    const campaignId = 'sf000000-0000-4000-8000-000000000002';
    await scoredCall(sync, { fromNumber: from, campaignId });
    await sync.flush();
    await scoredCall(sync, { fromNumber: from, campaignId });
    await sync.flush();
    const lead = sf
      .all('Lead')
      .find((l) => String(l.Phone).replace(/\D/g, '').endsWith(from.slice(-10)));
    const members = sf.all('CampaignMember').filter((m) => m.LeadId === lead?.Id);
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({ CampaignId: '701000000000001AAA', Status: 'Responded' });
  });

  it('updates the Task of a rescored call instead of creating another', async () => {
    const sync = syncService();
    const sid = await scoredCall(sync);
    await sync.flush();
    scores.set(sid, {
      score: 12,
      qualified: false,
      label: 'cold',
      explanation: [],
      rulesVersion: 1,
    });
    await sync.callScored(sid);
    await sync.flush();
    expect(tasksFor(sid)).toHaveLength(1);
    expect(tasksFor(sid)[0]).toMatchObject({
      Leadline_Score__c: 12,
      Leadline_Score_Label__c: 'cold',
    });
  });
});

describe('Salesforce sync: rescoring runs', () => {
  it('updates the Tasks of calls a rescoring run scored again after they were synced', async () => {
    const sync = syncService();
    const sid = await scoredCall(sync);
    await sync.flush();
    clock.advance(60_000);
    // What a rescoring run does: it writes the score and tells nobody.
    scores.set(sid, {
      score: 40,
      qualified: false,
      label: 'warm',
      explanation: [],
      rulesVersion: 2,
    });
    await database.db.insert(callScores).values({
      callSid: sid,
      siteId: null,
      score: 40,
      qualified: false,
      label: 'warm',
      explanation: [],
      rulesVersion: 2,
      scoredAt: clock.now(),
    });
    await sync.flush();
    expect(tasksFor(sid)).toHaveLength(1);
    expect(tasksFor(sid)[0]).toMatchObject({
      Leadline_Score__c: 40,
      Leadline_Score_Label__c: 'warm',
    });
    expect(await stateOf(sync, sid)).toMatchObject({ state: 'synced' });
  });
});

describe('Salesforce read-back: the loop closes', () => {
  it('credits converted Leads and Contacts’ Opportunities to the first call, per source', async () => {
    const sync = syncService();
    const leadCaller = newPhone();
    const first = await scoredCall(sync, { fromNumber: leadCaller, source: 'loop-test' });
    await sync.flush();
    clock.advance(60_000);
    await scoredCall(sync, { fromNumber: leadCaller, source: 'loop-test' });
    const contact = sf.insert('Contact', { LastName: 'Buyer', Phone: newPhone() });
    await scoredCall(sync, { fromNumber: contact.Phone as string, source: 'loop-test' });
    await sync.flush();

    const leadId = tasksFor(first)[0]?.WhoId;
    const won = sf.insert('Opportunity', {
      Name: 'Won deal',
      StageName: 'Closed Won',
      IsWon: true,
      IsClosed: true,
      Amount: 5000,
      CloseDate: '2026-06-20',
    });
    const lead = sf.all('Lead').find((l) => l.Id === leadId);
    Object.assign(lead ?? {}, { IsConverted: true, ConvertedOpportunityId: won.Id });
    const open = sf.insert('Opportunity', {
      Name: 'Open deal',
      StageName: 'Negotiation',
      IsWon: false,
      IsClosed: false,
      Amount: 3000,
      CloseDate: '2026-07-01',
    });
    sf.insert('OpportunityContactRole', { OpportunityId: open.Id, ContactId: contact.Id });

    expect(await sync.readBack()).toBeGreaterThanOrEqual(2);
    await sync.readBack(); // reading again changes nothing
    const { rows } = await sync.revenue('source');
    expect(rows.find((r) => r.key === 'loop-test')).toEqual({
      key: 'loop-test',
      deals: 2,
      wonDeals: 1,
      revenue: 5000,
      openPipeline: 3000,
    });
  });
});

describe('Salesforce sync: batching', () => {
  it('sends 450 activities as 3 composite Task requests, within 5 API requests per 200', async () => {
    const sync = syncService();
    for (let k = 0; k < 450; k++) await scoredCall(sync);
    const before = sf.requests.length;
    const collectionsBefore = sf.collections.length;
    await sync.flush();
    const sent = sf.requests.slice(before);
    const taskCreates = sf.collections
      .slice(collectionsBefore)
      .filter((c) => c.method === 'POST' && c.type === 'Task');
    // Per batch: one search, one Lead collection, one Task collection.
    expect(sent.filter((r) => r.startsWith('GET /search')).length).toBe(3);
    expect(taskCreates.map((c) => c.count)).toEqual([200, 200, 50]);
    const tasks = [...calls.keys()].slice(-450).map((sid) => tasksFor(sid).length);
    expect(tasks.every((n) => n === 1)).toBe(true);
    // 3 batches × (search + Lead collection + Task collection) + the record type, read once.
    expect(sent).toHaveLength(10);
    expect((sent.length / 450) * 200).toBeLessThanOrEqual(5);
  });
});

describe('Salesforce sync: failures end with exactly one Task per call', () => {
  /** Flushes, moving the clock past any backoff, until nothing is pending. */
  async function settle(sync: SyncService, sids: string[]) {
    for (let k = 0; k < 10; k++) {
      await sync.flush();
      const states = await sync.statesOf(sids);
      if ([...states.values()].every((s) => s.state === 'synced' || s.state === 'dead'))
        return states;
      clock.advance(60 * 60_000);
    }
    return sync.statesOf(sids);
  }

  it.each<[string, Failure, RegExp, boolean]>([
    ['REQUEST_LIMIT_EXCEEDED on a collection', { kind: 'limit' }, /POST \/composite/, false],
    ['503 on the search', { kind: 'unavailable' }, /GET \/search/, false],
    [
      'a timeout after the Leads were written',
      { kind: 'timeout-after-write' },
      /POST \/composite/,
      false,
    ],
    [
      'a timeout after the Tasks were written',
      { kind: 'timeout-after-write' },
      /POST \/composite/,
      true,
    ],
  ])('%s', async (_name, failure, match, knownCallers) => {
    const sync = syncService({ timeoutMs: 500 });
    const sids: string[] = [];
    for (let k = 0; k < 3; k++) {
      const fromNumber = newPhone();
      if (knownCallers) sf.insert('Contact', { LastName: 'Known', Phone: fromNumber });
      sids.push(await scoredCall(sync, { fromNumber }));
    }
    // The first POST is the Lead collection: a timeout there tests Leads, the next run Tasks.
    sf.failNext(failure, match);
    await sync.flush();
    const first = await sync.statesOf(sids);
    expect([...first.values()].some((s) => s.state === 'retrying')).toBe(true);
    const states = await settle(sync, sids);
    for (const sid of sids) {
      expect(tasksFor(sid)).toHaveLength(1);
      expect(states.get(sid)?.state).toBe('synced');
    }
  });

  it('refreshes an expired session once (OAuth refresh token) and carries on', async () => {
    const sync = syncService({ refresh: true });
    const refreshes = sf.refreshes;
    const sid = await scoredCall(sync);
    await sync.flush();
    sf.failNext({ kind: 'expire-session' });
    const again = await scoredCall(sync);
    await sync.flush();
    expect(sf.refreshes).toBe(refreshes + 2);
    expect(tasksFor(sid)).toHaveLength(1);
    expect(tasksFor(again)).toHaveLength(1);
  });

  it.each(['FIELD_CUSTOM_VALIDATION_EXCEPTION', 'INVALID_FIELD', 'REQUIRED_FIELD_MISSING'])(
    'dead-letters a Task refused with %s, keeps its message, and retries it on request',
    async (code) => {
      // The session test before this one expired the access token: use the refresh flow.
      const sync = syncService({ refresh: true });
      let reject = true;
      const keyword = `refused-${code}`;
      sf.addValidationRule(
        'Task',
        (_t, rec) =>
          reject && rec.Leadline_Keyword__c === keyword ? 'Keyword is not allowed' : null,
        code,
      );
      const bad = await scoredCall(sync, { keyword });
      const good = await scoredCall(sync);
      await sync.flush();
      expect(await stateOf(sync, good)).toMatchObject({ state: 'synced' });
      expect(tasksFor(good)).toHaveLength(1);
      expect(tasksFor(bad)).toHaveLength(0);
      const status = await sync.status();
      expect(status.deadLetters.find((d) => d.callSid === bad)).toMatchObject({
        errorCode: code,
        error: 'Task: Keyword is not allowed',
      });
      expect(await stateOf(sync, bad)).toMatchObject({ state: 'dead' });
      // A later batch leaves a dead letter alone.
      await sync.flush();
      expect(tasksFor(bad)).toHaveLength(0);

      reject = false;
      expect(await sync.retry(bad)).toEqual({ retried: [bad] });
      await sync.flush();
      expect(tasksFor(bad)).toHaveLength(1);
      expect(await stateOf(sync, bad)).toMatchObject({ state: 'synced' });
    },
  );
});
