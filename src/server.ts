import { JournalInUseError } from './calls/webhook-journal';
import { ConfigError, loadConfig } from './shared/config';
import { DatabaseMissingError, DataDirInUseError } from './shared/db';
import { createLogger } from './shared/logger';
import { PortInUseError, startLeadline } from './start';

/** Starts Leadline (start.ts) from the environment's config; stops cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`leadline: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  if (config.demoMode) {
    // The first thing a newcomer reads: why the numbers are fictional (README promises this line).
    logger.info(
      { demoMode: true },
      'demo mode: no Twilio credentials, so Leadline sells fictional numbers and plays simulated calls',
    );
  }
  const running = await startLeadline(config, logger, {
    announce: (text) => process.stdout.write(text),
  });
  logger.info(
    {
      port: running.port,
      database: running.database.kind,
      demoMode: config.demoMode,
      publicBaseUrl: config.publicBaseUrl,
    },
    config.demoMode
      ? `leadline listening (demo mode: no Twilio credentials, fictional numbers and simulated calls; open ${config.publicBaseUrl}/)`
      : 'leadline listening',
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.warn('shutdown timed out; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    running.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  // What the operator can fix is said in one line that says how; anything else in full.
  const fixable =
    err instanceof PortInUseError ||
    err instanceof DataDirInUseError ||
    err instanceof JournalInUseError ||
    err instanceof DatabaseMissingError;
  process.stderr.write(
    fixable
      ? `${err.message}\n`
      : `leadline: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});
