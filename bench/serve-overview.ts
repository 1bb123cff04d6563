// Dashboard overview response time with 30 days of data for 100 targets (goal < 300 ms).
// Builds a SQLite store with 30 days of 5-minute and hourly rollups plus 6 hours of raw rounds
// per target, starts the real HTTP server and times GET /api/overview and a 30-day history.
// No reference ratio: the naive computation it used to print answered a smaller question (1 h of
// raw rounds, no SLA window, no HTTP), so it was not the same work; the figures stand alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configSchema, resolveConfig } from '../src/config/index.js';
import { Agent, buildHttp } from '../src/serve/index.js';
import { SqlStore, SqliteDriver, quantiles } from '../src/store/index.js';
import { disagree, verdict } from './bench-util.js';

const TARGETS = 100;
const DAYS = 30;
const SITE = 'ldn';
const dir = mkdtempSync(path.join(tmpdir(), 'hostops-bench-ov-'));
const now = Math.floor(Date.now() / 1000 / 300) * 300;
const driver = new SqliteDriver(path.join(dir, 'b.db'));
const store = new SqlStore(driver);
await store.migrate();

let t0 = performance.now();
const db = driver.db;
const ins5 = db.prepare(
  'INSERT INTO ping_5m (site, target, ts, rounds, sent, received, rtt_min, rtt_p10, rtt_p25, rtt_median, rtt_p75, rtt_p90, rtt_max) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
);
const ins1h = db.prepare(
  'INSERT INTO ping_1h (site, target, ts, rounds, sent, received, rtt_min, rtt_p10, rtt_p25, rtt_median, rtt_p75, rtt_p90, rtt_max) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
);
const insRaw = db.prepare(
  'INSERT INTO ping (site, target, ts, sent, received, rtt_min, rtt_p10, rtt_p25, rtt_median, rtt_p75, rtt_p90, rtt_max, rtts) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
);
let rows = 0;
db.transaction(() => {
  for (let t = 0; t < TARGETS; t++) {
    const base = 0.005 + t * 0.001;
    for (let ts = now - DAYS * 86400; ts < now; ts += 300) {
      const m = base * (1 + 0.1 * Math.sin(ts / 7200));
      ins5.run(
        SITE,
        `t${t}`,
        ts,
        15,
        300,
        300 - (ts % 7 === 0 ? 3 : 0),
        m * 0.9,
        m * 0.95,
        m * 0.98,
        m,
        m * 1.02,
        m * 1.05,
        m * 1.3,
      );
      rows++;
      if (ts % 3600 === 0) {
        ins1h.run(
          SITE,
          `t${t}`,
          ts,
          180,
          3600,
          3590,
          m * 0.9,
          m * 0.95,
          m * 0.98,
          m,
          m * 1.02,
          m * 1.05,
          m * 1.3,
        );
        rows++;
      }
    }
    for (let ts = now - 6 * 3600; ts < now; ts += 20) {
      const rtts = Array.from({ length: 20 }, (_, k) => base * (1 + k / 100));
      const q = quantiles(rtts);
      insRaw.run(
        SITE,
        `t${t}`,
        ts,
        20,
        20,
        q.min,
        q.p10,
        q.p25,
        q.median,
        q.p75,
        q.p90,
        q.max,
        JSON.stringify(rtts),
      );
      rows++;
    }
  }
  db.prepare(
    "INSERT INTO job_state (site, job, last_run, next_run, failures, last_error) VALUES (?, 'ping', ?, ?, 0, NULL)",
  ).run(SITE, now, now + 20);
})();
await store.maintain(); // what the hourly prune job does
console.log(
  `generated ${rows.toLocaleString()} rows (${TARGETS} targets x ${DAYS} days) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

const cfg = resolveConfig(
  configSchema.parse({
    site: SITE,
    defaults: { self: false, gateway: false },
    iperf: { server: false },
    mailq: { enabled: false },
    targets: Array.from({ length: TARGETS }, (_, t) => ({
      name: `t${t}`,
      host: `198.18.${Math.floor(t / 250)}.${(t % 250) + 1}`,
      sla: { rtt: '< 70 ms', loss: '< 1%' },
    })),
  }),
  { routeFile: '/nonexistent' },
);
const agent = await Agent.create(cfg, { store });
const app = await buildHttp(agent, { host: '127.0.0.1', port: 0 });
const addr = app.server.address() as { port: number };
const base = `http://127.0.0.1:${addr.port}`;

async function time(
  url: string,
  n: number,
): Promise<{ p50: number; p95: number; max: number; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    const r = await fetch(url);
    bytes = (await r.arrayBuffer()).byteLength;
    if (r.status !== 200) disagree(`GET ${url} answered ${r.status}: timing a failure`);
    ms.push(performance.now() - s);
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(n / 2)], p95: ms[Math.floor(n * 0.95)], max: ms[n - 1], bytes };
}

await time(`${base}/api/overview`, 2); // warm the page cache and statements
const ov = await time(`${base}/api/overview`, 30);
const hist = await time(
  `${base}/api/history?site=${SITE}&target=t42&from=${now - 30 * 86400}&to=${now}`,
  30,
);
const hist3h = await time(
  `${base}/api/history?site=${SITE}&target=t42&from=${now - 3 * 3600}&to=${now}`,
  30,
);

console.log(
  `GET /api/overview (100 targets, 1 h median/loss + 24 h SLA compliance): p50 ${ov.p50.toFixed(1)} ms, p95 ${ov.p95.toFixed(1)} ms, max ${ov.max.toFixed(1)} ms, ${ov.bytes} bytes  (goal < 300 ms: ${ov.p95 < 300 ? 'met' : 'MISSED'}, p95/goal ${(ov.p95 / 300).toFixed(3)})`,
);
console.log(
  `GET /api/history 30 days (hourly rollups): p50 ${hist.p50.toFixed(1)} ms, p95 ${hist.p95.toFixed(1)} ms, ${hist.bytes} bytes`,
);
console.log(
  `GET /api/history 3 hours (raw rounds): p50 ${hist3h.p50.toFixed(1)} ms, p95 ${hist3h.p95.toFixed(1)} ms, ${hist3h.bytes} bytes`,
);
await app.close();
await agent.stop();

// the same overview from PostgreSQL (a fleet's shared database), data generated server-side
if (process.env.BENCH_PG !== '0') {
  const { startPg } = await import('../test/store/pg-cluster.js');
  const { PgDriver } = await import('../src/store/index.js');
  const pg = await startPg();
  try {
    const pgStore = new SqlStore(new PgDriver(pg.url));
    await pgStore.migrate();
    const drv = pgStore.driver as InstanceType<typeof PgDriver>;
    t0 = performance.now();
    await drv.sql.unsafe(
      `INSERT INTO ping_5m (site, target, ts, rounds, sent, received, rtt_min, rtt_p10, rtt_p25, rtt_median, rtt_p75, rtt_p90, rtt_max)
      SELECT $1, 't' || t, ts, 15, 300, 300, m * 0.9, m * 0.95, m * 0.98, m, m * 1.02, m * 1.05, m * 1.3
      FROM generate_series(0, ${TARGETS - 1}) t, generate_series(0, ${DAYS * 288 - 1}) k,
      LATERAL (SELECT (${now - DAYS * 86400} + k * 300)::float8 AS ts) tt,
      LATERAL (SELECT (0.005 + t * 0.001) * (1 + 0.1 * sin(ts / 7200)) AS m) mm`,
      [SITE],
    );
    await drv.sql.unsafe('ANALYZE ping_5m');
    console.log(
      `PostgreSQL: generated ${(TARGETS * DAYS * 288).toLocaleString()} 5-minute rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const pgAgent = await Agent.create(cfg, { store: pgStore });
    const pgApp = await buildHttp(pgAgent, { host: '127.0.0.1', port: 0 });
    const pgBase = `http://127.0.0.1:${(pgApp.server.address() as { port: number }).port}`;
    await time(`${pgBase}/api/overview`, 2);
    const pov = await time(`${pgBase}/api/overview`, 20);
    console.log(
      `GET /api/overview on PostgreSQL: p50 ${pov.p50.toFixed(1)} ms, p95 ${pov.p95.toFixed(1)} ms (goal < 300 ms: ${pov.p95 < 300 ? 'met' : 'MISSED'})`,
    );
    await pgApp.close();
    await pgAgent.stop();
  } finally {
    pg.stop();
  }
}
if (process.env.KEEP) console.log(dir);
else rmSync(dir, { recursive: true, force: true });
verdict('bench: every timed request answered 200 (no reference to compare with)');
