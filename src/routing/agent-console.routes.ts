import fs from 'node:fs';
import path from 'node:path';
import { Router, type Request, type Response } from 'express';

// Beside this file under tsx and jest; the compiled build (dist/src/routing) reads the sources'.
const DIR =
  [path.join(__dirname, 'public'), path.resolve(__dirname, '../../../src/routing/public')].find(
    (d) => fs.existsSync(d),
  ) ?? path.join(__dirname, 'public');
const FILES: Record<string, { file: string; type: string }> = {
  '/agent': { file: path.join(DIR, 'agent.html'), type: 'text/html; charset=utf-8' },
  '/agent/console.js': {
    file: path.join(DIR, 'console.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/agent/console.css': { file: path.join(DIR, 'console.css'), type: 'text/css; charset=utf-8' },
};

/**
 * The agent console page (/agent) and its static files; it talks to socket.io's /agents, whose
 * server also serves the browser client at /socket.io/socket.io.min.js.
 */
export function agentConsoleRoutes(): Router {
  const r = Router();
  const cache = new Map<string, Buffer>();
  for (const p of Object.keys(FILES)) r.get(p, consoleFile);
  return r;

  function consoleFile(req: Request, res: Response) {
    const entry = FILES[req.path];
    if (!entry) return res.status(404).end();
    let body = cache.get(req.path);
    if (!body) {
      body = fs.readFileSync(entry.file);
      cache.set(req.path, body);
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.type(entry.type).send(body);
  }
}
