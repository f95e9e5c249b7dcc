// The numbers feature's declared read for attributing a call: leadline_call_visit (migration
// 0018) decides, from the dialled number's lease history, which visit placed a call and how sure
// that is. Other features use it through these fragments (the calls feature's first-event insert
// embeds it, so the voice webhook stores an attributed call in one round trip), never by reading
// number_leases or visitor_sessions themselves.

/** The function's columns, named as CallVisit (numbers.repo.ts) names them. */
export const CALL_VISIT_COLUMNS = `confidence, candidates, session_id as "sessionId",
  visitor_id as "visitorId", site_id as "siteId", landing_url as "landingUrl",
  landing_path as "landingPath", referrer, source, medium, utm_campaign as "utmCampaign",
  utm_term as "utmTerm", gclid, fbclid, msclkid, device`;

/** The function call for a FROM clause; arguments are placeholders (number id, call start, grace). */
export const callVisitFrom = (numberId: string, at: string, graceSeconds: string) =>
  `leadline_call_visit(${numberId}::uuid, ${at}::timestamptz, ${graceSeconds}::int)`;

/** A call column, and the function's column that fills it when the insert attributes the call. */
export const CALL_VISIT_FILLS = {
  attribution: 'confidence',
  attribution_candidates: 'candidates',
  session_id: 'session_id',
  visitor_id: 'visitor_id',
  site_id: 'site_id',
  landing_url: 'landing_url',
  landing_path: 'landing_path',
  referrer: 'referrer',
  source: 'source',
  medium: 'medium',
  utm_campaign: 'utm_campaign',
  keyword: 'utm_term',
  gclid: 'gclid',
  fbclid: 'fbclid',
  msclkid: 'msclkid',
  device: 'device',
} as const;
