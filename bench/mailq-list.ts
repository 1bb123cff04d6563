/**
 * `hostops mailq list` vs `exim -bp` on a 100,000-message queue (synthesized in exim's exact
 * spool format under bench/out/, checked by exim itself): time, identical bytes, peak memory.
 * Also `count` vs `exim -bpc`. Ours and exim alternate (5 pairs); medians of wall and CPU.
 * Run: node --import tsx bench/mailq-list.ts   (MAILQ_BENCH_PAIRS=5)
 */
import { CONF, EXIM, ensureBuilt, benchSpool, timed, paired, hostopsArgv, report, midMinute, load } from '../test/mailq/fixtures/bench-util.js';

const N = Number(process.env.MAILQ_BENCH_MESSAGES ?? 100_000);
const PAIRS = Number(process.env.MAILQ_BENCH_PAIRS ?? 5);
ensureBuilt();
const spool = await benchSpool(N);
const exim = (...a: string[]) => [EXIM, '-C', CONF, `-DSPOOL=${spool}`, ...a];

// warm the page cache for both
timed(exim('-bp'));
timed(hostopsArgv('mailq', 'list', '--spool', spool));

console.log(`load average: ${load()} (2 cores shared with other work; ${PAIRS} alternating pairs, medians)`);
// received times are whole minutes: each pair runs inside one minute so both see the same ages
const [theirs, ours] = paired(PAIRS, [() => timed(exim('-bp')), () => timed(hostopsArgv('mailq', 'list', '--spool', spool))], midMinute);
const same = theirs.all!.every((t, i) => t.stdout.equals(ours.all![i].stdout));
console.log(`queue: ${N} messages, ${(theirs.stdout.length / 1e6).toFixed(1)} MB of -bp text; exim parse errors: ${(theirs.stdout.toString('latin1').match(/spool format error/g) ?? []).length}`);
report('list vs exim -bp', ours, theirs, 'exim -bp');
console.log(`identical bytes (all ${PAIRS} pairs): ${same ? 'yes' : 'NO'}`);
console.log(`peak memory: hostops ${(ours.maxRssKb / 1024).toFixed(0)} MB, exim -bp ${(theirs.maxRssKb / 1024).toFixed(0)} MB`);
const [c1, c2] = paired(PAIRS, [() => timed(exim('-bpc')), () => timed(hostopsArgv('mailq', 'count', '--spool', spool))]);
report('count vs exim -bpc', c2, c1, 'exim -bpc');
console.log(`counts equal: ${c1.stdout.equals(c2.stdout) ? 'yes' : 'NO'} (${c1.stdout.toString().trim()})`);
const base = timed(hostopsArgv('--version'));
console.log(`  (hostops --version alone: ${base.seconds.toFixed(3)} s wall, ${base.cpuSeconds.toFixed(2)} s CPU: the CLI's start-up)`);
const [j] = paired(1, [() => timed(hostopsArgv('mailq', 'list', '--spool', spool, '--json'))]);
console.log(`list --json: ${j.seconds.toFixed(3)} s, ${j.cpuSeconds.toFixed(2)} s CPU, ${j.stdout.toString().split('\n').length - 1} objects, peak ${(j.maxRssKb / 1024).toFixed(0)} MB`);
