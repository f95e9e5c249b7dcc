import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The swap script as served: minified code and its strong ETag. */
export interface DniScript {
  code: string;
  etag: string;
}

/** Where `npm run build` writes dni.js: beside this module in dist/. */
export const BUILT_SCRIPT = path.join(__dirname, 'dni.js');

// Without a build (npm start runs the sources through tsx) the bundle is made at start-up and
// kept here, and made again only when a source module is newer than it.
const CACHE_FILE = path.resolve(
  __dirname,
  '..',
  '..',
  'node_modules',
  '.cache',
  'leadline',
  'dni.js',
);

/** The browser modules dni.js is bundled from, in the source tree. */
export function clientSourceDir(): string {
  const candidates = [
    path.join(__dirname, 'dni-client'),
    path.resolve(process.cwd(), 'src', 'numbers', 'dni-client'),
  ];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'entry.client.js')));
  if (!found) throw new Error(`dni.js sources not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** Bundles the browser modules into one classic ES2017 script (esbuild is a build-time tool). */
export function bundleDniScript(sourceDir = clientSourceDir()): string {
  const esbuild = createRequire(__filename)('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({
    entryPoints: [path.join(sourceDir, 'entry.client.js')],
    bundle: true,
    minify: true,
    target: 'es2017',
    format: 'iife',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no dni.js');
  return output.text;
}

/** Writes `code` so a reader never sees half a file, even with several processes starting. */
export function writeScriptFile(file: string, code: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, code);
  renameSync(temporary, file);
}

function newestSource(sourceDir: string): number {
  return Math.max(
    ...readdirSync(sourceDir)
      .filter((name) => name.endsWith('.js'))
      .map((name) => statSync(path.join(sourceDir, name)).mtimeMs),
  );
}

function cachedOrBundled(): string {
  const sourceDir = clientSourceDir();
  if (existsSync(CACHE_FILE) && statSync(CACHE_FILE).mtimeMs >= newestSource(sourceDir)) {
    return readFileSync(CACHE_FILE, 'utf8');
  }
  const code = bundleDniScript(sourceDir);
  writeScriptFile(CACHE_FILE, code);
  return code;
}

let loaded: DniScript | undefined;

/** dni.js, read once per process: the built file, else the start-up bundle (cached on disk). */
export function loadDniScript(): DniScript {
  if (!loaded) {
    const code = existsSync(BUILT_SCRIPT) ? readFileSync(BUILT_SCRIPT, 'utf8') : cachedOrBundled();
    const hash = createHash('sha256').update(code).digest('base64url').slice(0, 22);
    loaded = { code, etag: `"${hash}"` };
  }
  return loaded;
}

/** The minified swap script served as GET /dni.js. */
export function getDniScript(): string {
  return loadDniScript().code;
}

/** A strong ETag for the current dni.js, so browsers and CDNs revalidate cheaply. */
export function getDniScriptEtag(): string {
  return loadDniScript().etag;
}
