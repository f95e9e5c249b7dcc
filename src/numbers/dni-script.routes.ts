import { Router, type Request, type Response } from 'express';
import { loadDniScript, type DniScript } from './dni-script';

/**
 * GET /dni.js, cached like a static file: a strong ETag, five minutes of public caching, 304 when
 * the browser already has it, and readable from any customer's site.
 */
export function dniScriptRoutes(script: DniScript = loadDniScript()): Router {
  const r = Router();
  r.get('/dni.js', serveDniScript);
  return r;

  function serveDniScript(req: Request, res: Response) {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.setHeader('ETag', script.etag);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.type('application/javascript');
    // req.fresh compares If-None-Match with the ETag as express.static does (lists, W/, *).
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.send(script.code);
  }
}
