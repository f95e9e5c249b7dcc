import type { DirectoryEntry, NumberDirectory } from '../numbers/number-directory';
import type { NumbersService } from '../numbers/numbers.service';
import type { BlockList } from './block-list';
import type { CallerHistoryQuery, CallsRepo, CallVisitQuery, NewCall } from './calls.repo';

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
     * The caller's history and the visit are read by the statement that stores the call
     * (calls.repo's insertFirstEvent) instead of by queries of their own: `history` and `visit`
     * then say what to read.
     */
    opts: { deferReads?: boolean } = {},
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
    const defer = opts.deferReads === true;
    // Caller history and the visit are independent reads: in parallel.
    const [history, visit] = await Promise.all([
      defer || !from ? { total: 0, recent: 0 } : repo.callerHistory(from, startedAt, windowStart),
      number && !defer ? numbers.callVisit(number.numberId, startedAt, deps.graceSeconds) : null,
    ]);
    const caller =
      defer && from
        ? { history: { fromNumber: from, before: startedAt, windowStart } }
        : { firstTime: history.recent === 0, previousCalls: history.total };
    if (!number) return { ...base, ...caller };

    const numberIds = {
      trackingNumberId: number.numberId,
      campaignId: number.campaignId,
      siteId: visit?.siteId ?? number.siteId,
    };
    if (!visit) {
      const query = { numberId: number.numberId, at: startedAt, graceSeconds: deps.graceSeconds };
      return { ...base, ...caller, ...numberIds, visit: query };
    }
    return {
      ...base,
      ...caller,
      ...numberIds,
      sessionId: visit.sessionId,
      visitorId: visit.visitorId,
      attribution: visit.confidence,
      attributionCandidates: visit.candidates,
      source: visit.source,
      medium: visit.medium,
      utmCampaign: visit.utmCampaign,
      keyword: visit.utmTerm,
      landingUrl: visit.landingUrl,
      landingPath: visit.landingPath,
      referrer: visit.referrer,
      gclid: visit.gclid,
      fbclid: visit.fbclid,
      msclkid: visit.msclkid,
      device: visit.device,
    };
  };
}
export type IdentifyCaller = ReturnType<typeof createCallerIdentity>;

/**
 * A new call's identity columns; `history` and `visit` when the caller's history and the visit
 * are left to the insert.
 */
export type CallerIdentity = Partial<NewCall> & {
  history?: CallerHistoryQuery;
  visit?: CallVisitQuery;
};
