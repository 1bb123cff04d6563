/**
 * Selection on the 100,000-message queue: `hostops mailq list <criteria> -i` vs
 * `exiqgrep <criteria> -i` (which runs exim -bpu and filters in Perl). Same ids required.
 * exiqgrep and hostops alternate (3 pairs per criterion); medians of wall and CPU.
 * Run after (or it builds) the queue of bench/mailq-list.ts: node --import tsx bench/mailq-select.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONF, EXIM, ensureBuilt, benchSpool, timed, paired, hostopsArgv, report, load } from '../test/mailq/fixtures/bench-util.js';

const N = Number(process.env.MAILQ_BENCH_MESSAGES ?? 100_000);
const PAIRS = Number(process.env.MAILQ_BENCH_PAIRS ?? 3);
ensureBuilt();
const spool = await benchSpool(N);
// exiqgrep builds "$exim -bpu" for a shell; this fixed wrapper points it at the bench spool
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-bench-'));
const wrapper = path.join(tmp, 'exim-bench-wrapper');
fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${EXIM} -C ${CONF} -DSPOOL=${spool} "$@"\n`, { mode: 0o755 });

console.log(`load average: ${load()} (${PAIRS} alternating pairs, medians)`);
try {
  for (const crit of [['-f', 'news1[0-9]@bulk'], ['-r', '@dest1[0-9]\\.example$'], ['-z'], ['-f', '^<>$', '-x']]) {
    const [theirs, ours] = paired(PAIRS, [() => timed(['/usr/sbin/exiqgrep', '-E', wrapper, ...crit, '-i']),
      () => timed(hostopsArgv('mailq', 'list', '--spool', spool, ...crit, '-i'))]);
    const a = ours.stdout.toString().trim().split('\n').sort();
    const b = theirs.stdout.toString().trim().split('\n').sort();
    const same = a.length === b.length && a.every((x, i) => x === b[i]);
    report(`select ${crit.join(' ')} (${a.length} ids)`, ours, theirs, 'exiqgrep');
    console.log(`  same ids: ${same ? 'yes' : 'NO'}; peak memory hostops ${(ours.maxRssKb / 1024).toFixed(0)} MB`);
  }
  const [c1, c2] = paired(PAIRS, [() => timed(['/usr/sbin/exiqgrep', '-E', wrapper, '-f', 'news', '-c']),
    () => timed(hostopsArgv('mailq', 'list', '--spool', spool, '-f', 'news', '-c'))]);
  report('count matches -f news -c', c2, c1, 'exiqgrep');
  console.log(`  same output: ${c1.stdout.equals(c2.stdout) ? 'yes' : 'NO'} (${c2.stdout.toString().trim()})`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
