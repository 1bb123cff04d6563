/**
 * mtr over a 30-hop path (29 routers + target in namespaces) at 10 probes/s per hop: CPU use of
 * `hostops mtr` and of mtr 0.95 (with its mtr-packet helper) on the same path in the same run.
 * Goal: under 5% of a core. The ratio is printed only when both exited 0 and report the same hops
 * (address per hop) with the same number of probes sent to each.
 *   node --import tsx bench/net-mtr.ts
 */
import { Topology, chain } from '../test/lib/netns.js';
import { fmt, hostops, measure } from '../test/net/measure.js';
import { agree, exitedOk, ratio, verdict } from './bench-util.js';

const CYCLES = Number(process.env.HOSTOPS_BENCH_CYCLES ?? 200); // 20 s at 0.1 s per round

const t = new Topology('lbm');
try {
  const c = chain(t, 29, 60);
  const dst = c.hops[c.hops.length - 1];
  const base = measure(c.src, [process.execPath, hostops, '--version']);
  const ours = measure(c.src, [
    process.execPath,
    hostops,
    'mtr',
    '-r',
    '-n',
    '--no-advice',
    '-c',
    String(CYCLES),
    '-i',
    '0.1',
    dst,
  ]);
  const ref = measure(c.src, ['mtr', '-r', '-n', '-c', String(CYCLES), '-i', '0.1', dst]);
  // report rows "  3.|-- 198.18.60.9   0.0%   200    0.1 ...": hop, address, loss, sent
  const rows = (out: string) =>
    out
      .split('\n')
      .map((l) => /^\s*(\d+)\.\|--\s+(\S+)\s+([\d.]+)%\s+(\d+)/.exec(l))
      .filter((m) => m !== null)
      .map((m) => ({ hop: Number(m[1]), addr: m[2], loss: Number(m[3]), sent: Number(m[4]) }));
  const rOurs = rows(ours.stdout),
    rRef = rows(ref.stdout);
  const hopsOurs = rOurs.length,
    hopsRef = rRef.length;
  exitedOk('mtr', ref.status, [0], ref.stderr);
  exitedOk('hostops mtr', ours.status, [0], ours.stderr);
  agree('hops (ours vs mtr)', hopsOurs, hopsRef);
  agree('hops = 29 routers + target', hopsRef, 30);
  agree(
    'address of each hop (ours vs mtr)',
    rOurs.map((r) => r.addr),
    rRef.map((r) => r.addr),
  );
  agree('last hop is the target', rRef[rRef.length - 1]?.addr, dst);
  agree(
    'probes sent to the last hop (ours, mtr)',
    [rOurs[rOurs.length - 1]?.sent, rRef[rRef.length - 1]?.sent],
    [CYCLES, CYCLES],
  );
  agree(
    'loss at the last hop (ours, mtr)',
    [rOurs[rOurs.length - 1]?.loss, rRef[rRef.length - 1]?.loss],
    [0, 0],
  );
  const pct = (cpu: number, wall: number) => (100 * cpu) / wall;
  const ourPct = pct(ours.cpu - base.cpu, ours.wall);
  console.log(
    `path: ${hopsRef} hops (mtr) / ${hopsOurs} hops (ours), ${CYCLES} rounds at 0.1 s = 10 probes/s per hop (${hopsOurs * 10} probes/s)`,
  );
  console.log(
    `mtr 0.95      : CPU ${fmt(ref.cpu)} s over ${fmt(ref.wall, 1)} s = ${fmt(pct(ref.cpu, ref.wall), 2)}% of a core`,
  );
  console.log(
    `hostops mtr   : CPU ${fmt(ours.cpu)} s over ${fmt(ours.wall, 1)} s = ${fmt(pct(ours.cpu, ours.wall), 2)}% of a core (${fmt(ourPct, 2)}% without node startup ${fmt(base.cpu)} s)`,
  );
  ratio(
    () =>
      `ratio ours/mtr: ${fmt(ours.cpu / ref.cpu, 2)}  goal < 5% of a core: ${ourPct < 5 ? 'met' : 'NOT met'}`,
  );
  const last = (s: string) =>
    s
      .split('\n')
      .filter((l) => /^\s*\d+\.\|--/.test(l))
      .pop() ?? '';
  console.log(`last hop, mtr : ${last(ref.stdout)}`);
  console.log(`last hop, ours: ${last(ours.stdout)}`);
  verdict();
} finally {
  t.destroy();
}
