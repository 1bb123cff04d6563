// The PostgreSQL rollup of a fleet's ping rounds (5-minute rows with exact percentiles, hourly rows
// merged from them, the kept SLA window of the overview), ours against the previous algorithm
// (bench/ref/pg-rollup-v1.ts) in one private cluster, in the same run: the same generated rounds
// are written into two databases, each rolled up site by site (one pass per transaction, as the
// agent's rollup job does), then every row of ping_5m, ping_1h, ping_pair_hour, ping_pair and
// ping_pair_site and the watermarks must be identical before any rate is printed.
// Densities:
//   bench: one round per pair per 5-minute bucket (a round every day/rounds seconds, as
//          bench/fleet-scale.ts writes them), rolled up after all are written;
//   real:  a round every 20 s (15 per pair per 5-minute bucket), rolled up every 60 s of
//          simulated time (3 rounds per pair), as the agent's job runs: buckets are recomputed
//          from raw rounds several times. --every N: N rounds (N x 20 s) between two rollups
//          instead of 3, as store.rollupInterval sets it (15: every 5 minutes).
// Reported per density: rollup rounds/s (wall) and CPU per round (client + cluster), both sides;
// ingest CPU per round (ours), and the rounds/s 2 cores sustain writing and rolling up
// (2 / (ingest + rollup CPU per round)): at real density, the figure issue 14 asks for.
//   node --import tsx bench/fleet-rollup.ts [--density bench|real|both] [--sites 20] [--targets 2000]
//     [--rounds 24] [--every 3] [--small]
import { PgDriver, SqlStore, type PingRound } from '../src/store/index.js';
import { startPg } from '../test/store/pg-cluster.js';
import { rollupOncePgV1 } from './ref/pg-rollup-v1.js';
import { agree, disagree, numArg, pgCpuNow, ratio, verdict } from './bench-util.js';

const arg = numArg;
const small = process.argv.includes('--small');
const SITES = arg('--sites', small ? 3 : 20);
const TARGETS = arg('--targets', small ? 500 : 2000);
const ROUNDS = arg('--rounds', small ? 24 : 24);
const EVERY = Math.max(1, arg('--every', 3));
const di = process.argv.indexOf('--density');
const DENSITY = di > 0 ? process.argv[di + 1] : 'both';
if (!['bench', 'real', 'both'].includes(DENSITY)) {
  console.error('fleet-rollup: --density is bench, real or both');
  process.exit(2);
}
const DAY = 86400;
const D0 = Math.floor(Date.now() / 1000 / DAY) * DAY - DAY; // yesterday, UTC
const SLAS = [
  { rtt: { op: '<' as const, value: 0.08 }, loss: { op: '<' as const, value: 0.01 } },
  { rtt: { op: '<=' as const, value: 0.03 } },
];

/** Deterministic rounds of one site at round index k (as bench/fleet-scale.ts): RTT by pair and time, some loss, some rounds without replies. */
function batch(site: number, k: number, step: number): PingRound[] {
  const out: PingRound[] = new Array(TARGETS);
  for (let t = 0; t < TARGETS; t++) {
    const base = 0.005 + ((site * 7919 + t * 104729) % 1000) / 10_000;
    const lost =
      (site + t + k) % 17 === 0 ? 3 : (site * t + k) % 101 === 0 ? 20 : (t + k) % 53 === 0 ? 9 : 0;
    const rtts: number[] = [];
    for (let p = 0; p < 20 - lost; p++)
      rtts.push(base * (1 + 0.05 * Math.sin(k + p)) + ((t + p * 31) % 13) / 100_000);
    out[t] = {
      site: `s${site}`,
      target: `t${t}`,
      // spread over the step like probes started at different moments
      ts: D0 + k * step + (t % 600) * (step / 600),
      sent: 20,
      received: rtts.length,
      rtts,
    };
  }
  return out;
}

type Side = 'ref' | 'ours';
interface Db {
  drv: PgDriver;
  store: SqlStore;
  ms: number;
  cpu: { client: number; server: number };
}

const TABLES: [string, string][] = [
  ['ping_5m', 'target, ts'],
  ['ping_1h', 'target, ts'],
  ['ping_pair_hour', 'hour, target'],
  ['ping_pair', 'target'],
  ['ping_pair_site', 'site'],
];

/** A row's text, every column but rtt_sum (float8 prints its shortest exact form). */
const rowText = (t: string) =>
  t === 'ping_5m' || t === 'ping_1h' ? "(to_jsonb(x) - 'rtt_sum')::text" : 'x::text';

/** Per table and site: row count and a digest of every row (rtt_sum aside: sumsClose checks it). */
async function digests(d: PgDriver): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [t, order] of TABLES) {
    const rows = await d.all<{ site: string; n: number; h: string }>(
      `SELECT site, count(*)::int AS n, md5(string_agg(${rowText(t)}, E'\\n' ORDER BY ${order})) AS h FROM ${t} x GROUP BY site`,
    );
    for (const r of rows) out.set(`${t} ${r.site}`, `${r.n} ${r.h}`);
  }
  const wm = await d.all<{ key: string; value: string }>(
    "SELECT key, value FROM meta WHERE key LIKE 'rollup:%'",
  );
  for (const r of wm) out.set(`meta ${r.key}`, r.value);
  return out;
}

/**
 * rtt_sum is a float sum whose v1 value depends on the order its plan fed the values (a sort of
 * the pass's values by bucket, not stable): it is compared to 1e-12 relative, everything else
 * bit for bit. Returns [bit-identical, within tolerance, rows].
 */
async function sumsClose(a: PgDriver, b: PgDriver): Promise<[number, number, number]> {
  let same = 0;
  let close = 0;
  let rows = 0;
  for (let s = 0; s < SITES; s++)
    for (const t of ['ping_5m', 'ping_1h']) {
      const q = `SELECT rtt_sum AS v FROM ${t} WHERE site = $1 ORDER BY target, ts`;
      const [ra, rb] = [
        await a.all<{ v: number | null }>(q, [`s${s}`]),
        await b.all<{ v: number | null }>(q, [`s${s}`]),
      ];
      rows += Math.max(ra.length, rb.length);
      for (let i = 0; i < ra.length; i++) {
        const [x, y] = [ra[i]?.v ?? null, rb[i]?.v ?? null];
        if (x === y) same++;
        else if (x !== null && y !== null && Math.abs(x - y) <= 1e-12 * Math.abs(x)) close++;
      }
    }
  return [same, close, rows];
}

/** The first row that differs in a table of one site, for the message. */
async function firstDiff(a: PgDriver, b: PgDriver, key: string): Promise<string> {
  const [t, site] = key.split(' ');
  const order = TABLES.find((x) => x[0] === t)?.[1];
  if (!order) return key;
  const q = `SELECT ${rowText(t)} AS r FROM ${t} x WHERE site = $1 ORDER BY ${order}`;
  const [ra, rb] = [await a.all<{ r: string }>(q, [site]), await b.all<{ r: string }>(q, [site])];
  for (let i = 0; i < Math.max(ra.length, rb.length); i++)
    if (ra[i]?.r !== rb[i]?.r) return `${key} row ${i}: ours ${rb[i]?.r}, reference ${ra[i]?.r}`;
  return key;
}

async function run(pg: Awaited<ReturnType<typeof startPg>>, density: 'bench' | 'real') {
  const step = density === 'bench' ? DAY / ROUNDS : 20;
  // rounds written between two rollups: all of them (bench), or --every (60 s worth by default,
  // as the agent's job runs at store.rollupInterval's default)
  const every = density === 'bench' ? ROUNDS : EVERY;
  const total = SITES * TARGETS * ROUNDS;
  console.log(
    `fleet-rollup, ${density} density: ${SITES} sites x ${TARGETS} targets x ${ROUNDS} rounds of 20 pings (a round every ${step} s per pair, rollups every ${every} round(s)) = ${total.toLocaleString()} rounds`,
  );
  const admin = new PgDriver(pg.url, { max: 1 });
  const dbs = {} as Record<Side, Db>;
  for (const side of ['ref', 'ours'] as Side[]) {
    const name = `${side}_${density}`;
    await admin.all(`CREATE DATABASE ${name}`);
    const drv = new PgDriver(pg.url.replace(/\/hostops$/, `/${name}`), { max: 1 });
    const store = new SqlStore(drv);
    await store.migrate();
    await store.registerSlas(SLAS);
    dbs[side] = { drv, store, ms: 0, cpu: { client: 0, server: 0 } };
  }
  await admin.close();
  const rollups: Record<Side, (site: string) => Promise<void>> = {
    ref: async (site) => {
      for (;;) if (!(await rollupOncePgV1(dbs.ref.drv, site)).more) break;
    },
    ours: async (site) => {
      await dbs.ours.store.rollup(site);
    },
  };
  const timed = async (side: Side) => {
    const c0 = pgCpuNow(pg.dir);
    const t = performance.now();
    for (let s = 0; s < SITES; s++) await rollups[side](`s${s}`);
    dbs[side].ms += performance.now() - t;
    const c1 = pgCpuNow(pg.dir);
    dbs[side].cpu.client += c1.client - c0.client;
    dbs[side].cpu.server += c1.server - c0.server;
  };
  // ingest CPU (ours; the reference writes with the same code): one interval per block of writes
  const ingest = { client: 0, server: 0 };
  for (let k0 = 0; k0 < ROUNDS; k0 += every) {
    const block: PingRound[][] = [];
    for (let s = 0; s < SITES; s++)
      for (let k = k0; k < Math.min(ROUNDS, k0 + every); k++) block.push(batch(s, k, step));
    for (const rows of block) await dbs.ref.store.writePings(rows);
    const c0 = pgCpuNow(pg.dir);
    for (const rows of block) await dbs.ours.store.writePings(rows);
    const c1 = pgCpuNow(pg.dir);
    ingest.client += c1.client - c0.client;
    ingest.server += c1.server - c0.server;
    // alternate which side runs first, so neither always finds the caches warm
    const order: Side[] = (k0 / every) % 2 ? ['ours', 'ref'] : ['ref', 'ours'];
    for (const side of order) await timed(side);
  }

  const [dr, doo] = [await digests(dbs.ref.drv), await digests(dbs.ours.drv)];
  const rolled = async (d: PgDriver) =>
    Number((await d.all<{ n: number }>('SELECT sum(rounds)::int AS n FROM ping_5m'))[0].n);
  agree('rounds in the 5-minute rows', await rolled(dbs.ours.drv), await rolled(dbs.ref.drv));
  if ((await rolled(dbs.ref.drv)) !== total)
    disagree(`the reference rolled up ${await rolled(dbs.ref.drv)} rounds of ${total}`);
  const keys = [...new Set([...dr.keys(), ...doo.keys()])].sort();
  const bad = keys.filter((k) => dr.get(k) !== doo.get(k));
  if (bad.length)
    disagree(
      `${bad.length} table/site digests differ; first ${await firstDiff(dbs.ref.drv, dbs.ours.drv, bad[0])}`,
    );
  else
    agree(
      'every row of ping_5m, ping_1h (rtt_sum aside), ping_pair_hour, ping_pair, ping_pair_site and the watermarks (table x site digests)',
      keys.length,
      dr.size,
    );
  const [same, close, rows] = await sumsClose(dbs.ref.drv, dbs.ours.drv);
  if (same + close !== rows)
    disagree(`rtt_sum: ${rows - same - close} of ${rows} rows differ by more than 1e-12 relative`);
  else
    console.log(
      `  agree: rtt_sum of all ${rows} rows within 1e-12 relative (${same} bit-identical)`,
    );
  const rate = (d: Db) => (total / d.ms) * 1000;
  const cpu = (d: Db) =>
    `${((d.cpu.client / total) * 1e6).toFixed(1)} + ${((d.cpu.server / total) * 1e6).toFixed(1)} us`;
  for (const side of ['ref', 'ours'] as Side[])
    console.log(
      `  rollup ${side === 'ref' ? 'reference (v1)' : 'ours          '}: ${rate(dbs[side]).toFixed(0)} rounds/s (${(dbs[side].ms / 1000).toFixed(1)} s); CPU per round (client + cluster) ${cpu(dbs[side])}`,
    );
  console.log(
    `  ingest (ours, the same code writes both): CPU per round (client + cluster) ${((ingest.client / total) * 1e6).toFixed(1)} + ${((ingest.server / total) * 1e6).toFixed(1)} us`,
  );
  // what 2 cores sustain when every round is written and rolled up at this density
  const perCore = (d: Db) => total / (ingest.client + ingest.server + d.cpu.client + d.cpu.server);
  for (const side of ['ref', 'ours'] as Side[])
    console.log(
      `  sustainable on 2 cores, ingest + rollup ${side === 'ref' ? '(v1) ' : '(ours)'}: ${(2 * perCore(dbs[side])).toFixed(0)} rounds/s (${((1e6 * (ingest.client + ingest.server + dbs[side].cpu.client + dbs[side].cpu.server)) / total).toFixed(1)} us CPU per round)`,
    );
  const perCpu = (d: Db) => total / (d.cpu.client + d.cpu.server);
  ratio(
    () =>
      `  ratio (${density}): rollup rounds/s ours/reference ${(rate(dbs.ours) / rate(dbs.ref)).toFixed(2)}x wall, ${(perCpu(dbs.ours) / perCpu(dbs.ref)).toFixed(2)}x per CPU second; ingest + rollup on 2 cores ${2 * perCore(dbs.ours) >= 25_000 ? 'meets' : 'MISSES'} the 25,000 rounds/s of 50 x 10,000 at 20 s`,
  );
  for (const d of Object.values(dbs)) await d.store.close();
}

const pg = await startPg();
try {
  for (const d of ['bench', 'real'] as const)
    if (DENSITY === 'both' || DENSITY === d) await run(pg, d);
} finally {
  pg.stop();
}
verdict();
