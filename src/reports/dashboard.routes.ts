import fs from 'node:fs';
import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import helmet from 'helmet';

// Beside this file under tsx and jest; the compiled build (dist/src/reports) reads the sources'.
const DIR =
  [__dirname, path.resolve(__dirname, '../../../src/reports')].find((d) =>
    fs.existsSync(path.join(d, 'dashboard.html')),
  ) ?? __dirname;
const FILES: Record<string, { file: string; type: string }> = {
  '/dashboard': { file: 'dashboard.html', type: 'text/html; charset=utf-8' },
  '/dashboard/dashboard.js': {
    file: 'dashboard.client.js',
    type: 'text/javascript; charset=utf-8',
  },
  '/dashboard/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
};

/**
 * The page's policy, stricter than the app's helmet default: its own script, style and
 * connections only, no inline code, no plugins, no framing; forms post nowhere, so a key typed
 * before the script runs never lands in a URL.
 */
const dashboardPolicy = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
    objectSrc: ["'none'"],
  },
});

/**
 * The marketer dashboard (/dashboard) and its static files. The page holds no data: once a
 * marketer signs in with an API key, it reads the reports and calls APIs with that key.
 */
export function dashboardRoutes(): Router {
  const r = Router();
  const cache = new Map<string, Buffer>();
  for (const p of Object.keys(FILES)) r.get(p, dashboardPolicy, dashboardFile);
  return r;

  function dashboardFile(req: Request, res: Response) {
    // Routing is not strict, so /dashboard/ arrives here too.
    const key = req.path.replace(/(.)\/$/, '$1');
    const entry = FILES[key];
    if (!entry) return res.status(404).end();
    let body = cache.get(key);
    if (!body) {
      body = fs.readFileSync(path.join(DIR, entry.file));
      cache.set(key, body);
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.type(entry.type).send(body);
  }
}
