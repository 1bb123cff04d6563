/**
 * Removing a spam run: `hostops mailq rm <selection> --yes` vs the one-liner it replaces,
 * `exim -bp | awk '<sender test> {print $3}' | xargs exim -Mrm`, with the real exim on two copies
 * of the same generated queue (same seed, exim owns the files). Two cases: about a fifth of a
 * 100,000-message queue selected by sender, and the whole queue selected. Checks before any
 * ratio is printed: both removed the same number of messages (more than none), the ids left on
 * the two spools are the same set, and both mainlogs hold the same `<id> removed by root` and
 * `<id> Completed` records. Any mismatch exits 1.
 * Each round builds two fresh queues (then sync); who runs first alternates from round to round.
 * Run: node --import tsx bench/mailq-rm.ts   (MAILQ_BENCH_MESSAGES=100000, MAILQ_BENCH_ROUNDS=1;
 * MAILQ_BENCH_KEEP=1 leaves the last two spools under bench/out/ to look at)
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
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
  type Run,
} from '../test/mailq/fixtures/bench-util.js';

const N = Number(process.env.MAILQ_BENCH_MESSAGES ?? 100_000);
const ROUNDS = Number(process.env.MAILQ_BENCH_ROUNDS ?? 1);
ensureBuilt();

/** A fresh queue of N messages (the same for a given seed), owned by exim. */
function freshQueue(name: string, now: number): string {
  const dir = path.join(OUT, `rm-${name}`);
  fs.rmSync(dir, { recursive: true, force: true });
  generateSpool(dir, { count: N, now, alignMinutes: true });
  execFileSync('chown', ['-R', 'Debian-exim:Debian-exim', dir]);
  return dir;
}

function idsOn(spool: string): Set<string> {
  return new Set(
    fs
      .readdirSync(path.join(spool, 'input'))
      .filter((n) => n.endsWith('-H'))
      .map((n) => n.slice(0, -2)),
  );
}

/** exim's per-message removal records, without their time stamps, sorted. */
function removalRecords(spool: string): string[] {
  const log = path.join(spool, 'log', 'mainlog');
  if (!fs.existsSync(log)) return [];
  const out: string[] = [];
  for (const l of fs.readFileSync(log, 'latin1').split('\n')) {
    const m = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (\S+ (?:removed by \S+|Completed))$/.exec(l);
    if (m) out.push(m[1]);
  }
  return out.sort();
}

const med = (xs: number[]) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};
const median = (rs: Run[]): Run => ({
  ...rs[rs.length - 1],
  seconds: med(rs.map((r) => r.seconds)),
  cpuSeconds: med(rs.map((r) => r.cpuSeconds)),
});

let failed = false;
let turn = 0; // who goes first alternates across all rounds of all cases
console.log(
  `load average: ${load()} (2 cores shared with other work; ${ROUNDS} round(s) per case, fresh queues of ${N} each)`,
);
for (const c of [
  {
    name: 'by sender (a fifth of the queue)',
    ours: ['-f', '@bulk[0-5]\\.'],
    awk: 'tolower($4) ~ /@bulk[0-5]\\./',
  },
  { name: 'the whole queue', ours: ['-f', '.'], awk: '$4 ~ /./' },
]) {
  const oursRuns: Run[] = [];
  const theirRuns: Run[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const now = Math.floor(Date.now() / 1000); // the ids encode it: the same for both copies
    const a = freshQueue('hostops', now);
    const b = freshQueue('pipeline', now);
    // the new files reach the disk before either run: neither pays for the other's writeback
    execFileSync('sync');
    const before = idsOn(a).size;
    const audit = path.join(OUT, 'rm-audit.log');
    const runOurs = () =>
      timed(
        hostopsArgv(
          'mailq',
          'rm',
          '--spool',
          a,
          '-C',
          CONF,
          '-D',
          `SPOOL=${a}`,
          ...c.ours,
          '--yes',
          '--audit-log',
          audit,
        ),
      );
    const e = `${EXIM} -C ${CONF} -DSPOOL=${b}`;
    const runTheirs = () =>
      timed(['sh', '-c', `${e} -bp | awk '${c.awk} {print $3}' | xargs ${e} -Mrm > /dev/null`]);
    let o: Run;
    let t: Run;
    if (turn++ % 2 === 0) {
      o = runOurs();
      t = runTheirs();
    } else {
      t = runTheirs();
      o = runOurs();
    }
    const leftA = idsOn(a);
    const leftB = idsOn(b);
    const removedA = before - leftA.size;
    const removedB = before - leftB.size;
    const sameLeft = leftA.size === leftB.size && [...leftA].every((id) => leftB.has(id));
    const ra = removalRecords(a);
    const rb = removalRecords(b);
    const sameLog = ra.length === rb.length && ra.every((x, i) => x === rb[i]);
    console.log(
      `${c.name}, round ${round + 1}: removed hostops ${removedA}, pipeline ${removedB} of ${before}; ` +
        `same ids left (${leftA.size}): ${sameLeft ? 'yes' : 'NO'}; same mainlog removal records (${ra.length}): ${sameLog ? 'yes' : 'NO'}; ` +
        `hostops exit ${o.status}`,
    );
    if (
      removedA !== removedB ||
      removedA === 0 ||
      !sameLeft ||
      !sameLog ||
      ra.length !== 2 * removedA ||
      o.status !== 0
    ) {
      console.log('  MISMATCH: no ratio for this case');
      failed = true;
    } else {
      oursRuns.push(o);
      theirRuns.push(t);
    }
    if (!process.env.MAILQ_BENCH_KEEP) {
      fs.rmSync(a, { recursive: true, force: true });
      fs.rmSync(b, { recursive: true, force: true });
    }
    fs.rmSync(audit, { force: true });
  }
  if (oursRuns.length === ROUNDS)
    report(
      `rm ${c.name} vs exim -bp | awk | xargs exim -Mrm`,
      median(oursRuns),
      median(theirRuns),
      'pipeline',
    );
}
console.log(`load average at the end: ${load()}`);
if (failed) process.exit(1);
