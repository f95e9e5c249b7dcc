import type { Place } from '../geo/place';
import type { Logger } from '../shared/logger';

/** What the calls feature knows about a call when it pops: the visit and the caller's history. */
export interface CallDetails {
  from: string | null;
  callerName: string | null;
  firstTime: boolean | null;
  previousCalls: number;
  landingUrl: string | null;
  referrer: string | null;
  source: string | null;
  medium: string | null;
  utmCampaign: string | null;
  keyword: string | null;
  gclid: string | null;
  device: string | null;
}

export interface ScreenPopInput {
  callSid: string;
  from: string;
  caller: { city?: string | null; state?: string | null };
  place: Place;
  campaign: { id: string | null; name: string | null };
  details: CallDetails | null;
}

/** The `screen-pop` event's payload (the contract's fields; nulls where Leadline does not know). */
export function screenPopPayload(p: ScreenPopInput) {
  const d = p.details;
  return {
    callSid: p.callSid,
    caller: {
      number: p.from,
      name: d?.callerName ?? null,
      city: p.caller.city || p.place.city || null,
      state: p.caller.state || p.place.state || null,
    },
    campaign: { id: p.campaign.id, name: p.campaign.name },
    visit: {
      landingUrl: d?.landingUrl ?? null,
      referrer: d?.referrer ?? null,
      utmSource: d?.source ?? null,
      utmMedium: d?.medium ?? null,
      utmCampaign: d?.utmCampaign ?? null,
      keyword: d?.keyword ?? null,
      gclid: Boolean(d?.gclid),
      device: d?.device ?? null,
    },
    previousCalls: d?.previousCalls ?? 0,
    firstTime: d?.firstTime ?? true,
  };
}
export type ScreenPop = ReturnType<typeof screenPopPayload>;

/** Sends an event to one agent's consoles, wherever they are connected (socket.io room). */
export type NotifyAgent = (
  agentId: string,
  event: 'screen-pop' | 'call-ended' | 'follow-ups',
  payload: object,
) => void;

/**
 * A late-bound NotifyAgent: routing is built before the HTTP server exists, and the sockets
 * attach later (server.ts, or a test). Until then events go nowhere.
 */
export function createAgentNotifier() {
  let send: NotifyAgent | undefined;
  return {
    notify: ((agentId, event, payload) => send?.(agentId, event, payload)) as NotifyAgent,
    bind(fn: NotifyAgent | undefined): void {
      send = fn;
    },
  };
}
export type AgentNotifier = ReturnType<typeof createAgentNotifier>;

export interface ScreenPopperDeps {
  notifyAgent: NotifyAgent;
  /** The stored call's visit and history; null when not (yet) known. */
  callDetails?: (callSid: string) => Promise<CallDetails | null>;
  log: Logger;
}

/** What routing knows of a call when it picks an agent for it. */
export interface PoppedCall {
  callSid: string;
  from: string | null;
  caller: { city?: string | null; state?: string | null };
  place: Place;
  campaign: { id: string | null; name: string | null };
}

/** Sends an agent the screen-pop of the call they are dialled for; never fails the call. */
export function createScreenPopper(deps: ScreenPopperDeps) {
  return async function popScreen(
    agentId: string,
    call: PoppedCall,
    /** Settles once the call is stored: its visit is read after that. */
    recorded?: Promise<unknown>,
  ): Promise<void> {
    try {
      await recorded?.catch(() => undefined);
      const details = (await deps.callDetails?.(call.callSid).catch(() => null)) ?? null;
      deps.notifyAgent(
        agentId,
        'screen-pop',
        screenPopPayload({ ...call, from: call.from ?? details?.from ?? '', details }),
      );
    } catch (err) {
      deps.log.warn({ err, callSid: call.callSid, agentId }, 'screen-pop not sent');
    }
  };
}
export type PopScreen = ReturnType<typeof createScreenPopper>;
