/**
 * mtr over a 30-hop path (29 routers + target in namespaces) at 10 probes/s per hop: CPU use of
 * `hostops mtr` and of mtr 0.95 (with its mtr-packet helper) on the same path in the same run.
 * Goal: under 5% of a core.
 *   node --import tsx bench/net-mtr.ts
 */
import { Topology, chain } from '../test/lib/netns.js';
import { fmt, hostops, measure } from '../test/net/measure.js';

const CYCLES = Number(process.env.HOSTOPS_BENCH_CYCLES ?? 200); // 20 s at 0.1 s per round

const t = new Topology('lbm');
try {
  const c = chain(t, 29, 60);
  const dst = c.hops[c.hops.length - 1];
  const base = measure(c.src, [process.execPath, hostops, '--version']);
  const ours = measure(c.src, [process.execPath, hostops, 'mtr', '-r', '-n', '--no-advice', '-c', String(CYCLES), '-i', '0.1', dst]);
  const ref = measure(c.src, ['mtr', '-r', '-n', '-c', String(CYCLES), '-i', '0.1', dst]);
  const hopsOurs = ours.stdout.split('\n').filter((l) => /^\s*\d+\.\|--/.test(l)).length;
  const hopsRef = ref.stdout.split('\n').filter((l) => /^\s*\d+\.\|--/.test(l)).length;
  const pct = (cpu: number, wall: number) => (100 * cpu) / wall;
  const ourPct = pct(ours.cpu - base.cpu, ours.wall);
  console.log(`path: ${hopsRef} hops (mtr) / ${hopsOurs} hops (ours), ${CYCLES} rounds at 0.1 s = 10 probes/s per hop (${hopsOurs * 10} probes/s)`);
  console.log(`mtr 0.95      : CPU ${fmt(ref.cpu)} s over ${fmt(ref.wall, 1)} s = ${fmt(pct(ref.cpu, ref.wall), 2)}% of a core`);
  console.log(`hostops mtr   : CPU ${fmt(ours.cpu)} s over ${fmt(ours.wall, 1)} s = ${fmt(pct(ours.cpu, ours.wall), 2)}% of a core (${fmt(ourPct, 2)}% without node startup ${fmt(base.cpu)} s)`);
  console.log(`ratio ours/mtr: ${fmt(ours.cpu / ref.cpu, 2)}  goal < 5% of a core: ${ourPct < 5 ? 'met' : 'NOT met'}`);
  const last = (s: string) => s.split('\n').filter((l) => /^\s*\d+\.\|--/.test(l)).pop() ?? '';
  console.log(`last hop, mtr : ${last(ref.stdout)}`);
  console.log(`last hop, ours: ${last(ours.stdout)}`);
} finally {
  t.destroy();
}
