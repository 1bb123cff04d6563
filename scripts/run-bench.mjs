#!/usr/bin/env node
// Runs benchmarks: every bench/*.mjs|*.ts (or the ones named), each printing ours vs the
// reference tool and the ratio. Benchmarks are not tests: they print figures, never fail on speed.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
const named = process.argv.slice(2);
const all = readdirSync('bench').filter((f) => /\.(ts|mjs)$/.test(f)).sort();
const pick = named.length ? all.filter((f) => named.some((n) => f.includes(n))) : all;
let failed = 0;
for (const f of pick) {
  console.log(`\n=== bench/${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join('bench', f)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
