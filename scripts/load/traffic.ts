// The load itself: visitors leasing and renewing numbers, and calls to the numbers they hold.
import {
  createCarrierSimulator,
  mulberry32,
  type WebhookSender,
} from '../../src/demo/carrier/simulator';
import { percentile } from '../bench/stats';

export const SITE_ORIGIN = 'https://load.leadline.test';

/** Latencies and failures of one kind of request, since the last report. */
export class Meter {
  private latencies: number[] = [];
  private failures = 0;
  total = 0;
  totalFailures = 0;
  record(ms: number, ok: boolean): void {
    this.latencies.push(ms);
    this.total++;
    if (!ok) {
      this.failures++;
      this.totalFailures++;
    }
  }
  /** Count, p99 (ms) and failures since the last take(), then starts a new interval. */
  take(): { count: number; p99: number; failures: number } {
    const p99 = percentile(this.latencies, 99);
    const out = { count: this.latencies.length, p99: Math.round(p99), failures: this.failures };
    this.latencies = [];
    this.failures = 0;
    return out;
  }
}

interface Visitor {
  visitorId: string;
  ip: string;
  number: string | null;
  leaveAt: number;
  renewAt: number;
}

export interface TrafficOptions {
  baseUrl: string;
  publicBaseUrl: string;
  siteKey: string;
  authToken: string;
  accountSid: string;
  visitorsPerSecond: number;
  callsPerSecond: number;
  seed: number;
}

/** Runs visitors and calls until stop(); every call whose voice webhook got a 2xx is remembered. */
export function startTraffic(o: TrafficOptions) {
  const rng = mulberry32(o.seed);
  const sessions = new Meter();
  const calls = new Meter();
  const acknowledged = new Set<string>();
  const visitors: Visitor[] = [];
  const inflight = new Set<Promise<unknown>>();
  let seq = 0;
  let stopped = false;

  const track = (p: Promise<unknown>) => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };

  async function lease(v: Visitor | null): Promise<Visitor | null> {
    const ip = v?.ip ?? `10.${seq % 250}.${Math.floor(seq / 250) % 250}.${(seq++ % 200) + 1}`;
    const started = performance.now();
    try {
      const res = await fetch(`${o.baseUrl}/dni/v1/sessions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: SITE_ORIGIN, 'X-Forwarded-For': ip },
        body: JSON.stringify({
          siteKey: o.siteKey,
          landingUrl: `${SITE_ORIGIN}/?utm_source=google&utm_medium=cpc&gclid=load${seq}`,
          userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36',
          ...(v ? { visitorId: v.visitorId } : {}),
        }),
      });
      const body = (await res.json()) as { visitorId?: string; number?: { e164: string } | null };
      sessions.record(performance.now() - started, res.status === 200);
      if (res.status !== 200 || !body.visitorId) return v;
      const now = Date.now();
      return {
        visitorId: body.visitorId,
        ip,
        number: body.number?.e164 ?? null,
        leaveAt: v?.leaveAt ?? now + 40_000,
        renewAt: now + 20_000,
      };
    } catch {
      sessions.record(performance.now() - started, false);
      return v;
    }
  }

  // Remembers a call as acknowledged the moment Leadline answers its voice webhook with a 2xx.
  const send: WebhookSender = async (req) => {
    const res = await fetch(`${o.baseUrl}${req.path}`, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
    });
    const text = await res.text();
    if (req.path === '/twilio/voice' && res.status < 300) {
      const sid = new URLSearchParams(req.body).get('CallSid');
      if (sid) acknowledged.add(sid);
    }
    return { status: res.status, text };
  };
  const carrier = createCarrierSimulator({
    publicBaseUrl: o.publicBaseUrl,
    authToken: o.authToken,
    accountSid: o.accountSid,
    rng,
    send,
    neverAfterNow: true,
  });

  async function call(to: string): Promise<void> {
    const started = performance.now();
    try {
      const placed = await carrier.placeCall({
        from: `+1303555${String(Math.floor(rng() * 10_000)).padStart(4, '0')}`,
        to,
        outcome: rng() < 0.7 ? 'answered' : 'no-answer',
        fromZip: '80202',
        ringSeconds: 5,
        talkSeconds: 60,
      });
      calls.record(
        performance.now() - started,
        placed.deliveries.every((d) => d.status < 300),
      );
    } catch {
      calls.record(performance.now() - started, false);
    }
  }

  const visitTimer = setInterval(() => {
    if (stopped) return;
    track(lease(null).then((v) => v && visitors.push(v)));
    const now = Date.now();
    for (let i = visitors.length - 1; i >= 0; i--) {
      const v = visitors[i];
      if (!v) continue;
      if (v.leaveAt <= now) visitors.splice(i, 1);
      else if (v.renewAt <= now) {
        v.renewAt = now + 20_000;
        track(lease(v).then((r) => r && Object.assign(v, r)));
      }
    }
  }, 1000 / o.visitorsPerSecond);

  const callTimer = setInterval(() => {
    if (stopped) return;
    const holding = visitors.filter((v) => v.number);
    const v = holding[Math.floor(rng() * holding.length)];
    if (v?.number) track(call(v.number));
  }, 1000 / o.callsPerSecond);

  return {
    sessions,
    calls,
    acknowledged,
    liveVisitors: () => visitors.length,
    /** Stops starting work and waits for what is in flight. */
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(visitTimer);
      clearInterval(callTimer);
      await Promise.allSettled([...inflight]);
    },
  };
}
