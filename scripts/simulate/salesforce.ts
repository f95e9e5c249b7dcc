// --salesforce: the Salesforce stand-in on 127.0.0.1 with the Call Activity metadata deployed and
// one known customer (a Contact), Leadline's SF_* pointed at it, and afterwards a printout of the
// Tasks, Leads and CampaignMembers the sync created there.
import { startSalesforceStandin, type SalesforceStandin } from '../../src/demo/salesforce/standin';
import { deployMetadata } from '../../src/salesforce/deploy';
import { CALL_FIELDS } from '../../src/salesforce/metadata';
import { createSalesforceClient } from '../../src/salesforce/salesforce.client';
import type { LeadlineClient } from './leadline-client';
import { formatTable } from './scoring';

/** The Salesforce Campaign the simulated campaign is mapped to (CampaignMembers go there). */
export const SIMULATED_SF_CAMPAIGN_ID = '701000000000042AAA';
/** A customer Salesforce already knows, typed the way people type phones: the first planned caller. */
const KNOWN_CONTACT = { FirstName: 'Dana', LastName: 'Whitfield', Phone: '(212) 555-0100' };

export interface SimulatedSalesforce {
  standin: SalesforceStandin;
  /** Leadline's configuration for it: instance URL, token and a one-second batching window. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts the stand-in and deploys the metadata as `npm run salesforce:deploy` would. */
export async function startSimulatedSalesforce(): Promise<SimulatedSalesforce> {
  const standin = await startSalesforceStandin();
  await deployMetadata(
    createSalesforceClient({
      instanceUrl: standin.url,
      accessToken: 'initial-token',
      apiVersion: standin.env.SF_API_VERSION ?? '60.0',
      timeoutMs: 10_000,
    }),
  );
  standin.insert('Contact', KNOWN_CONTACT);
  return {
    standin,
    env: { ...standin.env, SF_SYNC_WINDOW_MS: '1000' },
    close: () => standin.close(),
  };
}

/** Waits until nothing is waiting to go to Salesforce (or the time runs out). */
export async function waitForSalesforce(client: LeadlineClient, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await client.api<{ counts: Record<string, number> }>(
      'GET',
      '/salesforce/sync',
    );
    const waiting = (body.counts.pending ?? 0) + (body.counts.retrying ?? 0);
    if (waiting === 0 || Date.now() > until) return body.counts;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** What a newcomer would see in Salesforce: the Call Activity Tasks, on whom, and new Leads. */
export function describeSalesforce(sf: SalesforceStandin): string[] {
  const people = new Map(
    [...sf.all('Contact'), ...sf.all('Lead')].map((p) => [
      p.Id,
      `${p.Id.startsWith('003') ? 'Contact' : 'Lead'} ${[p.FirstName, p.LastName].filter(Boolean).join(' ')}`,
    ]),
  );
  const tasks = sf.all('Task');
  const leads = sf.all('Lead');
  const members = sf.all('CampaignMember');
  const composite = sf.requests.filter((r) => r.includes('/composite/sobjects')).length;
  return [
    `salesforce: ${tasks.length} Call Activity Tasks, ${leads.length} Leads created, ` +
      `${members.length} CampaignMembers (Responded), ${sf.requests.length} API requests ` +
      `(${composite} composite) at ${sf.url}`,
    formatTable(
      ['Task', 'Subject', 'Who', 'Label', 'Source', 'CallObject'],
      tasks.map((t) => [
        t.Id,
        String(t.Subject ?? ''),
        people.get(String(t.WhoId)) ?? String(t.WhoId),
        String(t[CALL_FIELDS.scoreLabel.fullName] ?? ''),
        String(t[CALL_FIELDS.source.fullName] ?? ''),
        `${String(t.CallObject).slice(0, 10)}…`,
      ]),
    ),
    formatTable(
      ['Lead', 'Name', 'Phone', 'LeadSource', 'City', 'State'],
      leads.map((l) => [
        l.Id,
        [l.FirstName, l.LastName].filter(Boolean).join(' '),
        String(l.Phone ?? ''),
        String(l.LeadSource ?? ''),
        String(l.City ?? ''),
        String(l.State ?? ''),
      ]),
    ),
  ];
}
