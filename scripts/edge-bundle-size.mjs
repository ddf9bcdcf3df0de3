#!/usr/bin/env node
/**
 * Builds the edge Worker exactly as `wrangler deploy` would (`--dry-run --outdir dist/edge`) and
 * prints the size of what would be uploaded, raw and gzipped, against Cloudflare's script size limit
 * (3 MiB gzipped on the Free plan, 10 MiB on Paid).
 *
 * Usage: node scripts/edge-bundle-size.mjs [--no-build] [--budget-kib=3072]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = resolve(import.meta.dirname, '..');
const outdir = join(root, 'dist', 'edge');
const args = process.argv.slice(2);
const budgetArg = args.find((arg) => arg.startsWith('--budget-kib='));
const budgetKib = budgetArg ? Number(budgetArg.split('=')[1]) : 3072;

let wranglerTotal;
if (!args.includes('--no-build')) {
  const build = spawnSync(
    join(root, 'node_modules', '.bin', 'wrangler'),
    ['deploy', '--dry-run', '--outdir', outdir, '--config', join(root, 'wrangler.toml')],
    { cwd: root, encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  if (build.status !== 0) {
    process.stderr.write(`${build.stdout}\n${build.stderr}\n`);
    process.exit(build.status ?? 1);
  }
  wranglerTotal = build.stdout.match(/Total Upload:[^\n]*/)?.[0];
}

/** Every file wrangler would upload: the bundle and its source map are listed separately. */
function files(directory) {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
let total = 0;
let totalGzip = 0;
const rows = [];
for (const path of files(outdir)) {
  // Source maps are not uploaded by default; the README is wrangler's note about the directory.
  if (path.endsWith('.map') || path.endsWith('README.md')) continue;
  const content = readFileSync(path);
  const gzipped = gzipSync(content, { level: 9 }).length;
  total += content.length;
  totalGzip += gzipped;
  rows.push([relative(root, path), kib(content.length), kib(gzipped)]);
}
rows.push(['total (uploaded)', kib(total), kib(totalGzip)]);
const width = Math.max(...rows.map((row) => row[0].length));
console.log(`${'file'.padEnd(width)}  ${'raw'.padStart(12)}  ${'gzip'.padStart(12)}`);
for (const [name, raw, gzip] of rows)
  console.log(`${name.padEnd(width)}  ${raw.padStart(12)}  ${gzip.padStart(12)}`);
if (wranglerTotal) console.log(`wrangler: ${wranglerTotal}`);
console.log(`budget: ${budgetKib} KiB gzipped (${((totalGzip / 1024 / budgetKib) * 100).toFixed(1)}% used)`);
if (totalGzip / 1024 > budgetKib) {
  console.error(`The edge bundle exceeds its budget of ${budgetKib} KiB gzipped.`);
  process.exit(1);
}
