/**
 * Benchmark: 10,000 customers x 30 days of 5-minute samples (86.4 million points) through the
 * contention analysis (both passes: tier sums bottom-up, then every customer against its path).
 * Customers are streamed one at a time into a reused buffer from a pool of 64 pre-generated diurnal
 * series (each customer rotated in time and scaled, so no two are alike): memory stays bounded by
 * the tier sums, not by the number of points.
 *
 * That in-memory figure has no reference: nothing else reads those points, so no ratio is formed
 * with it. The ratios compare like with like, on one CSV sample (100 customers x 30 days,
 * 864,000 points) in the same run, every side reading and parsing the same file:
 *   - an awk/sort pipeline computing the per-host sums, share of steps over capacity and per-customer p95;
 *   - a naive JS version (one object per point, Map grouping, Array.sort);
 *   - ours on the same CSV file (parse + align + full analysis, which computes more than both).
 * The over-capacity share and every customer's p95 must agree with awk's and naive JS's before a
 * ratio is printed; otherwise the bench exits 1.
 * Run: node --import tsx bench/capacity-contention.ts [customers]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  buildTopology,
  contention,
  type SeriesSource,
  type TopoNode,
} from '../src/capacity/index.js';
import { parseText } from '../src/capacity/input/index.js';
import { fillDiurnal } from '../src/capacity/synth.js';
import { agree, ratio, verdict } from './bench-util.js';

const CUSTOMERS = Number(process.argv[2] ?? 10000);
const PER_HOST = 20,
  HOSTS_PER_SWITCH = 20;
const STEP = 300,
  L = 30 * 288,
  START = 1700006400;
const POOL = 64;

/** CPU seconds of this process since `from`, and of reaped children (the awk pipeline) so far. */
const cpuOf = (from: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
};
function childCpu(): number {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[13]) + Number(rest[14])) / 100; // cutime + cstime, clock ticks of 1/100 s
}
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

function topology(customers: number) {
  const hosts = Math.ceil(customers / PER_HOST),
    switches = Math.ceil(hosts / HOSTS_PER_SWITCH);
  const nodes: any[] = [{ id: 'core', kind: 'uplink', capacity: '10Gbit/s' }];
  let c = 0;
  for (let s = 0; s < switches; s++) {
    nodes.push({ id: `sw${s}`, kind: 'switch', parent: 'core', capacity: '1Gbit/s' });
    for (let h = 0; h < HOSTS_PER_SWITCH && c < customers; h++) {
      const hid = `sw${s}-h${h}`;
      nodes.push({ id: hid, kind: 'host', parent: `sw${s}`, capacity: '1Gbit/s' });
      for (let v = 0; v < PER_HOST && c < customers; v++, c++)
        nodes.push({ id: `c${c}`, kind: 'customer', parent: hid, capacity: '1Gbit/s' });
    }
  }
  return buildTopology({ name: `bench-${customers}`, nodes });
}

// pool of distinct customer shapes: evenly shaped and spiky, different evening peaks
const pool: Float32Array[] = [];
for (let p = 0; p < POOL; p++) {
  const a = new Float32Array(L);
  fillDiurnal(a, {
    start: START,
    step: STEP,
    mean: 3e6 + (p % 8) * 1e6,
    amp: 0.5,
    cv: p % 4 === 0 ? 1.0 : 0.3,
    seed: p + 1,
    peakHour: 18 + (p % 5),
    burstP: p % 4 === 0 ? 0.01 : 0,
    burstX: 20,
  });
  pool.push(a);
}
const idOf = (node: TopoNode) => Number(node.id.slice(1));
function fill(i: number, out: Float64Array): void {
  const src = pool[i % POOL],
    shift = (i * 37) % 12,
    scale = 0.5 + ((i * 2654435761) >>> 0) / 4294967296;
  for (let k = 0; k < L; k++) out[k] = src[(k + shift) % L] * scale;
}

// --- ours, full size ---------------------------------------------------------------------------
const topo = topology(CUSTOMERS);
const src: SeriesSource = {
  start: START,
  step: STEP,
  length: L,
  read: (n, out) => {
    fill(idOf(n), out);
    return true;
  },
};
const rssBefore = process.resourceUsage().maxRSS;
const t0 = performance.now(),
  cpu0 = process.cpuUsage();
const big = contention(topo, src);
const secs = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0),
  cpuSecs = (cpu.user + cpu.system) / 1e6;
const rssAfter = process.resourceUsage().maxRSS;
const points = CUSTOMERS * L;
const congested = big.tiers.filter((t) => t.verdict === 'congested').length;
console.log(
  `capacity contention: ${fmt(CUSTOMERS)} customers x ${L} steps = ${fmt(points)} points, ${big.tiers.length} tiers`,
);
console.log(
  `  ours in memory (synthetic series streamed from RAM, no file, no parse; no reference does this): ${secs.toFixed(2)} s wall (${cpuSecs.toFixed(2)} s CPU), ${fmt(points / secs)} points/s wall, ${fmt(points / cpuSecs)} points/s CPU, peak RSS ${mb(rssAfter)} (before: ${mb(rssBefore)}); ${congested} tiers congested`,
);
if (cpuSecs < secs * 0.8)
  console.log(
    `  note: the CPU was shared (CPU time ${Math.round((100 * cpuSecs) / secs)}% of wall): other jobs ran on this machine`,
  );
console.log(
  `  state kept: ${big.tiers.length} tier sums x ${L} steps x 12 bytes = ${((big.tiers.length * L * 12) / 2 ** 20).toFixed(0)} MB (independent of the number of points); one ${L}-step buffer per customer read`,
);
console.log(`  goal: under 20 s and bounded memory -> ${secs < 20 ? 'met' : 'NOT met'}`);

// --- reference on a CSV sample -------------------------------------------------------------------
const SAMPLE = 100;
const dir = mkdtempSync(path.join(tmpdir(), 'hostops-bench-'));
try {
  const csv = path.join(dir, 'sample.csv');
  const parts: string[] = ['timestamp,customer,host,value\n'];
  const buf = new Float64Array(L);
  for (let c = 0; c < SAMPLE; c++) {
    fill(c, buf);
    const host = `h${Math.floor(c / PER_HOST)}`;
    let chunk = '';
    for (let k = 0; k < L; k++)
      chunk += `${START + (k + 1) * STEP},c${c},${host},${buf[k].toFixed(0)}\n`;
    parts.push(chunk);
  }
  writeFileSync(csv, parts.join(''));
  const samplePoints = SAMPLE * L;
  // awk/sort: per-host sums per timestamp -> share over 1 Gbit/s; per-customer p95 by sort
  const script = `
    awk -F, 'NR > 1 { s[$3 "," $1] += $4 } END { for (k in s) print k "," s[k] }' "$1" |
      awk -F, '{ n[$1]++; if ($3 > 1e9) o[$1]++ } END { for (h in n) print h, (o[h] + 0) / n[h] }' > "$2/over.txt"
    tail -n +2 "$1" | sort -t, -k2,2 -k4,4g |
      awk -F, '{ if ($2 != c) { if (c != "") p95(); c = $2; n = 0 } v[++n] = $4 } END { p95() }
               function p95() { i = int(0.95 * n + 0.999999); print c, v[i] }' > "$2/p95.txt"`;
  const a0 = performance.now(),
    ac0 = childCpu();
  const aw = spawnSync('sh', ['-c', script, 'sh', csv, dir], { encoding: 'utf8' });
  const awkSecs = (performance.now() - a0) / 1000,
    awkCpu = childCpu() - ac0;
  if (aw.status !== 0) throw new Error(`reference pipeline failed: ${aw.stderr}`);

  // naive JS: one object per point
  const n0 = performance.now(),
    nc0 = process.cpuUsage();
  const rows = readFileSync(csv, 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => {
      const f = l.split(',');
      return { t: Number(f[0]), c: f[1], h: f[2], v: Number(f[3]) };
    });
  const byHostT = new Map<string, number>();
  for (const p of rows) byHostT.set(`${p.h},${p.t}`, (byHostT.get(`${p.h},${p.t}`) ?? 0) + p.v);
  const over = new Map<string, [number, number]>();
  for (const [k, v] of byHostT) {
    const h = k.split(',')[0];
    const e = over.get(h) ?? [0, 0];
    e[0]++;
    if (v > 1e9) e[1]++;
    over.set(h, e);
  }
  const byCust = new Map<string, number[]>();
  for (const p of rows) {
    const a = byCust.get(p.c) ?? [];
    a.push(p.v);
    byCust.set(p.c, a);
  }
  const naiveP95 = new Map<string, number>();
  for (const [c, a] of byCust) {
    a.sort((x, y) => x - y);
    naiveP95.set(c, a[Math.ceil(0.95 * a.length) - 1]);
  }
  const naiveSecs = (performance.now() - n0) / 1000,
    naiveCpu = cpuOf(nc0);

  // ours on the same file: parse + align + the full analysis (more figures than either reference)
  const o0 = performance.now(),
    oc0 = process.cpuUsage();
  const parsed = parseText(readFileSync(csv, 'utf8'), 'sample.csv');
  const small = contention(topology(SAMPLE), parsed.series);
  const oursCsvSecs = (performance.now() - o0) / 1000,
    oursCsvCpu = cpuOf(oc0);

  // cross-check: same share over capacity and p95 as the awk pipeline
  const awkOver = new Map(
    readFileSync(path.join(dir, 'over.txt'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const [h, v] = l.split(' ');
        return [h, Number(v)];
      }),
  );
  const awkP95 = new Map(
    readFileSync(path.join(dir, 'p95.txt'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const [c, v] = l.split(' ');
        return [c, Number(v)];
      }),
  );
  const host0 = small.tiers.find((t) => t.id === 'sw0-h0')!;
  const naiveOver = over.get('h0') ?? [0, 0];
  console.log(
    `reference on a CSV sample of ${SAMPLE} customers (${fmt(samplePoints)} points), every side parsing the same file:`,
  );
  console.log(
    `  awk/sort pipeline:               ${awkSecs.toFixed(2)} s (${awkCpu.toFixed(2)} s CPU), ${fmt(samplePoints / awkSecs)} points/s (sums, over-capacity share, p95 only)`,
  );
  console.log(
    `  naive JS (object per point):     ${naiveSecs.toFixed(2)} s (${naiveCpu.toFixed(2)} s CPU), ${fmt(samplePoints / naiveSecs)} points/s (the same three figures)`,
  );
  console.log(
    `  ours from the same CSV (parse+align+analysis): ${oursCsvSecs.toFixed(2)} s (${oursCsvCpu.toFixed(2)} s CPU), ${fmt(samplePoints / oursCsvSecs)} points/s`,
  );
  // the same answers: host h0's share of steps over 1 Gbit/s, and every customer's p95
  agree(
    'customers analysed (ours, awk, naive JS)',
    [small.customers.length, awkP95.size, naiveP95.size],
    [SAMPLE, SAMPLE, SAMPLE],
  );
  agree(
    'host h0 over-capacity share, ours vs awk (to 1e-9)',
    Math.abs(host0.over.share - (awkOver.get('h0') ?? NaN)) < 1e-9,
    true,
  );
  agree(
    'host h0 over-capacity share, ours vs naive JS (to 1e-9)',
    Math.abs(host0.over.share - naiveOver[1] / naiveOver[0]) < 1e-9,
    true,
  );
  const off = (ref: Map<string, number>) =>
    small.customers
      .filter((c) => !(Math.abs(c.p95 - (ref.get(c.id) ?? NaN)) <= 1))
      .map((c) => c.id);
  agree('customers whose p95 differs from awk by more than 1 bit/s', off(awkP95), []);
  agree('customers whose p95 differs from naive JS by more than 1 bit/s', off(naiveP95), []);
  ratio(
    () =>
      `ratios, same CSV and same answers (speed-up, wall): ours vs awk ${(awkSecs / oursCsvSecs).toFixed(1)}x, ours vs naive JS ${(naiveSecs / oursCsvSecs).toFixed(1)}x` +
      `; (CPU): ours vs awk ${(awkCpu / oursCsvCpu).toFixed(1)}x, ours vs naive JS ${(naiveCpu / oursCsvCpu).toFixed(1)}x`,
  );
  verdict();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
