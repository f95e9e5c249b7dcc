/** Who should ring for an incoming call. */
export interface RouteRequest {
  callSid: string;
  campaignId: string | null;
  fallbackNumber: string;
  caller: { number: string; city?: string | null; state?: string | null; zip?: string | null };
}

export interface RouteDecision {
  numbers: string[];
  agentId: string | null;
  reason: 'agent' | 'fallback';
}

/**
 * Chooses the phone(s) to dial. Until agents and geographic routing exist, every call rings the
 * campaign's fallback number; the calls feature only ever asks through this seam.
 */
export function createRoutingService() {
  return {
    async route(req: RouteRequest): Promise<RouteDecision> {
      return { numbers: [req.fallbackNumber], agentId: null, reason: 'fallback' };
    },
  };
}
export type RoutingService = ReturnType<typeof createRoutingService>;
