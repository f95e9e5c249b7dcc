import path from 'node:path';
import type { Config } from './shared/config';
import type { Database } from './shared/db';
import type { Logger } from './shared/logger';
import { systemClock, type Clock } from './shared/clock';
import type { TwilioCallsApi, TwilioNumbersApi } from './shared/twilio';
import { createKeysRepo } from './keys/keys.repo';
import { createKeyService } from './keys/keys.service';
import { createCampaignsRepo } from './campaigns/campaigns.repo';
import { createCampaignService } from './campaigns/campaigns.service';
import { createNumbersRepo } from './numbers/numbers.repo';
import { createNumbersService } from './numbers/numbers.service';
import { createNumberDirectory } from './numbers/number-directory';
import { createDniService } from './numbers/dni.service';
import { createRoutingService } from './routing/routing.service';
import { createAgentsRepo } from './routing/agents.repo';
import { createAgentService } from './routing/agents.service';
import { createAgentPool } from './routing/agent-pool';
import { createRoutingRepo } from './routing/routing.repo';
import { createAgentNotifier } from './routing/screen-pop';
import { createDispositionsRepo } from './routing/dispositions.repo';
import { createDispositionService } from './routing/dispositions.service';
import { createFollowUpsRepo } from './routing/follow-ups.repo';
import { createFollowUpService } from './routing/follow-ups.service';
import { createAttributionReport } from './reports/attribution.report';
import { createFollowUpReport } from './reports/follow-ups.report';
import { coarse, lazyIpLocator } from './geo/ip-location';
import { createCallsRepo, type CallRow } from './calls/calls.repo';
import { createCallService } from './calls/calls.service';
import { createBlockList } from './calls/block-list';
import { createCallerIdentity } from './calls/caller-identity';
import { createWebhookIngest } from './calls/webhook-ingest';
import { createCallWebhooks } from './calls/call-webhooks';
import { createDeadLettersRepo } from './calls/webhook-dead-letters.repo';
import { createJobQueue } from './jobs/queue';
import { createScoringRepo } from './scoring/scoring.repo';
import { createScoringService } from './scoring/scoring.service';
import { scoreCallJob } from './scoring/score-call.job';
import { rescoreJob } from './scoring/rescore.job';
import { createTranscriptsRepo } from './scoring/transcripts.repo';
import { createTranscriptService } from './scoring/transcripts.service';
import { createSalesforceClient, salesforceSettings } from './salesforce/salesforce.client';
import { createSyncRepo } from './salesforce/sync.repo';
import { createSyncService } from './salesforce/sync.service';
import { salesforceSyncJob } from './salesforce/sync.job';
import { salesforceReadBackJob } from './salesforce/readback.job';
import type { SalesforceApi } from './salesforce/salesforce.client';
import { createPrivacyRepo } from './privacy/privacy.repo';
import { createErasureService } from './privacy/erasure';
import { createRetentionSchedule, createRetentionService } from './privacy/retention';
import { retentionJob } from './privacy/retention.job';
import { createMetrics } from './metrics/metrics';
// The composition root is the one product file allowed to wire demo mode.
import { createNumbersApiProvider } from './demo/twilio-rest/provider';
import type { StandinOutboundCall } from './demo/twilio-rest/types';
import { createDemoService } from './demo/demo.service';
import { DEMO_TWILIO_ACCOUNT_SID } from './shared/config';

/** Advisory-lock key that serialises the demo seed across nodes (any fixed number). */
const DEMO_SEED_LOCK = 7_243_002;

export interface ContextDeps {
  config: Config;
  database: Database;
  logger: Logger;
  clock?: Clock;
  /** Twilio's numbers API; by default from config (real, TWILIO_API_BASE_URL, or demo stand-in). */
  twilioNumbers?: TwilioNumbersApi;
  /** Twilio's calls API (follow-up callbacks); by default the same Twilio as the numbers API. */
  twilioCalls?: TwilioCallsApi;
  /** Salesforce's API; by default from config (null: not configured, sync paused). */
  salesforceApi?: SalesforceApi | null;
}

/**
 * Builds every service from its repos once; the app, the server and scripts share it. Building
 * starts nothing: `start()` warms caches and starts timers, `stop()` ends them.
 */
export function createContext(deps: ContextDeps) {
  const { config, database, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const db = database.db;
  // Demo mode: a call placed through the Twilio stand-in (a follow-up callback) rings for real.
  const demoCalls = {
    onCallCreated: (call: StandinOutboundCall) => void demo.playPlacedCall(call),
  };
  const provider = deps.twilioNumbers ? undefined : createNumbersApiProvider(config, demoCalls);
  const twilioNumbers = deps.twilioNumbers ?? (provider as TwilioNumbersApi);
  // Callbacks go to the same Twilio (or stand-in) as number purchases, even with injected numbers.
  const callsProvider =
    deps.twilioCalls || provider ? undefined : createNumbersApiProvider(config, demoCalls);
  const twilioCalls: TwilioCallsApi = deps.twilioCalls ?? provider ?? callsProvider ?? noCalls;

  const keys = createKeyService({
    keys: createKeysRepo(db),
    adminKey: config.LEADLINE_ADMIN_KEY,
    clock,
  });
  // numbers and the directory are built below; campaigns reach them through late-bound callbacks.
  const campaigns = createCampaignService({
    repo: createCampaignsRepo(db),
    clock,
    trackingNumbersAmong: (e164s) => numbers.trackingNumbersAmong(e164s),
    onCampaignChanged: (row) => directory.campaignChanged(row),
  });

  const numbersRepo = createNumbersRepo(database);
  const directory = createNumberDirectory({
    repo: numbersRepo,
    campaigns,
    clock,
    log: logger.child({ feature: 'directory' }),
  });
  const numbers = createNumbersService({
    repo: numbersRepo,
    campaigns,
    directory,
    twilio: twilioNumbers,
    clock,
    log: logger.child({ feature: 'numbers' }),
    publicBaseUrl: config.publicBaseUrl,
    quarantineDays: config.NUMBER_QUARANTINE_DAYS,
    demoMode: config.demoMode,
  });
  // IP → place (visitors), opened on first use; GEOIP_DB_PATH may name an official MaxMind file.
  const geoLog = logger.child({ feature: 'geo' });
  const ipLocator = lazyIpLocator({
    dbPath: config.GEOIP_DB_PATH,
    onError: (err) => geoLog.error({ err }, 'IP location database not opened'),
  });
  const dni = createDniService({
    repo: numbersRepo,
    campaigns,
    clock,
    log: logger.child({ feature: 'dni' }),
    locateIp: async (ip) => {
      const place = await ipLocator.locate(ip);
      return place ? coarse(place) : null;
    },
  });

  const routingLog = logger.child({ feature: 'routing' });
  const agentsRepo = createAgentsRepo(database);
  const agentPool = createAgentPool({ repo: agentsRepo, log: routingLog });
  const agents = createAgentService({ repo: agentsRepo, clock, onChange: agentPool.changed });
  // Sockets attach later (server.ts, tests): until then screen-pops go nowhere.
  const agentNotifier = createAgentNotifier();
  const decisions = createRoutingRepo(database);
  const finishedCall = (
    c: Pick<
      CallRow,
      | 'fromNumber'
      | 'toNumber'
      | 'outcome'
      | 'endedAt'
      | 'callerCity'
      | 'callerState'
      | 'campaignId'
    >,
  ) => ({
    from: c.fromNumber,
    to: c.toNumber,
    outcome: c.outcome,
    endedAt: c.endedAt,
    city: c.callerCity,
    state: c.callerState,
    campaignId: c.campaignId,
  });
  const followUps = createFollowUpService({
    repo: createFollowUpsRepo(db),
    decisions,
    agents: agentsRepo,
    pool: agentPool,
    callOf: async (callSid) => {
      const c = await callsRepo.findCall(callSid);
      return c ? finishedCall(c) : null;
    },
    callsOf: async (callSids) =>
      new Map((await callsRepo.callersOf(callSids)).map((c) => [c.callSid, finishedCall(c)])),
    twilio: twilioCalls,
    notifyAgent: agentNotifier.notify,
    publicBaseUrl: config.publicBaseUrl,
    clock,
    log: routingLog,
  });
  const routing = createRoutingService({
    publicBaseUrl: config.publicBaseUrl,
    agents: agentsRepo,
    pool: agentPool,
    decisions,
    followUps,
    clock,
    log: routingLog,
    notifyAgent: agentNotifier.notify,
    lookupNumber: (e164) => directory.lookup(e164),
    callDetails: async (callSid) => {
      const c = await callsRepo.findCall(callSid);
      return c
        ? {
            from: c.fromNumber,
            callerName: c.callerName,
            firstTime: c.firstTime,
            previousCalls: c.previousCalls,
            landingUrl: c.landingUrl,
            referrer: c.referrer,
            source: c.source,
            medium: c.medium,
            utmCampaign: c.utmCampaign,
            keyword: c.keyword,
            gclid: c.gclid,
            device: c.device,
          }
        : null;
    },
    heartbeatTimeoutMs: config.AGENT_HEARTBEAT_TIMEOUT_SECONDS * 1000,
    answerDeadlineMs: config.VOICE_DEADLINE_MS,
  });

  const queue = createJobQueue({
    queueDb: database.queueDb,
    log: logger.child({ feature: 'jobs' }),
    concurrency: config.JOB_BATCH_SIZE,
    pollingIntervalSeconds: config.JOB_POLL_SECONDS,
  });

  const callsLog = logger.child({ feature: 'calls' });
  const callsRepo = createCallsRepo(database);
  const blockList = createBlockList({ repo: callsRepo, clock });
  const ingest = createWebhookIngest({
    repo: callsRepo,
    identifyCaller: createCallerIdentity({
      repo: callsRepo,
      directory,
      numbers,
      blockList,
      graceSeconds: config.ATTRIBUTION_GRACE_SECONDS,
      repeatWindowDays: config.REPEAT_CALLER_WINDOW_DAYS,
    }),
    deadLetters: createDeadLettersRepo(db),
    durability: {
      journalDir:
        config.WEBHOOK_JOURNAL_DIR ??
        (config.NODE_ENV === 'test' ? null : path.join(config.DATA_DIR, 'journal')),
      ping: () => database.ping(),
      // Privacy's audit log, built below; asked only when a journaled webhook is replayed.
      erasedSince: (numbers, since) => erasure.erasedSince(numbers, since),
    },
    clock,
    log: callsLog,
    // Every path that stores a final status (live, the retry buffer, the journal replay) ends here.
    onCallFinal: (callSid) =>
      Promise.all([queue.enqueue('call.score', { callSid }), routing.callFinal(callSid)]),
  });
  const webhooks = createCallWebhooks({
    ingest,
    directory,
    blockList,
    routing,
    clock,
    log: callsLog,
    voiceDeadlineMs: config.VOICE_DEADLINE_MS,
  });
  const calls = {
    ...createCallService({
      repo: callsRepo,
      blockList,
      scores: (callSids) => scoring.scoresFor(callSids),
      salesforce: (callSids) => salesforce.statesOf(callSids),
    }),
    webhookDeadLetters: { list: ingest.listDeadLetters, retry: ingest.retryDeadLetter },
  };
  const dispositions = createDispositionService({
    repo: createDispositionsRepo(db),
    labels: config.DISPOSITION_LABELS,
    callExists: async (callSid) => (await callsRepo.findCall(callSid)) !== undefined,
    agentsOf: (callSid) => routing.agentsOf(callSid),
    enqueue: queue.enqueue,
    clock,
    log: routingLog,
  });
  const reports = {
    followUps: createFollowUpReport({
      followUps,
      campaigns,
      targetMinutes: config.FOLLOW_UP_TARGET_MINUTES,
      clock,
    }),
    attribution: createAttributionReport({
      calls,
      // Built below; read only when a report is asked for.
      revenue: { wonRevenueByCall: () => salesforce.wonRevenueByCall() },
      clock,
    }),
  };
  const scoringLog = logger.child({ feature: 'scoring' });
  const transcripts = createTranscriptService({
    repo: createTranscriptsRepo(db),
    calls,
    enqueue: queue.enqueue,
    clock,
    log: scoringLog,
  });
  const scoring = createScoringService({
    repo: createScoringRepo(db),
    calls,
    sites: campaigns,
    enqueue: queue.enqueue,
    clock,
    log: scoringLog,
    transcripts,
    dispositionOf: (callSid) => dispositions.labelFor(callSid),
  });
  queue.handle(
    'call.score',
    scoreCallJob(scoring, scoringLog, (callSid) =>
      queue.enqueue('salesforce.sync', { callSid, reason: 'final' }),
    ),
  );
  queue.handle('scoring.rescore', rescoreJob(scoring));

  const sfSettings = salesforceSettings(config);
  const salesforce = createSyncService({
    repo: createSyncRepo(db),
    api:
      deps.salesforceApi !== undefined
        ? deps.salesforceApi
        : sfSettings && createSalesforceClient(sfSettings),
    calls,
    scores: (callSids) => scoring.scoresFor(callSids),
    campaigns,
    clock,
    log: logger.child({ feature: 'salesforce' }),
    publicBaseUrl: config.publicBaseUrl,
    windowMs: config.SF_SYNC_WINDOW_MS,
    readBackEveryMs: config.SF_READBACK_INTERVAL_MS,
    // One read-back per period for the whole cluster, run by whichever node's worker takes it.
    queueReadBack: (seconds) => queue.enqueueOncePer('salesforce.readback', {}, seconds),
  });
  queue.handle('salesforce.sync', salesforceSyncJob(salesforce));
  queue.handle('salesforce.readback', salesforceReadBackJob(salesforce));

  // Privacy: erasure and retention, each feature erasing its own rows through its service.
  const privacyLog = logger.child({ feature: 'privacy' });
  const privacyRepo = createPrivacyRepo(db);
  const personalData = { calls, numbers, scoring, routing, salesforce, jobs: queue };
  const erasure = createErasureService({
    holders: personalData,
    repo: privacyRepo,
    clock,
    log: privacyLog,
    hashSecret: config.PRIVACY_HASH_SECRET,
    webhooks: ingest,
  });
  const retention = createRetentionService({
    holders: personalData,
    repo: privacyRepo,
    periods: {
      sessionDays: config.SESSION_RETENTION_DAYS,
      callerDays: config.CALLER_RETENTION_DAYS,
      recordingDays: config.RECORDING_RETENTION_DAYS,
      transcriptDays: config.TRANSCRIPT_RETENTION_DAYS,
    },
    clock,
    log: privacyLog,
  });
  queue.handle('privacy.retention', retentionJob(retention));
  const retentionSchedule = createRetentionSchedule({
    clock,
    log: privacyLog,
    queued: async (id) => (await queue.jobState('privacy.retention', id)) !== null,
    enqueue: (id) => queue.enqueue('privacy.retention', {}, { id }),
  });

  const metrics = createMetrics({
    log: logger.child({ feature: 'metrics' }),
    sources: {
      queueDepth: () => queue.depth(),
      salesforce: async () => {
        const s = await salesforce.status(1);
        return { paused: s.state !== 'running', dead: s.counts.dead ?? 0 };
      },
      pools: () => numbers.poolUse(),
      poolExhaustions: () => numbers.exhaustionsSeen(),
      journalBacklog: () => ingest.journalBacklog(),
      webhookDeadLetters: () => ingest.countDeadLetters(),
    },
  });

  const demo = createDemoService({
    campaigns,
    numbers,
    directory,
    agents,
    log: logger.child({ feature: 'demo' }),
    enabled: config.demoMode,
    publicBaseUrl: config.publicBaseUrl,
    accountSid: config.TWILIO_ACCOUNT_SID ?? DEMO_TWILIO_ACCOUNT_SID,
    authToken: config.twilioAuthToken,
    withLock: (fn) => database.withLock(DEMO_SEED_LOCK, fn),
  });

  return {
    config,
    database,
    logger,
    clock,
    keys,
    campaigns,
    numbers,
    directory,
    dni,
    routing,
    dispositions,
    followUps,
    reports,
    agents,
    agentNotifier,
    ipLocator,
    webhooks,
    calls,
    webhookRetry: ingest.retry,
    /** Webhooks acknowledged from the journal and not yet in the database. */
    webhookJournalBacklog: ingest.journalBacklog,
    demo,
    queue,
    scoring,
    transcripts,
    salesforce,
    erasure,
    retention,
    metrics,
    /**
     * Warms the number directory, so a node that starts while the database is down can still
     * send callers to their campaign's fallback. Failing to warm is logged, never fatal.
     */
    async start() {
      // Replays what a previous process journaled; needs no database to begin.
      ingest.start();
      await routing.start().catch((err: unknown) => {
        logger.warn({ err }, 'agents not loaded; routing loads them on the first call');
      });
      await queue.start();
      salesforce.start();
      retentionSchedule.start();
      await directory.warm().catch((err: unknown) => {
        logger.warn({ err }, 'number directory not warmed; it fills as calls arrive');
      });
    },
    /** Stops what start() started and the demo Twilio stand-in; the database is the caller's. */
    async stop() {
      // Pending renewals are written before the process goes (they are only in memory).
      await dni.stop();
      await ingest.stop();
      retentionSchedule.stop();
      routing.stop();
      await salesforce.stop();
      await queue.stop();
      await provider?.close();
      await callsProvider?.close();
    },
  };
}
export type AppContext = ReturnType<typeof createContext>;

/** Calls cannot be placed when an injected numbers API came without a calls API. */
const noCalls: TwilioCallsApi = {
  createCall: () => Promise.reject(new Error('no Twilio calls API configured')),
};
