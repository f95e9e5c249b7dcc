import express, { type Request, type Response } from 'express';
import helmet from 'helmet';
import type { AppContext } from './context';
import { authenticate } from './shared/auth';
import { withDeadline } from './shared/deadline';
import { errorHandler, notFound, requestContext } from './shared/http';
import { campaignRoutes } from './campaigns/campaigns.routes';
import { dniRoutes } from './numbers/dni.routes';
import { dniScriptRoutes } from './numbers/dni-script.routes';
import { numbersRoutes } from './numbers/numbers.routes';
import { twilioRoutes } from './calls/twilio.routes';
import { callsRoutes } from './calls/calls.routes';
import { demoRoutes } from './demo/demo.routes';
import { agentsRoutes } from './routing/agents.routes';
import { agentConsoleRoutes } from './routing/agent-console.routes';
import { dispositionRoutes } from './routing/dispositions.routes';
import { followUpTwilioRoutes } from './routing/follow-ups.routes';
import { whisperRoutes } from './routing/whisper.routes';
import { reportsRoutes } from './reports/reports.routes';
import { dashboardRoutes } from './reports/dashboard.routes';
import { createCallSummaryReport } from './reports/call-summary.report';
import { scoringRoutes } from './scoring/scoring.routes';
import { transcriptionRoutes } from './scoring/transcripts.routes';
import { jobsRoutes } from './jobs/jobs.routes';
import { salesforceRoutes } from './salesforce/salesforce.routes';
import { privacyRoutes } from './privacy/privacy.routes';
import { keysRoutes } from './keys/keys.routes';
import { journalCheck, readinessHandler } from './metrics/readiness';

/** How long /health waits for the database before answering that it is degraded. */
const HEALTH_PING_MS = 2_000;

/** A phone handset on Leadline's blue; browsers accept an SVG at /favicon.ico. */
const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1d4ed8"/>' +
  '<path fill="#fff" d="M11.6 7.5c.6-.2 1.3.1 1.6.7l1.7 3.6c.3.6.1 1.3-.4 1.7l-1.8 1.4a11 11 0 0 0 4.8 4.8l1.4-1.8c.4-.5 1.1-.7 1.7-.4l3.6 1.7c.6.3.9 1 .7 1.6l-.8 2.6c-.2.7-.9 1.1-1.6 1.1C14.4 24.5 7.5 17.6 7.5 9.9c0-.7.4-1.4 1.1-1.6z"/></svg>';

/** Wires every feature into one express app; listening is server.ts's job. */
export function createApp(ctx: AppContext): express.Express {
  const app = express();
  /** The database ping /health is waiting on, if any (see pingOnce). */
  let pingInFlight: Promise<void> | undefined;
  app.disable('x-powered-by');
  // Responses here are dynamic (leases, TwiML, API reads): hashing each body for an ETag costs
  // time on every request and no client revalidates them. dni.js and pages carry their own.
  app.set('etag', false);
  app.set('trust proxy', ctx.config.TRUST_PROXY);
  app.use(requestContext(ctx.logger));
  app.use(ctx.metrics.middleware());
  // helmet's defaults (CSP, nosniff, HSTS, frame and referrer policies), with two exceptions:
  // no upgrade-insecure-requests, because demo mode is opened over plain http (localhost or a
  // LAN address) and upgraded sub-requests would fail; and see the two routes below.
  const securityHeaders = helmet({
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
  app.use(function pageSecurityHeaders(req, res, next) {
    // Twilio's webhooks, the DNI endpoint and /health answer machines (TwiML, JSON read by dni.js
    // or a load balancer), never a page a browser renders: of helmet's headers only nosniff means
    // anything there, and the rest cost measurable time on the busiest endpoints.
    if (
      req.path.startsWith('/twilio/') ||
      req.path.startsWith('/dni/v1/') ||
      req.path === '/health'
    ) {
      res.setHeader('X-Content-Type-Options', 'nosniff');
      next();
      return;
    }
    securityHeaders(req, res, next);
  });
  /** What Twilio's requests are signed with, and for which address (every /twilio route). */
  const signedBy = {
    authToken: ctx.config.twilioAuthToken,
    publicBaseUrl: ctx.config.publicBaseUrl,
  };
  // The machine-facing hot paths first (load balancers' health checks every few seconds, a DNI
  // session per page view, Twilio's webhooks per call), so their requests do not walk every page
  // and API route before reaching their own.
  app.get('/health', health);
  app.use(dniRoutes(ctx.dni, { ratePerMinute: ctx.config.DNI_RATE_LIMIT_PER_MINUTE }));
  // The three before twilioRoutes, whose /twilio middleware would otherwise parse and check
  // their requests first.
  app.use(transcriptionRoutes(ctx.transcripts, signedBy));
  app.use(followUpTwilioRoutes(ctx.followUps, signedBy));
  app.use(whisperRoutes(ctx.routing, signedBy));
  app.use(twilioRoutes(ctx.webhooks, signedBy));

  // The demo's sample page at / stands in for a customer's site and carries one inline script
  // (the "simulate a call" button); it alone may run inline script. JSON and TwiML need no more.
  app.get(
    '/',
    helmet.contentSecurityPolicy({
      directives: {
        upgradeInsecureRequests: null,
        scriptSrc: ["'self'", "'unsafe-inline'"],
      },
    }),
  );
  // dni.js is loaded by <script src> from customers' sites, so it must be readable cross-origin.
  app.get('/dni.js', helmet.crossOriginResourcePolicy({ policy: 'cross-origin' }));

  app.get('/metrics', ctx.metrics.handler(ctx.config.METRICS_TOKEN));
  app.get(
    '/ready',
    readinessHandler({
      database: { check: () => ctx.database.ping(), failed: 'unreachable' },
      queue: { check: async () => void (await ctx.queue.depth()), failed: 'unreachable' },
      journal: {
        check: journalCheck(ctx.webhookJournalBacklog),
        failed: 'replaying',
        critical: false,
      },
    }),
  );
  app.get('/favicon.ico', favicon);

  app.use(dniScriptRoutes());
  app.use(agentConsoleRoutes());
  app.use(dashboardRoutes());
  app.use(demoRoutes(ctx.demo));

  const api = express.Router();
  api.use(express.json({ limit: '100kb' }));
  api.use(authenticate((key) => ctx.keys.resolve(key)));
  api.use(campaignRoutes(ctx.campaigns));
  api.use(numbersRoutes(ctx.numbers));
  api.use(dispositionRoutes(ctx.dispositions));
  api.use(
    callsRoutes(ctx.calls, (sid) => ctx.routing.routingOf(sid), {
      routingsOf: (sids) => ctx.routing.routingsOf(sids),
      dispositionsOf: (sids) => ctx.dispositions.dispositionsOf(sids),
    }),
  );
  api.use(agentsRoutes(ctx.agents));
  api.use(reportsRoutes({ ...ctx.reports, summary: createCallSummaryReport(ctx) }));
  api.use(scoringRoutes(ctx.scoring));
  api.use(jobsRoutes(ctx.queue));
  api.use(salesforceRoutes(ctx.salesforce));
  api.use(privacyRoutes(ctx.erasure));
  api.use(keysRoutes(ctx.keys));
  app.use('/api/v1', api);

  app.use(notFound);
  app.use(errorHandler);
  return app;

  function favicon(_req: Request, res: Response) {
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.type('image/svg+xml').send(FAVICON_SVG);
  }

  /**
   * One database ping at a time: health checks that arrive while one is in flight share its
   * answer (at most HEALTH_PING_MS old) instead of each adding a round trip of its own.
   */
  function pingOnce(): Promise<void> {
    // Bounded, so /health answers (503) even while the database hangs rather than refuses.
    pingInFlight ??= withDeadline(ctx.database.ping(), HEALTH_PING_MS).finally(() => {
      pingInFlight = undefined;
    });
    return pingInFlight;
  }

  async function health(req: Request, res: Response) {
    try {
      await pingOnce();
      res.json({ status: 'ok', database: ctx.database.kind });
    } catch (err) {
      req.log.error({ err }, 'health check: database unreachable');
      res.status(503).json({ status: 'degraded', database: ctx.database.kind });
    }
  }
}
