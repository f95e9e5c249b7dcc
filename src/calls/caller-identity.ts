import type { DirectoryEntry, NumberDirectory } from '../numbers/number-directory';
import type { NumbersService } from '../numbers/numbers.service';
import { attributeCall } from './attribution';
import type { BlockList } from './block-list';
import type { CallerHistoryQuery, CallsRepo, NewCall } from './calls.repo';

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
    /**
     * The caller's history is read by the statement that stores the call (calls.repo's
     * insertFirstEvent) instead of by a query of its own: `history` then says whose and when.
     */
    opts: { deferHistory?: boolean } = {},
  ): Promise<CallerIdentity> {
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
    const deferred =
      opts.deferHistory && from ? { fromNumber: from, before: startedAt, windowStart } : undefined;
    // Caller history and the number's leases are independent reads: in parallel.
    const [history, leases] = await Promise.all([
      deferred || !from
        ? { total: 0, recent: 0 }
        : repo.callerHistory(from, startedAt, windowStart),
      number ? numbers.leasesAround(number.numberId, startedAt, deps.graceSeconds) : [],
    ]);
    const caller = deferred
      ? { history: deferred }
      : { firstTime: history.recent === 0, previousCalls: history.total };
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

/** A new call's identity columns; `history` when the caller's history is left to the insert. */
export type CallerIdentity = Partial<NewCall> & { history?: CallerHistoryQuery };
