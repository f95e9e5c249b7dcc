import type { CallRow } from '../calls/calls.repo';
import type { CallScore } from '../calls/calls.service';
import type { Clock } from '../shared/clock';
import { addCampaignMembers } from './campaign-members';
import { leadsByExactPhone, matchCallers, soqlString, type MatchRule } from './caller-match';
import { chunks } from './chunks';
import {
  leadRecord,
  normalizePhone,
  scoreFields,
  taskRecord,
  type CampaignInfo,
  type Phone,
} from './mapping';
import { RECORD_TYPE } from './metadata';
import { MAX_COLLECTION, SalesforceError, type SalesforceApi } from './salesforce.client';
import { errorOf, firstError, type Item, type SyncResults } from './sync-results';
import type { SyncRepo, SyncRow } from './sync.repo';

export interface BatchSenderDeps {
  repo: SyncRepo;
  results: SyncResults;
  calls: { findCall(callSid: string): Promise<CallRow | undefined> };
  scores: (callSids: string[]) => Promise<Map<string, CallScore>>;
  campaigns: { getCampaign(id: string): Promise<CampaignInfo> };
  clock: Clock;
  publicBaseUrl: string;
}

/**
 * Sends one batch of claimed calls: recover Tasks and Leads whose create had an unknown outcome,
 * match callers (or create Leads), create or update Tasks, add CampaignMembers, each step one
 * composite request per 200 records. A call that fails a step skips the rest and is retried or
 * dead-lettered; the others carry on.
 */
export function createBatchSender(deps: BatchSenderDeps) {
  const { repo, results } = deps;
  let recordTypeId: string | null = null;

  async function callRecordTypeId(sf: SalesforceApi): Promise<string> {
    if (recordTypeId) return recordTypeId;
    const [rt] = await sf.query(
      `SELECT Id FROM RecordType WHERE SobjectType = 'Task' AND DeveloperName = ${soqlString(RECORD_TYPE.fullName)}`,
    );
    if (!rt) {
      throw new SalesforceError(
        'RECORD_TYPE_MISSING',
        'the Call Activity record type is not deployed (npm run salesforce:deploy)',
      );
    }
    recordTypeId = rt.Id;
    return rt.Id;
  }

  async function load(rows: SyncRow[]): Promise<Item[]> {
    const scores = await deps.scores(rows.map((r) => r.callSid));
    const campaigns = new Map<string, Promise<CampaignInfo | null>>();
    const campaignOf = (id: string | null) => {
      if (!id) return Promise.resolve(null);
      if (!campaigns.has(id))
        campaigns.set(
          id,
          deps.campaigns.getCampaign(id).catch(() => null),
        );
      return campaigns.get(id) ?? Promise.resolve(null);
    };
    const items: Item[] = [];
    for (const row of rows) {
      const call = await deps.calls.findCall(row.callSid);
      if (!call) {
        await results.dead(row, 'CALL_NOT_FOUND', 'the call is not in Leadline any more');
        continue;
      }
      items.push({
        row,
        call,
        score: scores.get(row.callSid) ?? null,
        campaign: await campaignOf(call.campaignId),
        phone: normalizePhone(call.fromNumber),
        whoId: row.whoId,
        matchRule: (row.matchRule as MatchRule | null) ?? null,
        taskId: row.taskId,
        failed: false,
      });
    }
    return items;
  }

  /** Runs one step over some items; a whole-request failure fails each of them. */
  async function step(items: Item[], fn: (items: Item[]) => Promise<void>) {
    const live = items.filter((i) => !i.failed);
    if (live.length === 0) return;
    try {
      await fn(live);
    } catch (err) {
      const { code, message } = errorOf(err);
      for (const i of live) await results.fail(i, code, message);
    }
  }

  return async function syncBatch(sf: SalesforceApi, rows: SyncRow[]): Promise<void> {
    const items = await load(rows);
    const all = () => items.filter((i) => !i.failed);

    await step(items, async () => void (await callRecordTypeId(sf)));

    // A Task create whose outcome is unknown: find it by CallObject before creating another.
    await step(
      all().filter((i) => !i.taskId && i.row.createSent),
      async (unsure) => {
        const list = unsure.map((i) => soqlString(i.call.callSid)).join(', ');
        const tasks = await sf.query(
          `SELECT Id, WhoId, CallObject FROM Task WHERE CallObject IN (${list})`,
        );
        const byCall = new Map(tasks.map((t) => [t.CallObject as string, t]));
        for (const i of unsure) {
          const t = byCall.get(i.call.callSid);
          if (t) {
            i.taskId = t.Id;
            i.whoId = typeof t.WhoId === 'string' ? t.WhoId : i.whoId;
          }
        }
      },
    );

    const needWho = () => all().filter((i) => !i.taskId && !i.whoId);
    for (const i of needWho()) {
      if (!i.phone)
        await results.fail(
          i,
          'INVALID_PHONE',
          `caller number ${i.call.fromNumber ?? '(none)'} is not a phone number`,
        );
    }
    // A Lead create whose outcome is unknown: the exact phone sent finds it (SOQL, no index lag).
    await step(
      needWho().filter((i) => i.row.leadCreateSent),
      async (unsure) => assign(unsure, await leadsByExactPhone(sf, phonesOf(unsure))),
    );
    await step(needWho(), async (rest) => assign(rest, await matchCallers(sf, phonesOf(rest))));

    // Callers nobody knows: one Lead per number, even when it called several times.
    await step(needWho(), async (unknown) => {
      const byPhone = groupBy(unknown, (i) => i.phone?.e164 ?? '');
      const firsts = [...byPhone.values()].map((g) => g[0] as Item);
      await repo.markMany(
        unknown.map((i) => i.row.callSid),
        { leadCreateSent: true },
      );
      for (const chunk of chunks(firsts, MAX_COLLECTION)) {
        const saved = await sf.createMany(
          'Lead',
          chunk.map((i) => leadRecord(i.call, i.phone as Phone)),
        );
        for (const [k, first] of chunk.entries()) {
          const r = saved[k];
          const group = byPhone.get(first.phone?.e164 ?? '') ?? [];
          for (const i of group) {
            if (r?.success && r.id) {
              i.whoId = r.id;
              i.matchRule = 'lead-created';
            } else {
              const e = firstError(r);
              await results.fail(i, e.statusCode, `Lead: ${e.message}`);
            }
          }
        }
      }
    });

    const rtId = recordTypeId ?? '';
    // New Tasks. Marked as sent first, so a timeout leads to a CallObject lookup, not a copy.
    await step(
      all().filter((i) => !i.taskId && i.whoId),
      async (toCreate) => {
        await repo.markMany(
          toCreate.map((i) => i.row.callSid),
          { createSent: true },
        );
        for (const chunk of chunks(toCreate, MAX_COLLECTION)) {
          const saved = await sf.createMany(
            'Task',
            chunk.map((i) =>
              taskRecord({
                call: i.call,
                score: i.score,
                campaign: i.campaign,
                whoId: i.whoId as string,
                recordTypeId: rtId,
                publicBaseUrl: deps.publicBaseUrl,
              }),
            ),
          );
          for (const [k, i] of chunk.entries()) {
            const r = saved[k];
            if (r?.success && r.id) i.taskId = r.id;
            else {
              const e = firstError(r);
              await results.fail(i, e.statusCode, `Task: ${e.message}`, { createSent: false });
            }
          }
        }
      },
    );

    // Rescored calls: their Task gets the new score.
    await step(
      all().filter((i) => i.row.needsUpdate && i.row.taskId),
      async (toUpdate) => {
        for (const chunk of chunks(toUpdate, MAX_COLLECTION)) {
          const saved = await sf.updateMany(
            'Task',
            chunk.map((i) => ({ Id: i.taskId, ...scoreFields(i.call, i.score) })),
          );
          for (const [k, i] of chunk.entries()) {
            const r = saved[k];
            if (!r?.success) {
              const e = firstError(r);
              await results.fail(i, e.statusCode, `Task update: ${e.message}`);
            }
          }
        }
      },
    );

    await step(
      all().filter((i) => i.whoId && i.campaign?.salesforceCampaignId),
      async (members) => addCampaignMembers(deps, sf, members),
    );

    await results.synced(all());
  };
}

function assign(items: Item[], matches: Map<string, { whoId: string; rule: MatchRule }>) {
  for (const i of items) {
    const m = i.phone ? matches.get(i.phone.e164) : undefined;
    if (m) {
      i.whoId = m.whoId;
      i.matchRule = m.rule;
    }
  }
}

const phonesOf = (items: Item[]) => items.flatMap((i) => (i.phone ? [i.phone] : []));

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) out.set(key(x), [...(out.get(key(x)) ?? []), x]);
  return out;
}
