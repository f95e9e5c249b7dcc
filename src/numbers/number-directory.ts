import { LRUCache } from 'lru-cache';
import type { CampaignService } from '../campaigns/campaigns.service';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { CampaignRow } from '../campaigns/campaigns.repo';
import type { NumbersRepo, TrackingNumberRow } from './numbers.repo';

/** What Leadline knows about a dialled E.164: the number, its campaign and the campaign's site. */
export interface DirectoryEntry {
  numberId: string;
  e164: string;
  kind: 'pool' | 'source';
  campaignId: string | null;
  siteId: string | null;
  campaignName: string | null;
  /** Where the call rings when nobody (or nothing) else can take it. */
  fallbackNumber: string | null;
  recordCalls: boolean;
  /** How routing rings this campaign's agents (absent for a number without a campaign). */
  routing?: CampaignRouting;
  /** The campaign starts real-time transcription on its calls. */
  transcription?: boolean;
  /** When the call's answer says the recording consent notice first (absent: the default). */
  recordingConsent?: CampaignRow['recordingConsent'];
}

/** A campaign's routing settings. */
export interface CampaignRouting {
  dialTimeoutSeconds: number;
  maxAgentAttempts: number;
  voicemail: boolean;
  greeting: string | null;
}

const routingOf = (c: Partial<CampaignRouting> | undefined): CampaignRouting | undefined =>
  c?.dialTimeoutSeconds === undefined
    ? undefined
    : {
        dialTimeoutSeconds: c.dialTimeoutSeconds,
        maxAgentAttempts: c.maxAgentAttempts ?? 3,
        voicemail: c.voicemail ?? true,
        greeting: c.greeting ?? null,
      };

export interface NumberDirectoryDeps {
  repo: NumbersRepo;
  campaigns: CampaignService;
  clock: Clock;
  log: Logger;
  /** How long an answer is trusted before it is read again (other nodes may have changed it). */
  ttlMs?: number;
  max?: number;
}

/** Sentinel for "Leadline does not own this number", so misses are cached too. */
const UNKNOWN = { unknown: true } as const;
type Cached = DirectoryEntry | typeof UNKNOWN;

function entryOf(number: TrackingNumberRow, campaign: CampaignRow | undefined): DirectoryEntry {
  return {
    numberId: number.id,
    e164: number.e164,
    kind: number.kind,
    campaignId: number.campaignId,
    siteId: campaign?.siteId ?? null,
    campaignName: campaign?.name ?? null,
    fallbackNumber: campaign?.fallbackNumber ?? null,
    recordCalls: campaign?.recordCalls ?? false,
    routing: routingOf(campaign),
    transcription: campaign?.transcription ?? false,
    recordingConsent: campaign?.recordingConsent,
  };
}

/**
 * The one answer to "which number, campaign and site is this E.164?", for the voice webhook, its
 * fallback path and attribution. One bounded cache, warmed at start, updated whenever this node
 * buys or releases a number or changes a campaign; other nodes' changes arrive within `ttlMs`.
 * When the database cannot answer, the last known entry is used (stale beats dropping a call).
 */
export function createNumberDirectory(deps: NumberDirectoryDeps) {
  const { repo, campaigns, clock, log } = deps;

  async function resolve(e164: string): Promise<Cached> {
    const number = await repo.findActiveByE164(e164);
    if (!number) return UNKNOWN;
    const campaign = number.campaignId
      ? await campaigns.getCampaign(number.campaignId).catch(() => undefined)
      : undefined;
    return entryOf(number, campaign);
  }

  const cache = new LRUCache<string, Cached>({
    max: deps.max ?? 100_000,
    ttl: deps.ttlMs ?? 30_000,
    // Expired entries stay until evicted by size, so an outage still finds the last answer.
    allowStale: false,
    noDeleteOnStaleGet: true,
    allowStaleOnFetchRejection: true,
    perf: { now: () => clock.now().getTime() },
    fetchMethod: (e164) => resolve(e164),
  });

  const asEntry = (v: Cached | undefined) => (v && !('unknown' in v) ? v : null);

  return {
    /** The entry for a dialled number, or null when Leadline does not own it. */
    async lookup(e164: string): Promise<DirectoryEntry | null> {
      return asEntry(await cache.fetch(e164));
    },

    /** The last known entry without touching the database (the fallback path's answer). */
    peek(e164: string): DirectoryEntry | null {
      return asEntry(cache.get(e164, { allowStale: true }));
    },

    /** Loads every active number and its campaign, so a cold node can answer during an outage. */
    async warm(): Promise<number> {
      const [numbers, allCampaigns] = await Promise.all([
        repo.activeNumbers(),
        campaigns.listCampaigns(),
      ]);
      const byId = new Map(allCampaigns.map((c) => [c.id, c]));
      for (const n of numbers) {
        cache.set(n.e164, entryOf(n, n.campaignId ? byId.get(n.campaignId) : undefined));
      }
      log.info({ numbers: numbers.length }, 'number directory warmed');
      return numbers.length;
    },

    /** A number was bought here: calls to it are answered from now on, even if the database is not. */
    numberAdded(number: TrackingNumberRow, campaign: CampaignRow): void {
      cache.set(number.e164, entryOf(number, campaign));
    },

    /** A number was released here: it is no longer Leadline's. */
    numberReleased(e164: string): void {
      cache.set(e164, UNKNOWN);
    },

    /**
     * A campaign changed on this node (fallback, recording…): entries carrying it take the new
     * values in place, stale ones included, so the fallback path never dials an old number.
     */
    campaignChanged(
      c: {
        id: string;
        siteId: string;
        name: string;
        fallbackNumber: string;
        recordCalls: boolean;
        transcription?: boolean;
        recordingConsent?: CampaignRow['recordingConsent'];
      } & Partial<CampaignRouting>,
    ): void {
      for (const [e164, { value }] of cache.dump()) {
        if ('unknown' in value || value.campaignId !== c.id) continue;
        const updated = {
          ...value,
          siteId: c.siteId,
          campaignName: c.name,
          fallbackNumber: c.fallbackNumber,
          recordCalls: c.recordCalls,
          routing: routingOf(c) ?? value.routing,
          transcription: c.transcription ?? value.transcription,
          recordingConsent: c.recordingConsent ?? value.recordingConsent,
        };
        cache.set(e164, updated);
      }
    },

    size: () => cache.size,
  };
}
export type NumberDirectory = ReturnType<typeof createNumberDirectory>;
