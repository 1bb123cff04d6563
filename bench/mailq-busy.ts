/**
 * `hostops mailq list` vs `exim -bp` on a 100,000-message queue that gains a message every
 * second: a background injector (real exim -odq, bounded count) adds one message a second, so
 * the spool directory is never older than the index's 2-second racy limit and every listing
 * rescans. Each round pauses the injector right after an arrival, then runs exim -bp, hostops
 * list and exim -bp again on that (now still) queue: hostops must equal one of the two exim
 * listings byte for byte (ages are whole minutes from each tool's own start second, and with a
 * message a second some age changes every second, so the run that started in the same second
 * is the one to compare). The first exim -bp and hostops are timed; medians over the rounds.
 * The injector then runs on for a few seconds before the next round.
 * While it is paused for the comparison, input/'s time is set a minute ahead before each hostops
 * run: the spool stays "changed within 2 s" as it was at the pause, however long exim -bp took
 * on this shared machine (otherwise hostops would see a quiet spool and rewrite its index).
 * Run: node --import tsx bench/mailq-busy.ts   (MAILQ_BENCH_MESSAGES=100000, MAILQ_BENCH_ROUNDS=7)
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { generateSpool } from '../test/mailq/fixtures/gen-spool.js';
import {
  CONF,
  EXIM,
  OUT,
  ensureBuilt,
  timed,
  hostopsArgv,
  report,
  load,
  indexCache,
  type Run,
} from '../test/mailq/fixtures/bench-util.js';

const N = Number(process.env.MAILQ_BENCH_MESSAGES ?? 100_000);
const ROUNDS = Number(process.env.MAILQ_BENCH_ROUNDS ?? 7);
ensureBuilt();
const spool = path.join(OUT, `spool-${N}-busy`);
console.log(
  `generating ${N} messages in ${spool} (a fresh copy each run: the injector adds to it) ...`,
);
fs.rmSync(spool, { recursive: true, force: true });
generateSpool(spool, { count: N, now: Math.floor(Date.now() / 1000), alignMinutes: true });
execFileSync('chown', ['-R', 'Debian-exim:Debian-exim', spool]);
execFileSync('sync');
// chown moved every file's ctime: files changed within 2 s of an index build are not trusted
await new Promise((r) => setTimeout(r, 2100));
const cache = await indexCache(spool);
const ctl = fs.mkdtempSync(path.join(OUT, 'busy-ctl-'));
const pause = path.join(ctl, 'pause'),
  paused = path.join(ctl, 'paused');
const e = `${EXIM} -C ${CONF} -DSPOOL=${spool}`;
// one message a second, at most 60 per round plus slack; it stops by itself at the limit
const limit = ROUNDS * 60 + 120;
const injector = spawn(
  'sh',
  [
    '-c',
    `i=0; while [ $i -lt ${limit} ]; do
  printf 'Subject: arrival %s\\n\\nhello\\n' $i | ${e} -odq -f busy$i@arrivals.example rcpt$i@dest.example || exit 1
  i=$((i+1))
  while [ -e ${pause} ]; do touch ${paused}; sleep 0.05; done
  rm -f ${paused}
  sleep 1
done`,
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const busyNow = () => {
  const t = new Date(Date.now() + 60_000);
  fs.utimesSync(path.join(spool, 'input'), t, t);
};
const ours = () =>
  timed(hostopsArgv('mailq', 'list', '--spool', spool), {
    env: { ...cache.env, HOSTOPS_DEBUG: '1' },
  });
const exim = () => timed(['sh', '-c', `${e} -bp`]);
const count = () =>
  fs.readdirSync(path.join(spool, 'input')).filter((x) => x.endsWith('-H')).length;

let failed = false;
try {
  ours(); // builds the index on the arriving queue
  console.log(`load average: ${load()} (2 cores shared with other work; ${ROUNDS} rounds)`);
  const o: Run[] = [],
    t: Run[] = [];
  let busyPath = 0,
    retries = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await sleep(3000); // a few arrivals
    fs.writeFileSync(pause, '');
    while (!fs.existsSync(paused)) await sleep(20);
    let ok = false;
    for (let attempt = 0; attempt < 3 && !ok; attempt++) {
      const before = exim();
      busyNow();
      const mine = ours();
      const after = exim();
      if (attempt === 0) {
        o.push(mine);
        t.push(before);
        if (/busy spool/.test(mine.stderr ?? '')) busyPath++;
      }
      ok =
        mine.status === 0 &&
        (mine.stdout.equals(before.stdout) || mine.stdout.equals(after.stdout));
      if (!ok) retries++;
    }
    const n = count();
    console.log(
      `round ${round + 1}: ${n} messages; identical bytes: ${ok ? 'yes' : 'NO'}; hostops ${o.at(-1)!.seconds.toFixed(3)} s, exim -bp ${t.at(-1)!.seconds.toFixed(3)} s; ${(
        o.at(-1)!.stderr ?? ''
      )
        .split('\n')
        .filter((l) => /taken from it/.test(l))
        .join(' ')}`,
    );
    if (!ok) failed = true;
    fs.rmSync(pause);
  }
  const med = (xs: number[]) => {
    const a = [...xs].sort((x, y) => x - y);
    return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  };
  const m = (rs: Run[]): Run => ({
    ...rs[0],
    seconds: med(rs.map((r) => r.seconds)),
    cpuSeconds: med(rs.map((r) => r.cpuSeconds)),
  });
  console.log(
    `busy-spool path taken in ${busyPath} of ${ROUNDS} rounds; comparisons repeated ${retries} time(s) (an age changed between the runs)`,
  );
  if (failed) console.log('MISMATCH: no ratio');
  else
    report(
      `list on a queue gaining a message a second (${count()} messages) vs exim -bp`,
      m(o),
      m(t),
      'exim -bp',
    );
  console.log(`load average at the end: ${load()}`);
} finally {
  if (injector.exitCode === null) injector.kill();
  cache.cleanup();
  fs.rmSync(ctl, { recursive: true, force: true });
}
if (failed) process.exit(1);
