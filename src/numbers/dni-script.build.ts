/**
 * Build step for dni.js (part of `npm run build`): bundles the browser modules once and writes
 * the result where the built server reads it, dist/src/numbers/dni.js unless told otherwise.
 */
import path from 'node:path';
import { bundleDniScript, writeScriptFile } from './dni-script';

const target = path.resolve(process.argv[2] ?? path.join('dist', 'src', 'numbers', 'dni.js'));
const code = bundleDniScript();
writeScriptFile(target, code);
process.stdout.write(
  `dni.js: ${Buffer.byteLength(code)} bytes → ${path.relative(process.cwd(), target)}\n`,
);
