import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Where Chromium usually is when CHROMIUM_PATH does not say (Debian, Ubuntu, Google's package). */
export const CHROMIUM_LOCATIONS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
];

/** The Chromium browser tests drive: CHROMIUM_PATH if set, else the first usual location found. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env.CHROMIUM_PATH?.trim();
  if (configured) return existsSync(configured) ? configured : undefined;
  return CHROMIUM_LOCATIONS.find((file) => existsSync(file));
}

const CHROMIUM = findChromium();

function missingChromiumMessage(): string {
  const configured = process.env.CHROMIUM_PATH?.trim();
  const looked = configured
    ? `CHROMIUM_PATH=${configured} does not exist`
    : `none of ${CHROMIUM_LOCATIONS.join(', ')} exists`;
  return (
    `no Chromium for the browser tests (${looked}). ` +
    'Install it (apt-get install -y chromium) or set CHROMIUM_PATH to its executable.'
  );
}

/**
 * describe() for tests that need Chromium. Without one they are skipped with a note on how to
 * enable them, except under CI=true, where CI installs Chromium and a missing one is a failure.
 */
export function describeInBrowser(name: string, fn: () => void): void {
  if (CHROMIUM) {
    describe(name, fn);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('finds Chromium to run in', () => {
        throw new Error(missingChromiumMessage());
      });
    });
  } else {
    process.stderr.write(`skipping "${name}": ${missingChromiumMessage()}\n`);
    describe.skip(name, fn);
  }
}

// Leadline takes HeadlessChrome for a bot (source number, no lease), so the browser presents
// itself as desktop Chrome. Set at launch: a per-context override does not reach pagehide beacons.
export const DESKTOP_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/** Waits `ms` of real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for a fixture page to be ready (and its late content to show `swappedText`); returns its body. */
export async function settledBody(page: Page, swappedText?: string): Promise<string> {
  await page.waitForFunction(
    (text) =>
      document.body.dataset.ready === '1' &&
      (!text || (document.getElementById('late')?.textContent ?? '').includes(text)),
    swappedText,
    { timeout: 5000 },
  );
  return page.evaluate(() => document.body.innerHTML);
}

/**
 * Chromium for one test file, launched and closed by its hooks. Each openPage() starts a fresh
 * context (its own cookies and storage) that stays current until the next; uncaught errors in its
 * pages are collected in `pageErrors`.
 */
export function createTestBrowser() {
  let browser: Browser;
  let context: BrowserContext;

  const session = {
    pageErrors: [] as Error[],

    /** The context of the latest openPage(). */
    get context(): BrowserContext {
      return context;
    },

    /** Starts Chromium; without one there is nothing to start (describeInBrowser decides). */
    async launch(): Promise<void> {
      if (!CHROMIUM) return;
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          '--disable-quic',
          `--user-agent=${DESKTOP_USER_AGENT}`,
        ],
      });
    },

    async close(): Promise<void> {
      await browser?.close();
    },

    /** A page in a new context; `init` prepares the context (scripts, cookies) first. */
    async openPage(init?: (ctx: BrowserContext) => Promise<void>): Promise<Page> {
      context = await browser.newContext();
      // Fail fast with the waiting step's name instead of hitting jest's timeout.
      context.setDefaultTimeout(5000);
      if (init) await init(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => session.pageErrors.push(error));
      return page;
    },

    /** The settled body of a reference page (expected/…, original/…), opened beside the test's. */
    async referencePage(url: string): Promise<string> {
      const page = await context.newPage();
      await page.goto(url);
      const html = await settledBody(page);
      await page.close();
      return html;
    },

    /** The visitor cookie dni.js set in the current context, if any. */
    async visitorCookie() {
      return (await context.cookies()).find((c) => c.name === '_ll_vid');
    },
  };

  return session;
}
