/**
 * Selection on the 100,000-message queue: `hostops mailq list <criteria> -i` vs
 * `exiqgrep <criteria> -i` (which runs exim -bpu and filters in Perl). Same ids required.
 * Run after (or it builds) the queue of bench/mailq-list.ts: node --import tsx bench/mailq-select.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { generateSpool } from '../test/mailq/fixtures/gen-spool.js';
import { OUT, CONF, EXIM, ensureBuilt, timed, best, hostopsArgv, report, load } from '../test/mailq/fixtures/bench-util.js';

const N = Number(process.env.MAILQ_BENCH_MESSAGES ?? 100_000);
const spool = path.join(OUT, `spool-${N}-aligned`);
ensureBuilt();
if (!fs.existsSync(path.join(spool, '.complete'))) {
  console.log(`generating ${N} messages in ${spool} ...`);
  fs.rmSync(spool, { recursive: true, force: true });
  generateSpool(spool, { count: N, now: Math.floor(Date.now() / 1000), alignMinutes: true });
  execFileSync('chown', ['-R', 'Debian-exim:Debian-exim', spool]);
  fs.writeFileSync(path.join(spool, '.complete'), '');
}
// exiqgrep builds "$exim -bpu" for a shell; this fixed wrapper points it at the bench spool
const wrapper = path.join(OUT, 'exim-bench-wrapper');
fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${EXIM} -C ${CONF} -DSPOOL=${spool} "$@"\n`, { mode: 0o755 });

console.log(`load average: ${load()} (best of 3 runs)`);
for (const crit of [['-f', 'news1[0-9]@bulk'], ['-r', '@dest1[0-9]\\.example$'], ['-z'], ['-f', '^<>$', '-x']]) {
  const theirs = best(3, () => timed(['/usr/sbin/exiqgrep', '-E', wrapper, ...crit, '-i']));
  const ours = best(3, () => timed(hostopsArgv('mailq', 'list', '--spool', spool, ...crit, '-i')));
  const a = ours.stdout.toString().trim().split('\n').sort();
  const b = theirs.stdout.toString().trim().split('\n').sort();
  const same = a.length === b.length && a.every((x, i) => x === b[i]);
  report(`select ${crit.join(' ')} (${a.length} ids)`, ours, theirs, 'exiqgrep');
  console.log(`  same ids: ${same ? 'yes' : 'NO'}; peak memory hostops ${(ours.maxRssKb / 1024).toFixed(0)} MB`);
}
const c1 = best(3, () => timed(['/usr/sbin/exiqgrep', '-E', wrapper, '-f', 'news', '-c']));
const c2 = best(3, () => timed(hostopsArgv('mailq', 'list', '--spool', spool, '-f', 'news', '-c')));
report('count matches -f news -c', c2, c1, 'exiqgrep');
console.log(`  same output: ${c1.stdout.equals(c2.stdout) ? 'yes' : 'NO'} (${c2.stdout.toString().trim()})`);
