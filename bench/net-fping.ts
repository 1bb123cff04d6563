/**
 * Many-target probing cost: 500 addresses inside a test namespace (/32s on its lo; this kernel has no dummy driver), each
 * probed once per second, by fping and by `hostops ping` (one socket, staggered). Prints CPU
 * seconds per probe for both and the ratio. Goal: ours no worse than fping. The ratio is printed
 * only when both exited 0 and report the same targets with the same sent/received counts.
 *   node --import tsx bench/net-fping.ts
 */
import { Topology } from '../test/lib/netns.js';
import { fmt, hostops, measure } from '../test/net/measure.js';
import { agree, exitedOk, ratio, verdict } from './bench-util.js';

const TARGETS = 500;
const SECONDS = Number(process.env.HOSTOPS_BENCH_SECONDS ?? 20);

const t = new Topology('lbf');
try {
  const ns = t.ns('a');
  const addrs: string[] = [];
  const batch: string[] = [];
  for (let i = 0; i < TARGETS; i++) {
    const a = `198.18.${50 + (i >> 8)}.${i & 255 || 1}`;
    if (addrs.includes(a)) continue;
    addrs.push(a);
    batch.push(`address add ${a}/32 dev lo`);
  }
  t.exec(ns, ['ip', '-batch', '-'], batch.join('\n') + '\n');
  const n = addrs.length;

  // start-up of the ping command alone (loads only its own group), no probes
  const base = measure(ns, [process.execPath, hostops, 'ping', '--help']);
  const ours = measure(ns, [
    process.execPath,
    hostops,
    'ping',
    '-q',
    '-c',
    String(SECONDS),
    '-i',
    '1',
    '-W',
    '1',
    ...addrs,
  ]);
  const fp = measure(ns, [
    'fping',
    '-q',
    '-c',
    String(SECONDS),
    '-p',
    '1000',
    '-i',
    '1',
    '-t',
    '1000',
    ...addrs,
  ]);

  // per-target "addr : xmt/rcv/%loss = 20/20/0%" summaries, the same layout from both tools
  const counts = (stderr: string) =>
    new Map(
      [...stderr.matchAll(/^(\S+)\s+: xmt\/rcv\/%loss = (\d+)\/(\d+)/gm)].map((m) => [
        m[1],
        [Number(m[2]), Number(m[3])] as [number, number],
      ]),
    );
  const cOurs = counts(ours.stderr),
    cFp = counts(fp.stderr);
  const total = (c: Map<string, [number, number]>, i: 0 | 1) =>
    [...c.values()].reduce((a, x) => a + x[i], 0);
  const sentOurs = total(cOurs, 0),
    rcvOurs = total(cOurs, 1),
    sentFp = total(cFp, 0),
    rcvFp = total(cFp, 1);
  exitedOk('fping', fp.status, [0], fp.stderr);
  exitedOk('hostops ping', ours.status, [0], ours.stderr);
  agree('targets with a summary (ours, fping)', [cOurs.size, cFp.size], [n, n]);
  agree('probes sent (ours vs fping)', sentOurs, sentFp);
  agree('probes sent = targets x count', sentFp, n * SECONDS);
  agree('replies received (ours vs fping)', rcvOurs, rcvFp);
  const differ = addrs.filter((a) => JSON.stringify(cOurs.get(a)) !== JSON.stringify(cFp.get(a)));
  agree('targets whose sent/received differ', differ.slice(0, 5), []);
  const perOurs = (ours.cpu / sentOurs) * 1e6;
  const perOursNet = ((ours.cpu - base.cpu) / sentOurs) * 1e6;
  const perFp = (fp.cpu / sentFp) * 1e6;
  console.log(`${n} targets x ${SECONDS} probes at 1/s each`);
  console.log(
    `fping 5.1     : exit ${fp.status}, ${sentFp} sent, ${rcvFp} received, CPU ${fmt(fp.cpu)} s over ${fmt(fp.wall, 1)} s wall = ${fmt(perFp, 2)} µs/probe (${fmt((100 * fp.cpu) / fp.wall, 2)}% of a core)`,
  );
  console.log(
    `hostops ping  : exit ${ours.status}, ${sentOurs} sent, ${rcvOurs} received, CPU ${fmt(ours.cpu)} s over ${fmt(ours.wall, 1)} s wall = ${fmt(perOurs, 2)} µs/probe (${fmt((100 * ours.cpu) / ours.wall, 2)}% of a core)`,
  );
  console.log(
    `hostops ping without node startup (${fmt(base.cpu)} s): ${fmt(perOursNet, 2)} µs/probe`,
  );
  ratio(
    () =>
      `ratio ours/fping: ${fmt(perOurs / perFp, 2)} (steady state ${fmt(perOursNet / perFp, 2)})  goal <= 1: ${perOursNet / perFp <= 1 ? 'met' : 'NOT met'}`,
  );
  verdict();
} finally {
  t.destroy();
}
