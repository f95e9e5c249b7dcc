import {
  createCarrierSimulator,
  type CallOutcome,
  type PlacedOutboundCall,
} from './carrier/simulator';
import type { CampaignService } from '../campaigns/campaigns.service';
import type { NumberDirectory } from '../numbers/number-directory';
import type { NumbersService } from '../numbers/numbers.service';
import type { AgentService } from '../routing/agents.service';
import { ConflictError, NotFoundError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { DEMO_BUSINESS_NUMBER } from './twilio-rest/inventory';
import type { StandinOutboundCall } from './twilio-rest/types';

/** The number the demo page prints: the business's own line, never one of the pool's. */
export const DEMO_SWAP_TARGET = DEMO_BUSINESS_NUMBER;
const DEMO_SITE_NAME = 'Leadline demo';
/** Real time before a placed call rings, as with Twilio (Leadline has its sid by then). */
const CALLBACK_START_MS = 1000;

export interface DemoDeps {
  campaigns: CampaignService;
  numbers: NumbersService;
  directory: NumberDirectory;
  /** Demo agents are created through routing's agent service, like any other agent. */
  agents: Pick<AgentService, 'create'>;
  log: Logger;
  enabled: boolean;
  publicBaseUrl: string;
  accountSid: string;
  authToken: string;
  /** Serialises the seed across nodes that start together on one database. */
  withLock: <T>(fn: () => Promise<T>) => Promise<T>;
}

/**
 * Demo mode (no Twilio account): a sample site with a pool of fictional numbers, and calls played
 * by the same carrier simulator the tests and `npm run simulate` use, signed like Twilio's.
 */
export function createDemoService(deps: DemoDeps) {
  let selfUrl: string | undefined;

  function carrier() {
    return createCarrierSimulator({
      neverAfterNow: true,
      publicBaseUrl: deps.publicBaseUrl,
      targetBaseUrl: selfUrl,
      accountSid: deps.accountSid,
      authToken: deps.authToken,
    });
  }

  async function demoSite() {
    return (await deps.campaigns.listSites()).find((s) => s.name === DEMO_SITE_NAME);
  }

  /** The demo page's origins at this start (PORT, PUBLIC_BASE_URL), by name and by address. */
  function currentOrigins(): string[] {
    const origin = new URL(deps.publicBaseUrl).origin;
    return [...new Set([origin, origin.replace('localhost', '127.0.0.1')])];
  }

  /** A few agents in several US cities, any hours, taking every campaign; tokens shown once. */
  async function seedAgents(): Promise<DemoAgentToken[]> {
    const created: DemoAgentToken[] = [];
    for (const a of DEMO_AGENTS) {
      const agent = await deps.agents.create({ ...a, campaignIds: [], active: true });
      created.push({ name: agent.name, city: a.city, token: agent.token });
    }
    deps.log.info({ agents: created.map((a) => a.city) }, 'demo agents created');
    return created;
  }

  async function seedOnce(): Promise<DemoAgentToken[]> {
    const existing = await demoSite();
    if (existing) {
      const origins = currentOrigins();
      if (existing.allowedOrigins.join(' ') !== origins.join(' ')) {
        await deps.campaigns.updateSite(existing.id, { allowedOrigins: origins });
        deps.log.info({ siteId: existing.id, origins }, 'demo site follows the current address');
      }
      return [];
    }
    const site = await deps.campaigns.createSite({
      name: DEMO_SITE_NAME,
      allowedOrigins: currentOrigins(),
      swapTargets: [DEMO_SWAP_TARGET],
    });
    const campaign = await deps.campaigns.createCampaign({
      name: 'Website (default)',
      siteId: site.id,
      match: {},
      holdSeconds: 1800,
      fallbackNumber: DEMO_BUSINESS_NUMBER,
      overflow: 'share_lru',
      recordCalls: false,
      // Key-term scoring has something to read in the demo's simulated calls.
      transcription: true,
    });
    await deps.numbers.provision(campaign.id, { count: 4, areaCode: '415', kind: 'pool' });
    await deps.numbers.provision(campaign.id, { count: 1, areaCode: '415', kind: 'source' });
    deps.log.info({ siteId: site.id, campaignId: campaign.id }, 'demo site created');
    return seedAgents();
  }

  return {
    enabled: deps.enabled,
    /** Where the simulator delivers webhooks: this process's own listening address. */
    setSelfUrl(url: string) {
      selfUrl = url;
    },

    /**
     * First start in demo mode: a site, a default campaign, a few numbers to play with and a few
     * agents; answers the agents' console tokens on that first start only (stored hashed).
     */
    async seed(): Promise<DemoAgentToken[]> {
      if (!deps.enabled) return [];
      return deps.withLock(() => seedOnce());
    },

    async siteKey(): Promise<string | undefined> {
      return (await demoSite())?.siteKey;
    },

    /** Plays a whole call to a tracking number, as Twilio would, against this Leadline. */
    async placeCall(input: { to: string; from?: string; outcome?: CallOutcome; fromZip?: string }) {
      if (!deps.enabled)
        throw new NotFoundError('demo mode (Leadline has Twilio credentials)', 'not_demo_mode');
      if (!selfUrl) throw new ConflictError('Leadline is not listening yet', 'not_ready');
      if (!(await deps.directory.lookup(input.to))) {
        throw new NotFoundError(`tracking number ${input.to}`, 'number_not_found');
      }
      const from = input.from ?? `+1206555${String(Math.floor(Math.random() * 9000) + 1000)}`;
      const placed = await carrier().placeCall({
        from,
        to: input.to,
        outcome: input.outcome ?? 'answered',
        fromZip: input.fromZip ?? '98101',
        ringSeconds: 5,
        talkSeconds: 95,
        utterances: DEMO_CONVERSATIONS[Math.floor(Math.random() * DEMO_CONVERSATIONS.length)],
      });
      return {
        callSid: placed.callSid,
        outcome: input.outcome ?? 'answered',
        dialed: placed.dialed ?? [],
      };
    },

    /**
     * Rings a call Leadline placed through the demo's Twilio stand-in (a follow-up callback) as
     * Twilio would: the agent answers, the TwiML Leadline serves bridges the caller, who answers;
     * status callbacks go to the call's statusCallback. Never rejects.
     */
    async playPlacedCall(call: StandinOutboundCall): Promise<PlacedOutboundCall | undefined> {
      if (!selfUrl) {
        deps.log.warn({ callSid: call.sid }, 'demo call not played: Leadline is not listening yet');
        return undefined;
      }
      await new Promise((r) => setTimeout(r, CALLBACK_START_MS));
      try {
        const placed = await carrier().placeOutboundCall({
          callSid: call.sid,
          from: call.from,
          to: call.to,
          url: call.url,
          ...(call.statusCallback ? { statusCallback: call.statusCallback } : {}),
          statusCallbackEvent: call.statusCallbackEvent,
          outcome: 'answered',
          ringSeconds: 4,
          dialed: { outcome: 'answered', ringSeconds: 5, talkSeconds: 120 },
        });
        deps.log.info(
          { callSid: call.sid, status: placed.status, dialed: placed.dialed },
          'demo call played',
        );
        return placed;
      } catch (err) {
        deps.log.warn({ err, callSid: call.sid }, 'demo call not played');
        return undefined;
      }
    },
  };
}
export type DemoService = ReturnType<typeof createDemoService>;

/** A demo agent's console token, shown once at the first start. */
export interface DemoAgentToken {
  name: string;
  city: string;
  token: string;
}

/** Demo agents: fictional 555-01XX phones in several US cities, available at any hour. */
const DEMO_AGENTS = [
  {
    name: 'Avery (San Francisco)',
    city: 'San Francisco',
    phone: '+14155550170',
    zip: '94103',
    timezone: 'America/Los_Angeles',
  },
  {
    name: 'Jordan (Chicago)',
    city: 'Chicago',
    phone: '+13125550171',
    zip: '60601',
    timezone: 'America/Chicago',
  },
  {
    name: 'Riley (New York)',
    city: 'New York',
    phone: '+12125550172',
    zip: '10001',
    timezone: 'America/New_York',
  },
  {
    name: 'Sam (Austin)',
    city: 'Austin',
    phone: '+15125550173',
    zip: '78701',
    timezone: 'America/Chicago',
  },
];

/** What demo callers and agents say: each one moves the score a different way (key-term rules). */
const DEMO_CONVERSATIONS: { track: 'inbound' | 'outbound'; text: string }[][] = [
  [
    { track: 'outbound', text: 'Thanks for calling, how can I help you today?' },
    { track: 'inbound', text: "Hi, I'd like to schedule an appointment for next Tuesday." },
    { track: 'outbound', text: 'Sure, we have an available slot at ten in the morning.' },
  ],
  [
    { track: 'outbound', text: 'Thanks for calling, how can I help you today?' },
    { track: 'inbound', text: 'How much would a new water heater cost, roughly?' },
    { track: 'outbound', text: 'I can send you a quote by email this afternoon.' },
  ],
  [
    { track: 'outbound', text: 'Thanks for calling, how can I help you today?' },
    { track: 'inbound', text: 'I need to cancel my service visit on Friday.' },
    { track: 'outbound', text: 'No problem, that is done.' },
  ],
];
