/**
 * RTT accuracy: our median RTT minus iputils ping's median, on loopback and on a 2-router
 * namespace path. Goal: within 5 µs. Runs alternate (ours, iputils, ours, ...) to share drift.
 *   node --import tsx bench/net-rtt.ts
 */
import { Topology, chain } from '../test/lib/netns.js';
import { fmt, hostops, measure, median } from './net-lib.js';

const COUNT = 300;
const ROUNDS = 3;

function iputils(ns: string | null, target: string): number[] {
  const r = measure(ns, ['ping', '-c', String(COUNT), '-i', '0.002', target]);
  return [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]) * 1000);
}

function ours(ns: string | null, target: string): number[] {
  const r = measure(ns, [process.execPath, hostops, 'ping', '--json', '-c', String(COUNT), '-i', '0.002', target]);
  const j = JSON.parse(r.stdout);
  return (j.rtts as (number | null)[]).filter((x): x is number => x !== null).map((s) => s * 1e6);
}

function compare(label: string, ns: string | null, target: string): void {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < ROUNDS; i++) { a.push(...ours(ns, target)); b.push(...iputils(ns, target)); }
  const ma = median(a), mb = median(b);
  console.log(`${label.padEnd(28)} ours median ${fmt(ma, 1)} µs (n=${a.length})  iputils ping ${fmt(mb, 1)} µs (n=${b.length})  diff ${fmt(ma - mb, 1)} µs  ratio ${fmt(ma / mb, 2)}  goal |diff| <= 5 µs: ${Math.abs(ma - mb) <= 5 ? 'met' : 'NOT met'}`);
}

const t = new Topology('lbr');
try {
  compare('loopback 127.0.0.1', null, '127.0.0.1');
  const c = chain(t, 2, 40);
  compare('namespace path (2 routers)', c.src, c.hops[2]);
} finally {
  t.destroy();
}
