/**
 * Selection on the 100,000-message queue: `hostops mailq list <criteria> -i` vs
 * `exiqgrep <criteria> -i` (which runs exim -bpu and filters in Perl). Same ids required.
 * hostops twice: answered by the queue index (queue unchanged since the last listing) and with
 * --no-index (every file read). Alternating runs (3 per criterion); medians of wall and CPU.
 * Then exipick criteria (--or, !) against exipick -i on the same spool.
 * Run after (or it builds) the queue of bench/mailq-list.ts: node --import tsx bench/mailq-select.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CONF,
  EXIM,
  ensureBuilt,
  benchSpool,
  timed,
  paired,
  hostopsArgv,
  reportLine,
  load,
  indexCache,
} from '../test/mailq/fixtures/bench-util.js';
import { agree, ratio, verdict } from './bench-util.js';

const N = Number(process.env.MAILQ_BENCH_MESSAGES ?? 100_000);
const PAIRS = Number(process.env.MAILQ_BENCH_PAIRS ?? 3);
ensureBuilt();
const spool = await benchSpool(N);
const cache = await indexCache(spool);
const ours = (...a: string[]) =>
  timed(hostopsArgv('mailq', 'list', '--spool', spool, ...a), { env: cache.env });
ours('-i'); // builds the index
// exiqgrep builds "$exim -bpu" for a shell; this fixed wrapper points it at the bench spool
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-bench-'));
const wrapper = path.join(tmp, 'exim-bench-wrapper');
fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${EXIM} -C ${CONF} -DSPOOL=${spool} "$@"\n`, {
  mode: 0o755,
});

console.log(`load average: ${load()} (${PAIRS} alternating pairs, medians)`);
try {
  for (const crit of [
    ['-f', 'news1[0-9]@bulk'],
    ['-r', '@dest1[0-9]\\.example$'],
    ['-z'],
    ['-f', '^<>$', '-x'],
  ]) {
    const [theirs, indexed, full] = paired(PAIRS, [
      () => timed(['/usr/sbin/exiqgrep', '-E', wrapper, ...crit, '-i']),
      () => ours(...crit, '-i'),
      () => ours(...crit, '-i', '--no-index'),
    ]);
    const b = theirs.stdout.toString().trim().split('\n').sort();
    const same = (r: typeof theirs) => {
      const a = r.stdout.toString().trim().split('\n').sort();
      return a.length === b.length && a.every((x, i) => x === b[i]);
    };
    agree(
      `select ${crit.join(' ')} (index): the same ${b.length} ids as exiqgrep`,
      same(indexed),
      true,
    );
    agree(`select ${crit.join(' ')} (--no-index): the same ids as exiqgrep`, same(full), true);
    ratio(() =>
      reportLine(`select ${crit.join(' ')} (${b.length} ids), index`, indexed, theirs, 'exiqgrep'),
    );
    ratio(() => reportLine(`select ${crit.join(' ')}, --no-index`, full, theirs, 'exiqgrep'));
    console.log(
      `  peak memory hostops ${(indexed.maxRssKb / 1024).toFixed(0)} / ${(full.maxRssKb / 1024).toFixed(0)} MB`,
    );
  }
  // exipick's criteria (--or, !) against exipick itself (which parses every -H in Perl)
  for (const crit of [
    ['$sender_address =~ /news1[0-9]@bulk/', '!$deliver_freeze'],
    ['--or', '$deliver_freeze', '$sender_address eq ""'],
  ]) {
    const [theirs, indexed] = paired(PAIRS, [
      () => timed(['/usr/sbin/exipick', '--spool', spool, '-i', ...crit]),
      () =>
        timed(hostopsArgv('mailq', 'select', '--spool', spool, '-i', ...crit), { env: cache.env }),
    ]);
    const b = theirs.stdout.toString().trim().split('\n').sort();
    const a = indexed.stdout.toString().trim().split('\n').sort();
    agree(
      `select ${crit.join(' ')}: the same ${b.length} ids as exipick`,
      a.length === b.length && a.every((x, i) => x === b[i]),
      true,
    );
    ratio(() =>
      reportLine(`select ${crit.join(' ')} (${b.length} ids)`, indexed, theirs, 'exipick'),
    );
  }
  const [c1, c2] = paired(PAIRS, [
    () => timed(['/usr/sbin/exiqgrep', '-E', wrapper, '-f', 'news', '-c']),
    () => ours('-f', 'news', '-c'),
  ]);
  agree(
    'count matches -f news -c: the same line as exiqgrep -c',
    c2.stdout.toString().trim(),
    c1.stdout.toString().trim(),
  );
  ratio(() => reportLine('count matches -f news -c', c2, c1, 'exiqgrep'));
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
  cache.cleanup();
}
verdict();
