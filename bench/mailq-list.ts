/**
 * `hostops mailq list` vs `exim -bp` on a 100,000-message queue (synthesized in exim's exact
 * spool format under bench/out/, checked by exim itself): time, identical bytes, peak memory.
 * Four figures for hostops: a listing answered by the queue index (the queue has not changed
 * since the last listing; every -H file is still checked with one statx), a listing just after
 * the spool directory changed (a file is made and removed in input/ before each run: the
 * directory is rescanned, every message is checked against the index and only changed ones
 * would be read), a full read with --no-index (every file opened), and the first listing,
 * which reads everything and writes the index. Also `count` vs `exim -bpc`. Ours and exim alternate
 * (5 pairs); medians of wall and CPU.
 * Run: node --import tsx bench/mailq-list.ts   (MAILQ_BENCH_PAIRS=5)
 */
import fs from 'node:fs';
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
  midMinute,
  load,
  indexCache,
} from '../test/mailq/fixtures/bench-util.js';
import { agree, ratio, verdict } from './bench-util.js';

const N = Number(process.env.MAILQ_BENCH_MESSAGES ?? 100_000);
const PAIRS = Number(process.env.MAILQ_BENCH_PAIRS ?? 5);
ensureBuilt();
const spool = await benchSpool(N);
const cache = await indexCache(spool);
const exim = (...a: string[]) => [EXIM, '-C', CONF, `-DSPOOL=${spool}`, ...a];
const ours = (...a: string[]) =>
  timed(hostopsArgv('mailq', ...a, '--spool', spool), { env: cache.env });
const dropIndex = () =>
  fs.rmSync(path.join(cache.env.HOSTOPS_CACHE_DIR, 'mailq'), { recursive: true, force: true });

try {
  // warm the page cache for both; the second hostops run leaves the index in place
  timed(exim('-bp'));
  ours('list', '--no-index');
  ours('list');

  console.log(
    `load average: ${load()} (2 cores shared with other work; ${PAIRS} alternating pairs, medians)`,
  );
  // received times are whole minutes: each pair runs inside one minute so both see the same ages
  const [theirs, indexed, full] = paired(
    PAIRS,
    [() => timed(exim('-bp')), () => ours('list'), () => ours('list', '--no-index')],
    midMinute,
  );
  const same = (r: typeof theirs) => theirs.all!.every((t, i) => t.stdout.equals(r.all![i].stdout));
  console.log(
    `queue: ${N} messages, ${(theirs.stdout.length / 1e6).toFixed(1)} MB of -bp text; exim parse errors: ${(theirs.stdout.toString('latin1').match(/spool format error/g) ?? []).length}`,
  );
  // a ratio only for output identical to exim -bp's in every pair (bench-util withholds it otherwise)
  agree(`list (index): bytes identical to exim -bp in all ${PAIRS} pairs`, same(indexed), true);
  agree(`list --no-index: bytes identical to exim -bp in all ${PAIRS} pairs`, same(full), true);
  ratio(() => reportLine('list (index, queue unchanged) vs exim -bp', indexed, theirs, 'exim -bp'));
  ratio(() =>
    reportLine('list --no-index (every file read) vs exim -bp', full, theirs, 'exim -bp'),
  );
  const touch = path.join(spool, 'input', 'hostops-bench-touch'); // not a spool name: exim ignores it
  const [t3, changed] = paired(
    PAIRS,
    [
      () => timed(exim('-bp')),
      () => {
        fs.writeFileSync(touch, '');
        fs.rmSync(touch);
        return ours('list');
      },
    ],
    midMinute,
  );
  agree(
    'list after a directory change: bytes identical to exim -bp in every pair',
    t3.all!.every((t, i) => t.stdout.equals(changed.all![i].stdout)),
    true,
  );
  ratio(() =>
    reportLine(
      'list just after the directory changed (rescan + per-file check) vs exim -bp',
      changed,
      t3,
      'exim -bp',
    ),
  );
  console.log(`  peak ${(changed.maxRssKb / 1024).toFixed(0)} MB`);
  console.log(
    `peak memory: hostops index ${(indexed.maxRssKb / 1024).toFixed(0)} MB, full read ${(full.maxRssKb / 1024).toFixed(0)} MB, exim -bp ${(theirs.maxRssKb / 1024).toFixed(0)} MB`,
  );
  const [t2, first] = paired(
    PAIRS,
    [
      () => timed(exim('-bp')),
      () => {
        dropIndex();
        return ours('list');
      },
    ],
    midMinute,
  );
  agree(
    'first list: bytes identical to exim -bp in every pair',
    t2.all!.every((t, i) => t.stdout.equals(first.all![i].stdout)),
    true,
  );
  ratio(() =>
    reportLine('first list (full read + index written) vs exim -bp', first, t2, 'exim -bp'),
  );
  console.log(`  peak ${(first.maxRssKb / 1024).toFixed(0)} MB`);
  ours('list');
  const [c1, c2, c3] = paired(PAIRS, [
    () => timed(exim('-bpc')),
    () => ours('count'),
    () => ours('count', '--no-index'),
  ]);
  agree('count (index) and exim -bpc', c2.stdout.toString().trim(), c1.stdout.toString().trim());
  agree('count --no-index and exim -bpc', c3.stdout.toString().trim(), c1.stdout.toString().trim());
  ratio(() => reportLine('count (index) vs exim -bpc', c2, c1, 'exim -bpc'));
  ratio(() => reportLine('count --no-index vs exim -bpc', c3, c1, 'exim -bpc'));
  if (process.env.NODE_EXTRA_CA_CERTS) {
    // this build machine sets NODE_EXTRA_CA_CERTS, which Node parses at every start (~30 ms here);
    // a mail server normally does not: the same runs without it
    const bare = (...a: string[]) =>
      timed(hostopsArgv('mailq', ...a, '--spool', spool), {
        env: cache.env,
        unset: ['NODE_EXTRA_CA_CERTS'],
      });
    const [t4, l4, c4] = paired(
      PAIRS,
      [() => timed(exim('-bp')), () => bare('list'), () => bare('count')],
      midMinute,
    );
    agree(
      'without NODE_EXTRA_CA_CERTS: bytes identical to exim -bp in every pair',
      t4.all!.every((t, i) => t.stdout.equals(l4.all![i].stdout)),
      true,
    );
    agree(
      'without NODE_EXTRA_CA_CERTS: count and exim -bpc',
      c4.stdout.toString().trim(),
      c1.stdout.toString().trim(),
    );
    ratio(() =>
      reportLine('without NODE_EXTRA_CA_CERTS: list (index) vs exim -bp', l4, t4, 'exim -bp'),
    );
    ratio(() =>
      reportLine('without NODE_EXTRA_CA_CERTS: count (index) vs exim -bpc', c4, c1, 'exim -bpc'),
    );
  }
  const base = timed(hostopsArgv('--version'));
  console.log(
    `  (hostops --version alone: ${base.seconds.toFixed(3)} s wall, ${base.cpuSeconds.toFixed(2)} s CPU: the CLI's start-up)`,
  );
  const [j] = paired(1, [() => ours('list', '--json')]);
  console.log(
    `list --json: ${j.seconds.toFixed(3)} s, ${j.cpuSeconds.toFixed(2)} s CPU, ${j.stdout.toString().split('\n').length - 1} objects, peak ${(j.maxRssKb / 1024).toFixed(0)} MB`,
  );
} finally {
  cache.cleanup();
}
verdict();
