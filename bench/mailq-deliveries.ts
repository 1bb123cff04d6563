/**
 * `hostops mailq deliveries` against eximstats on a generated delivery-centred mainlog
 * (16-character ids, which eximstats reads): totals, deliveries per host (messages and
 * addresses), rejected and temporarily rejected IPs must be equal before the ratio is printed.
 * Ours and eximstats alternate (3 rounds); medians of wall and CPU.
 * Run: node --import tsx bench/mailq-deliveries.ts   (MAILQ_DELIVERIES_BENCH_MB=50 by default)
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateDeliveriesLog } from '../test/mailq/fixtures/gen-deliveries-log.js';
import { parseEximstats, ourFigures, EXIMSTATS } from '../test/mailq/fixtures/eximstats.js';
import {
  OUT,
  ensureBuilt,
  timed,
  paired,
  hostopsArgv,
  report,
  load,
} from '../test/mailq/fixtures/bench-util.js';
import { agree, exitedOk, ratio, verdict, disagree } from './bench-util.js';

const MB = Number(process.env.MAILQ_DELIVERIES_BENCH_MB ?? 50);
const log = path.join(OUT, `deliveries-mainlog-${MB}m`);
ensureBuilt();
if (!fs.existsSync(log + '.complete')) {
  console.log(`generating a ${MB} MB mainlog in ${log} ...`);
  fs.mkdirSync(OUT, { recursive: true });
  generateDeliveriesLog(log, { bytes: MB * 1024 * 1024, seed: 17 });
  fs.writeFileSync(log + '.complete', '');
}
console.log(
  `log: ${(fs.statSync(log).size / 1e6).toFixed(0)} MB; load average: ${load()} (3 alternating rounds, medians)`,
);
const [ref, ours] = paired(3, [
  () => timed([EXIMSTATS, '-nvr', '-t1000000', '-h0', '-q0', log]),
  () =>
    timed(hostopsArgv('mailq', 'deliveries', '--log', log, '--json', '--no-queue', '--spool', OUT)),
]);
if (exitedOk('eximstats', ref.status) && exitedOk('hostops mailq deliveries', ours.status)) {
  const e = parseEximstats(ref.stdout.toString('latin1'));
  const o = ourFigures(JSON.parse(ours.stdout.toString('utf8')));
  if (e.received === 0 || e.delivered === 0)
    disagree('eximstats reported no arrivals or deliveries: it did not do the work');
  for (const k of Object.keys(o) as (keyof typeof o)[]) {
    const v = o[k];
    agree(
      k,
      typeof v === 'number'
        ? v
        : `${Object.keys(v).length} rows, ${JSON.stringify(v).length} bytes as JSON`,
      typeof v === 'number'
        ? e[k]
        : JSON.stringify(v) === JSON.stringify(e[k])
          ? `${Object.keys(v).length} rows, ${JSON.stringify(v).length} bytes as JSON`
          : JSON.stringify(e[k]).slice(0, 200),
    );
  }
}
ratio(() => {
  report('mailq deliveries vs eximstats', ours, ref, 'eximstats');
  return `  peak memory hostops ${(ours.maxRssKb / 1024).toFixed(0)} MB, eximstats ${(ref.maxRssKb / 1024).toFixed(0)} MB`;
});
verdict();
