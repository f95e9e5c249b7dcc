// Talks to a running Leadline over its public HTTP contract: the admin API and /dni/v1/sessions.
import { SITE_ORIGIN, type Visit } from './traffic';

interface Json {
  [key: string]: unknown;
}

/** Talks to Leadline's HTTP API; an error answer becomes an Error with Leadline's message. */
export function leadlineClient(base: string, adminKey: string, fetchImpl: typeof fetch = fetch) {
  async function call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    allowNotFound = false,
  ): Promise<{ status: number; body: T }> {
    for (let attempt = 1; ; attempt++) {
      const res = await fetchImpl(`${base}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (res.status === 429 && attempt < 4) {
        // Rate-limited per IP: Leadline does not trust X-Forwarded-For from here; wait it out.
        const wait = Number(res.headers.get('retry-after') ?? '5');
        await new Promise((r) => setTimeout(r, Math.min(60, Math.max(1, wait)) * 1000));
        continue;
      }
      const parsed = parseJson(text) as T;
      if (res.status >= 400 && !(res.status === 404 && allowNotFound)) {
        const error = (parsed as { error?: { message?: string } } | undefined)?.error;
        throw new Error(`${method} ${path}: ${res.status} ${error?.message ?? text}`);
      }
      return { status: res.status, body: parsed };
    }
  }
  const admin = { Authorization: `Bearer ${adminKey}` };
  return {
    api: <T = Json>(method: string, path: string, body?: unknown) =>
      call<T>(method, `/api/v1${path}`, body, admin),
    /** A GET that may find nothing: status 404 comes back instead of throwing. */
    find: <T = Json>(path: string) => call<T>('GET', `/api/v1${path}`, undefined, admin, true),
    startSession: (visit: Visit, siteKey: string) =>
      call<{
        visitorId: string;
        sessionId: string;
        number: { e164: string } | null;
        expiresAt: string;
      }>(
        'POST',
        '/dni/v1/sessions',
        {
          siteKey,
          landingUrl: visit.landingUrl,
          ...(visit.referrer === undefined ? {} : { referrer: visit.referrer }),
          userAgent: visit.userAgent,
        },
        { Origin: SITE_ORIGIN, 'X-Forwarded-For': visit.ip, 'User-Agent': visit.userAgent },
      ),
  };
}
export type LeadlineClient = ReturnType<typeof leadlineClient>;

/** Leadline answers JSON; anything else (a proxy's HTML page) is kept out of the way. */
function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
