#!/usr/bin/env node
// Runs benchmarks: every bench/*.mjs|*.ts (or the ones named), each printing ours vs the
// reference tool and the ratio. Benchmarks are not tests: they never fail on speed, but a bench
// whose reference did not do the same work or disagrees with ours exits non-zero, and so does this.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
const named = process.argv.slice(2);
// bench-util.ts is the benches' shared helper, not a bench
const all = readdirSync('bench')
  .filter((f) => /\.(ts|mjs)$/.test(f) && f !== 'bench-util.ts')
  .sort();
const pick = named.length ? all.filter((f) => named.some((n) => f.includes(n))) : all;
const failed = [];
for (const f of pick) {
  console.log(`\n=== bench/${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join('bench', f)], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed.push(`${f} (${r.status ?? r.signal})`);
}
if (failed.length)
  console.log(
    `\nrun-bench: ${failed.length} bench(es) failed or disagreed with the reference: ${failed.join(', ')}`,
  );
process.exit(failed.length ? 1 : 0);
