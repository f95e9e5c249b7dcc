import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { transformSync } from 'esbuild';

const SOURCE_NAME = 'dni.client.js';

let cached: { code: string; etag: string } | undefined;

// tsc does not copy .js files into dist/, so a built server falls back to the source tree.
function readClientSource(): string {
  const candidates = [
    path.join(__dirname, SOURCE_NAME),
    path.resolve(process.cwd(), 'src', 'numbers', SOURCE_NAME),
  ];
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`${SOURCE_NAME} not found (looked in ${candidates.join(', ')})`);
  return readFileSync(found, 'utf8');
}

function build(): { code: string; etag: string } {
  if (!cached) {
    const { code } = transformSync(readClientSource(), {
      loader: 'js',
      minify: true,
      target: 'es2017',
      legalComments: 'none',
    });
    const hash = createHash('sha256').update(code).digest('base64url').slice(0, 22);
    cached = { code, etag: `"${hash}"` };
  }
  return cached;
}

/** The minified swap script served as GET /dni.js (built once per process). */
export function getDniScript(): string {
  return build().code;
}

/** A strong ETag for the current dni.js, so browsers and CDNs revalidate cheaply. */
export function getDniScriptEtag(): string {
  return build().etag;
}
