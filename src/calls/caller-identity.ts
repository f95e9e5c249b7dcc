import type { DirectoryEntry, NumberDirectory } from '../numbers/number-directory';
import type { NumbersService } from '../numbers/numbers.service';
import { attributeCall } from './attribution';
import type { BlockList } from './block-list';
import type { CallsRepo, NewCall } from './calls.repo';

export type TwilioParams = Record<string, string>;

/** What the voice webhook already learnt about a call, so it is not looked up twice. */
export interface KnownCaller {
  blocked: boolean;
  number: DirectoryEntry | null;
}

export interface CallerIdentityDeps {
  repo: CallsRepo;
  directory: NumberDirectory;
  numbers: NumbersService;
  blockList: BlockList;
  /** A call up to this long after a lease ended is still credited (as `expired`) to that visit. */
  graceSeconds: number;
  /** A caller with no call in this many days is a first-time caller. */
  repeatWindowDays: number;
}

/**
 * Who called which number, and which visit placed the call: computed once, when a call is new,
 * and copied onto the call so reports outlive the visit's retention.
 */
export function createCallerIdentity(deps: CallerIdentityDeps) {
  const { repo, directory, numbers, blockList } = deps;

  return async function identifyCaller(
    params: TwilioParams,
    startedAt: Date,
    known?: KnownCaller,
  ): Promise<Partial<NewCall>> {
    const from = params.From ?? params.Caller ?? '';
    const to = params.To ?? params.Called ?? '';
    const base: Partial<NewCall> = {
      accountSid: params.AccountSid ?? null,
      direction: params.Direction ?? null,
      fromNumber: from || null,
      toNumber: to || null,
      callerName: params.CallerName || null,
      callerCity: params.FromCity || params.CallerCity || null,
      callerState: params.FromState || params.CallerState || null,
      callerZip: params.FromZip || params.CallerZip || null,
      callerCountry: params.FromCountry || params.CallerCountry || null,
      startedAt,
    };
    const blocked = known ? known.blocked : Boolean(await blockList.match(from));
    if (blocked) return { ...base, spam: true, attribution: 'none' };

    const windowStart = new Date(startedAt.getTime() - deps.repeatWindowDays * 86_400_000);
    const number = known ? known.number : to ? await directory.lookup(to) : null;
    // Caller history and the number's leases are independent reads: in parallel.
    const [history, leases] = await Promise.all([
      from ? repo.callerHistory(from, startedAt, windowStart) : { total: 0, recent: 0 },
      number ? numbers.leasesAround(number.numberId, startedAt, deps.graceSeconds) : [],
    ]);
    const caller = { firstTime: history.recent === 0, previousCalls: history.total };
    if (!number) return { ...base, ...caller };

    const decision = attributeCall(leases, startedAt);
    const visit = decision.chosen;
    return {
      ...base,
      ...caller,
      trackingNumberId: number.numberId,
      campaignId: number.campaignId,
      siteId: visit?.siteId ?? number.siteId,
      sessionId: visit?.sessionId ?? null,
      visitorId: visit?.visitorId ?? null,
      attribution: decision.confidence,
      attributionCandidates: decision.candidates,
      source: visit?.source ?? null,
      medium: visit?.medium ?? null,
      utmCampaign: visit?.utmCampaign ?? null,
      keyword: visit?.utmTerm ?? null,
      landingUrl: visit?.landingUrl ?? null,
      landingPath: visit?.landingPath ?? null,
      referrer: visit?.referrer ?? null,
      gclid: visit?.gclid ?? null,
      fbclid: visit?.fbclid ?? null,
      msclkid: visit?.msclkid ?? null,
      device: visit?.device ?? null,
    };
  };
}
export type IdentifyCaller = ReturnType<typeof createCallerIdentity>;
