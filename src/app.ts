import express from 'express';
import type { AppContext } from './context';
import { authenticate } from './shared/auth';
import { errorHandler, notFound, requestContext } from './shared/http';
import { campaignRoutes } from './campaigns/campaigns.routes';
import { dniRoutes } from './numbers/dni.routes';
import { numbersRoutes } from './numbers/numbers.routes';
import { twilioRoutes } from './calls/twilio.routes';
import { callsRoutes } from './calls/calls.routes';
import { demoRoutes } from './demo/demo.routes';

/** Wires every feature into one express app; listening is server.ts's job. */
export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.TRUST_PROXY);
  app.use(requestContext(ctx.logger));
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });

  app.get('/health', async (req, res) => {
    try {
      await ctx.database.ping();
      res.json({ status: 'ok', database: ctx.database.kind });
    } catch (err) {
      req.log.error({ err }, 'health check: database unreachable');
      res.status(503).json({ status: 'degraded', database: ctx.database.kind });
    }
  });

  app.use(dniRoutes(ctx.dni, { ratePerMinute: ctx.config.DNI_RATE_LIMIT_PER_MINUTE }));
  app.use(
    twilioRoutes(ctx.calls, {
      authToken: ctx.config.twilioAuthToken,
      publicBaseUrl: ctx.config.publicBaseUrl,
    }),
  );

  app.use(demoRoutes(ctx.demo));

  const api = express.Router();
  api.use(express.json({ limit: '100kb' }));
  api.use(authenticate((key) => ctx.keys.resolve(key)));
  api.use(campaignRoutes(ctx.campaigns));
  api.use(numbersRoutes(ctx.numbers));
  api.use(callsRoutes(ctx.calls));
  app.use('/api/v1', api);

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
