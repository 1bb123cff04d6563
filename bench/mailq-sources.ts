/**
 * `hostops mailq sources` on a generated 1 GB mainlog vs the seed pipeline
 * `grep cwd | grep -v /var/spool | awk | sort | uniq -c | sort` (LC_ALL=C), same counts per
 * directory required. Both the scripts-only mode (the seed's question) and the full report
 * (arrivals by AUTH user, local user, sender, IP, per hour) are timed.
 * The seed, scripts-only and full runs alternate (3 rounds); medians of wall and CPU.
 * Run: node --import tsx bench/mailq-sources.ts   (MAILQ_BENCH_LOG_MB=1024 by default)
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateMainlog } from '../test/mailq/fixtures/gen-mainlog.js';
import {
  OUT,
  ensureBuilt,
  timed,
  paired,
  hostopsArgv,
  reportLine,
  load,
} from '../test/mailq/fixtures/bench-util.js';
import { agree, ratio, verdict } from './bench-util.js';

const MB = Number(process.env.MAILQ_BENCH_LOG_MB ?? 1024);
const log = path.join(OUT, `mainlog-${MB}m`);
ensureBuilt();
if (!fs.existsSync(log + '.complete')) {
  console.log(`generating a ${MB} MB mainlog in ${log} ...`);
  fs.mkdirSync(OUT, { recursive: true });
  generateMainlog(log, { bytes: MB * 1024 * 1024, seed: 11 });
  fs.writeFileSync(log + '.complete', '');
}
const seedCmd = `grep cwd ${log} | grep -v /var/spool | awk -F"cwd=" '{print $2}' | awk '{print $1}' | sort | uniq -c | sort`;
console.log(
  `log: ${(fs.statSync(log).size / 1e9).toFixed(2)} GB; load average: ${load()} (3 alternating rounds, medians)`,
);
const args = ['mailq', 'sources', '--log', log, '--json', '--no-queue', '--top', '100000'];
const [seed, fast, full] = paired(3, [
  () => timed(['sh', '-c', seedCmd]),
  () => timed(hostopsArgv(...args, '--scripts-only')),
  () => timed(hostopsArgv(...args)),
]);
const seedCounts = new Map<string, number>();
for (const l of seed.stdout.toString().trim().split('\n')) {
  const m = /^\s*(\d+) (.*)$/.exec(l);
  if (m) seedCounts.set(m[2], Number(m[1]));
  else if (/^\s*\d+ ?$/.test(l)) seedCounts.set('', Number(l.trim()));
}
// "cwd" inside message ids or subjects: the seed counts those lines under an empty directory
const falsePositives = seedCounts.get('') ?? 0;
seedCounts.delete('');
const check = (r: typeof fast) => {
  const j = JSON.parse(r.stdout.toString());
  const ours = new Map<string, number>(
    j.scripts.map((s: { cwd: string; invocations: number }) => [s.cwd, s.invocations]),
  );
  const same =
    ours.size === seedCounts.size && [...seedCounts].every(([k, v]) => ours.get(k) === v);
  return { same, j };
};
const a = check(fast);
const b = check(full);
agree(
  `sources --scripts-only: the seed's count for each of its ${seedCounts.size} directories`,
  a.same,
  true,
);
agree('sources (full report): the same counts per directory', b.same, true);
ratio(() => reportLine('sources --scripts-only vs seed pipeline', fast, seed, 'seed'));
console.log(
  `  (the seed also counted ${falsePositives} lines that merely contain "cwd"); peak memory ${(fast.maxRssKb / 1024).toFixed(0)} MB`,
);
ratio(() => reportLine('sources (full report) vs seed pipeline', full, seed, 'seed'));
console.log(
  `  ${b.j.messages} arrivals, ${b.j.recipients} recipients, ` +
    `${b.j.authUsers.length} AUTH users, ${b.j.hourly.length} hours; peak memory ${(full.maxRssKb / 1024).toFixed(0)} MB`,
);
// the C scanner against the JS one (HOSTOPS_MAILQ_NATIVE=0) on the whole log: the same report
const js = timed(hostopsArgv(...args), { env: { HOSTOPS_MAILQ_NATIVE: '0' } });
agree("full report identical to the JS scanner's", js.stdout.equals(full.stdout), true);
console.log(`  (JS scanner: ${js.seconds.toFixed(3)} s wall, ${js.cpuSeconds.toFixed(2)} s CPU)`);
verdict();
