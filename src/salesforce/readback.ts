import type { CallRow } from '../calls/calls.repo';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { soqlString } from './caller-match';
import { isContactId } from './mapping';
import type { SalesforceApi } from './salesforce.client';
import type { OutcomeRow, SyncRepo } from './sync.repo';

/*
 * The closed loop. Salesforce facts relied on (Object Reference: Lead, Opportunity,
 * OpportunityContactRole): a converted Lead has IsConverted = true, ConvertedOpportunityId and
 * ConvertedContactId; Opportunities reach Contacts through OpportunityContactRole (ContactId,
 * OpportunityId), whose parent fields are read in one SOQL as `Opportunity.StageName` etc.
 * Each query lists at most ID_CHUNK ids, so the GET URL stays well under Salesforce's limits.
 */
const ID_CHUNK = 200;

export interface ReadBackDeps {
  repo: SyncRepo;
  api: SalesforceApi;
  calls: { findCall(callSid: string): Promise<CallRow | undefined> };
  clock: Clock;
  log: Logger;
}

interface Opportunity {
  id: string;
  stage: string | null;
  isWon: boolean;
  isClosed: boolean;
  amount: number | null;
  closeDate: string | null;
}

/**
 * Reads back what became of the people Leadline synced: Leads converted to Opportunities, and
 * Opportunities on synced Contacts. Each Opportunity is stored against the person's first synced
 * call. Returns how many outcomes were stored.
 */
export async function readBackOutcomes(deps: ReadBackDeps): Promise<number> {
  const { repo, api } = deps;
  const people = await repo.firstCallPerPerson();
  if (people.size === 0) return 0;
  const leadIds = [...people.keys()].filter((id) => !isContactId(id));
  const contactFor = new Map<string, string>(); // contact id → the person it came from
  for (const id of people.keys()) if (isContactId(id)) contactFor.set(id, id);

  const found = new Map<string, { whoId: string; via: string; opp?: Opportunity }>();
  for (const ids of chunk(leadIds)) {
    const leads = await api.query(
      `SELECT Id, IsConverted, ConvertedOpportunityId, ConvertedContactId FROM Lead WHERE Id IN (${ids.map(soqlString).join(', ')})`,
    );
    for (const l of leads) {
      if (l.IsConverted !== true) continue;
      if (typeof l.ConvertedOpportunityId === 'string') {
        found.set(l.ConvertedOpportunityId, { whoId: l.Id, via: 'converted-lead' });
      }
      if (typeof l.ConvertedContactId === 'string') contactFor.set(l.ConvertedContactId, l.Id);
    }
  }

  const convertedIds = [...found.keys()];
  for (const ids of chunk(convertedIds)) {
    const opps = await api.query(
      `SELECT Id, StageName, IsWon, IsClosed, Amount, CloseDate FROM Opportunity WHERE Id IN (${ids.map(soqlString).join(', ')})`,
    );
    for (const o of opps) {
      const entry = found.get(o.Id);
      if (entry) entry.opp = opportunityOf(o.Id, o);
    }
  }

  for (const ids of chunk([...contactFor.keys()])) {
    const roles = await api.query(
      'SELECT OpportunityId, ContactId, Opportunity.StageName, Opportunity.IsWon, Opportunity.IsClosed, ' +
        `Opportunity.Amount, Opportunity.CloseDate FROM OpportunityContactRole WHERE ContactId IN (${ids.map(soqlString).join(', ')})`,
    );
    for (const r of roles) {
      const oppId = r.OpportunityId as string;
      const whoId = contactFor.get(r.ContactId as string);
      if (!whoId || found.get(oppId)?.opp) continue;
      found.set(oppId, {
        whoId,
        via: 'contact-role',
        opp: opportunityOf(oppId, (r.Opportunity ?? {}) as Record<string, unknown>),
      });
    }
  }

  const now = deps.clock.now();
  let stored = 0;
  for (const [oppId, f] of found) {
    const callSid = people.get(f.whoId);
    if (!f.opp || !callSid) continue;
    const call = await deps.calls.findCall(callSid);
    const row: OutcomeRow = {
      opportunityId: oppId,
      callSid,
      whoId: f.whoId,
      via: f.via,
      stage: f.opp.stage,
      isWon: f.opp.isWon,
      isClosed: f.opp.isClosed,
      amount: f.opp.amount,
      closeDate: f.opp.closeDate,
      campaignId: call?.campaignId ?? null,
      source: call?.source ?? null,
      keyword: call?.keyword ?? null,
      readAt: now,
    };
    await repo.upsertOutcome(row);
    stored++;
  }
  deps.log.info({ people: people.size, outcomes: stored }, 'salesforce outcomes read back');
  return stored;
}

function opportunityOf(id: string, o: Record<string, unknown>): Opportunity {
  return {
    id,
    stage: typeof o.StageName === 'string' ? o.StageName : null,
    isWon: o.IsWon === true,
    isClosed: o.IsClosed === true,
    amount: typeof o.Amount === 'number' ? o.Amount : null,
    closeDate: typeof o.CloseDate === 'string' ? o.CloseDate : null,
  };
}

function chunk(ids: string[]): string[][] {
  const out: string[][] = [];
  for (let k = 0; k < ids.length; k += ID_CHUNK) out.push(ids.slice(k, k + ID_CHUNK));
  return out;
}
