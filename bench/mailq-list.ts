/**
 * `hostops mailq list` vs `exim -bp` on a 100,000-message queue (synthesized in exim's exact
 * spool format under bench/out/, checked by exim itself): time, identical bytes, peak memory.
 * Also `count` vs `exim -bpc`. Run: node --import tsx bench/mailq-list.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { generateSpool } from '../test/mailq/fixtures/gen-spool.js';
import { OUT, CONF, EXIM, ensureBuilt, timed, best, hostopsArgv, report, midMinute, load } from '../test/mailq/fixtures/bench-util.js';

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
const exim = (...a: string[]) => [EXIM, '-C', CONF, `-DSPOOL=${spool}`, ...a];

// warm the page cache for both
timed(exim('-bpc'));
timed(hostopsArgv('mailq', 'count', '--spool', spool));

// received times are whole minutes: run each pair inside one minute so both see the same ages
let same = true;
let theirs = null as ReturnType<typeof timed> | null;
let ours = null as ReturnType<typeof timed> | null;
for (let i = 0; i < 3; i++) {
  midMinute();
  const t = timed(exim('-bp'));
  const o = timed(hostopsArgv('mailq', 'list', '--spool', spool));
  if (!o.stdout.equals(t.stdout)) same = false;
  if (!theirs || t.seconds < theirs.seconds) theirs = t;
  if (!ours || o.seconds < ours.seconds) ours = o;
}
console.log(`load average: ${load()} (2 cores shared with other work; best of 3 runs)`);
console.log(`queue: ${N} messages, ${(theirs!.stdout.length / 1e6).toFixed(1)} MB of -bp text; exim parse errors: ${(theirs!.stdout.toString('latin1').match(/spool format error/g) ?? []).length}`);
report('list vs exim -bp', ours!, theirs!, 'exim -bp');
console.log(`identical bytes (all 3 pairs): ${same ? 'yes' : 'NO'}`);
console.log(`peak memory: hostops ${(ours!.maxRssKb / 1024).toFixed(0)} MB, exim -bp ${(theirs!.maxRssKb / 1024).toFixed(0)} MB`);
const c1 = best(3, () => timed(exim('-bpc')));
const c2 = best(3, () => timed(hostopsArgv('mailq', 'count', '--spool', spool)));
report('count vs exim -bpc', c2, c1, 'exim -bpc');
console.log(`counts equal: ${c1.stdout.equals(c2.stdout) ? 'yes' : 'NO'} (${c1.stdout.toString().trim()})`);
const j = best(1, () => timed(hostopsArgv('mailq', 'list', '--spool', spool, '--json')));
console.log(`list --json: ${j.seconds.toFixed(3)} s, ${j.stdout.toString().split('\n').length - 1} objects, peak ${(j.maxRssKb / 1024).toFixed(0)} MB`);
