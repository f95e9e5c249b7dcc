// One simulation run against a running Leadline: set up, start sessions, place calls, judge them.
import {
  createCarrierSimulator,
  mulberry32,
  type CallOutcome,
} from '../../src/demo/carrier/simulator';
import { conversation, ROBOCALLER } from './day';
import { labelReport, waitForScores, type ScoredCall } from './labels';
import { leadlineClient } from './leadline-client';
import { formatTable, judgeAttribution, summarize, type Verdict } from './scoring';
import { ensureSiteAndCampaign, poolTarget } from './site';
import { buildVisits, planCallers } from './traffic';

/** What one run does and where, as read from the command line. */
export interface SimulateOptions {
  visitors: number;
  calls: number;
  base: string;
  publicBaseUrl: string;
  adminKey: string;
  authToken: string;
  accountSid: string;
  duplicates: number;
  reorder: boolean;
  seed: number;
  maxPool: number;
  /** Leadline runs inside this process (set by --in-process and --salesforce). */
  inProcess?: boolean;
  /** Salesforce stand-in for the in-process Leadline, and its Tasks printed at the end. */
  salesforce?: boolean;
}

export interface CallResult {
  callSid: string;
  outcome: CallOutcome;
  source: string;
  number: string;
  attribution: string;
  verdict: Verdict;
  stateMatches: boolean;
}

/** The whole run; returns each call's result and the summary, printing progress through `log`. */
export async function runSimulation(
  opts: SimulateOptions,
  deps: {
    fetch?: typeof fetch;
    log?: (line: string) => void;
    /** Map the simulated campaign to this Salesforce Campaign (CampaignMembers). */
    salesforceCampaignId?: string;
  } = {},
): Promise<{ results: CallResult[]; scored: ScoredCall[]; line: string; exitCode: number }> {
  const log = deps.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const rng = mulberry32(opts.seed);
  const client = leadlineClient(opts.base, opts.adminKey, deps.fetch);
  log(
    `simulate: ${opts.visitors} visitors, ${opts.calls} calls against ${opts.base} (seed ${opts.seed})`,
  );

  const { site, campaign } = await ensureSiteAndCampaign(client);
  // The day's calls differ for reasons the default rules read: what answered callers say
  // (transcription on), and a robocaller on the block list.
  await client.api('PATCH', `/campaigns/${campaign.id}`, {
    transcription: true,
    ...(deps.salesforceCampaignId ? { salesforceCampaignId: deps.salesforceCampaignId } : {}),
  });
  const blocked = (await client.api<{ blocked: { pattern: string }[] }>('GET', '/blocked-numbers'))
    .body.blocked;
  if (!blocked.some((b) => b.pattern === ROBOCALLER)) {
    await client.api('POST', '/blocked-numbers', {
      pattern: ROBOCALLER,
      reason: 'simulated robocaller',
    });
  }
  const pool = (
    await client.api<{ size: number; leasedNow: number; recommendedSize: number }>(
      'GET',
      `/campaigns/${campaign.id}/pool`,
    )
  ).body;
  const { target, toBuy } = poolTarget(pool, opts.visitors, opts.maxPool);
  if (toBuy.length) log(`pool: ${pool.size} numbers, provisioning ${target - pool.size} more`);
  for (const count of toBuy)
    await client.api('POST', `/campaigns/${campaign.id}/numbers`, { count });

  const visits = buildVisits(opts.visitors, rng);
  const sessions = [];
  for (const visit of visits) {
    const res = await client.startSession(visit, site.siteKey);
    if (res.status !== 200) throw new Error(`POST /dni/v1/sessions: ${res.status}`);
    sessions.push(res.body);
  }
  log(`visitors: ${sessions.length} sessions started`);

  const carrier = createCarrierSimulator({
    publicBaseUrl: opts.publicBaseUrl,
    targetBaseUrl: opts.base,
    authToken: opts.authToken,
    accountSid: opts.accountSid,
    rng,
    neverAfterNow: true,
  });
  const placed = [];
  let skipped = 0;
  for (const caller of planCallers(visits.length, opts.calls, rng)) {
    const session = sessions[caller.visit];
    const visit = visits[caller.visit];
    // Shown no tracking number, or the lease is gone: not a call this run can judge.
    if (!session?.number || !visit || new Date(session.expiresAt).getTime() <= Date.now()) {
      skipped++;
      continue;
    }
    const call = await carrier.placeCall({
      from: caller.from,
      to: session.number.e164,
      outcome: caller.outcome,
      fromZip: caller.fromZip,
      ringSeconds: caller.ringSeconds,
      talkSeconds: caller.talkSeconds,
      duplicates: opts.duplicates,
      reorder: opts.reorder,
      ...(caller.outcome === 'answered' ? { utterances: conversation(rng) } : {}),
    });
    const refused = call.deliveries.filter((d) => d.status >= 300);
    if (refused[0]) {
      throw new Error(
        `Leadline answered ${refused[0].status} to ${refused[0].path} (is --public-base-url / --auth-token what Leadline uses?)`,
      );
    }
    placed.push({ caller, session, visit, call });
  }

  if (skipped) log(`calls: ${skipped} visitors had no live tracking number to call; skipped`);
  const spamTo = placed[0]?.session.number?.e164;
  const spam = spamTo
    ? await carrier.placeCall({
        from: ROBOCALLER,
        to: spamTo,
        outcome: 'answered',
        talkSeconds: 20,
      })
    : undefined;

  const results: CallResult[] = [];
  for (const p of placed) {
    const res = await client.find<{
      attribution?: string;
      visitorId?: string | null;
      sessionId?: string | null;
      status?: string;
      durationSeconds?: number | null;
    }>(`/calls/${p.call.callSid}`);
    const record = res.status === 200 ? res.body : null;
    results.push({
      callSid: p.call.callSid,
      outcome: p.caller.outcome,
      source: p.visit.source,
      number: p.session.number?.e164 ?? '',
      attribution: record?.attribution ?? '-',
      verdict: judgeAttribution(p.session, record),
      stateMatches:
        record?.status === p.call.expected.status &&
        record.durationSeconds === p.call.expected.durationSeconds,
    });
  }

  log(
    formatTable(
      ['#', 'call', 'outcome', 'source', 'number', 'attribution', 'result'],
      results.map((r, i) => [
        String(i + 1),
        `${r.callSid.slice(0, 10)}…`,
        r.outcome,
        r.source,
        r.number,
        r.attribution,
        r.verdict === 'tied' ? 'ok' : r.verdict.toUpperCase(),
      ]),
    ),
  );
  const drifted = results.filter((r) => r.verdict !== 'lost' && !r.stateMatches).length;
  if (drifted) log(`state: ${drifted} calls end with a status or duration Twilio did not report`);
  const summary = summarize(results.map((r) => r.verdict));
  log(summary.line);

  const { scored, unscored } = await waitForScores(client, [
    ...placed.map((p) => p.call.callSid),
    ...(spam ? [spam.callSid] : []),
  ]);
  for (const line of labelReport(scored, unscored)) log(line);
  return { results, scored, ...summary };
}
