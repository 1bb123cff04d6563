/**
 * Expensive API queries must not stall the agent (issue 11 item 5). Window and range parameters
 * are bounded with a 400 naming the parameter and its limit; the heaviest allowed overview, six at
 * a time, runs off the event loop: /-/healthy keeps answering while they run and ping rounds go on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { serve } from '../../src/serve/index.js';
import { SqlStore, SqliteDriver } from '../../src/store/index.js';
import { freePort, tableProber, tempDir, testConfig } from './helpers.js';

const TARGETS = 30;

/** GET on a fresh connection each time (as a load balancer's health check does): status and body. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}
const DAYS = 35;

/** 35 days of 5-minute rows for 30 targets (302,400 rows), written straight into the database. */
async function seed(file: string, now: number): Promise<void> {
  const s = new SqlStore(new SqliteDriver(file));
  await s.migrate();
  const d = s.driver as SqliteDriver;
  const ins = d.db.prepare(
    'INSERT INTO ping_5m (site, target, ts, rounds, sent, received, rtt_min, rtt_p10, rtt_p25, rtt_median, rtt_p75, rtt_p90, rtt_max) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
  );
  const start = Math.floor(now / 300) * 300 - DAYS * 86400;
  d.db.transaction(() => {
    for (let t = 0; t < TARGETS; t++) {
      for (let b = 0; b < DAYS * 288; b++) {
        const m = 0.01 + ((t * 7 + b) % 13) / 1000;
        ins.run(
          'old',
          `t${t}`,
          start + b * 300,
          15,
          300,
          b % 17 ? 300 : 290,
          m / 2,
          m,
          m,
          m,
          m,
          m,
          m * 2,
        );
      }
    }
  })();
  await s.close();
}

test('window and range parameters are bounded: 400 naming the parameter and its limit', async () => {
  const t = tempDir();
  const port = await freePort();
  const cfg = testConfig(t.dir, port);
  const running = await serve(cfg, {
    probes: { latency: tableProber({}) },
    firstRunSpread: 0.1,
    log: () => {},
  });
  try {
    const get = async (p: string) => {
      const r = await fetch(`${running.url}${p}`);
      return { status: r.status, body: (await r.json()) as { error?: string } };
    };
    const cases: [string, RegExp][] = [
      [
        '/api/overview?window=1e12',
        /^window must be between 300 and 86400 seconds \(1 day\), got 1e12$/,
      ],
      [
        '/api/overview?slaWindow=1e12',
        /^slaWindow must be between 300 and 3024000 seconds \(35 days\)/,
      ],
      ['/api/overview?window=abc', /^window must be a number of seconds/],
      ['/api/overview?window=-5', /^window must be between/],
      [
        '/api/history?target=x&from=0&to=1e12',
        /^to must be a Unix time in seconds, not in the future/,
      ],
      [
        '/api/history?target=x&resolution=raw&from=1000&to=1000000',
        /^to - from must be at most 172800 seconds \(2 days\)/,
      ],
      [
        '/api/history?target=x&resolution=5m&from=1000&to=10000000',
        /^to - from must be at most 3024000 seconds \(35 days\)/,
      ],
      ['/api/history?target=x&resolution=week', /^resolution must be raw, 5m or 1h$/],
      ['/api/throughput?from=-1', /^from must be a Unix time/],
      ['/api/throughput?from=0', /^to - from must be at most 34560000 seconds \(400 days\)/],
      ['/api/mailq?from=0', /^to - from must be at most 3024000 seconds \(35 days\)/],
      ['/api/mailq?from=NaN', /^from must be a Unix time/],
    ];
    for (const [p, re] of cases) {
      const r = await get(p);
      assert.equal(r.status, 400, `${p}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error ?? '', re, p);
    }
    for (const p of [
      '/api/overview?window=86400&slaWindow=3024000',
      '/api/history?target=x&resolution=1h&from=1000&to=30000000',
      '/api/mailq',
      '/api/throughput',
    ]) {
      assert.equal((await get(p)).status, 200, p);
    }
  } finally {
    await running.stop();
    t.cleanup();
  }
});

test('six parallel heaviest overviews: /-/healthy answers while they run and ping rounds go on', async () => {
  const t = tempDir();
  const port = await freePort();
  const now = Date.now() / 1000;
  const file = path.join(t.dir, 'h.db');
  await seed(file, now);
  const targets = Array.from({ length: TARGETS }, (_, i) => ({
    name: `t${i}`,
    host: '127.0.0.1',
    sla: { rtt: '< 20 ms', loss: '< 1%' },
  }));
  const cfg = testConfig(t.dir, port, {
    ping: { interval: 1, count: 3 },
    targets,
    defaults: { self: false, gateway: false },
  });
  const running = await serve(cfg, {
    probes: { latency: tableProber({ '127.0.0.1': [0.001] }) },
    firstRunSpread: 0.1,
    log: () => {},
  });
  const rounds = async () => (await running.agent.store.pingCount('test')) / TARGETS;
  let done = false;
  try {
    while ((await rounds()) < 1) await new Promise((r) => setTimeout(r, 100));
    const roundsBefore = await rounds();
    // each wave its own SLA window (5 minutes shorter each time): the overview cache keys on the
    // windows, so no wave is answered from the previous wave's matrix without the heavy work
    const heavy = (wave: number) =>
      `${running.url}/api/overview?window=86400&slaWindow=${DAYS * 86400 - wave * 300}`;
    const log: string[] = [];
    // a health checker polling one request at a time, as a load balancer would
    let pollError: unknown = null;
    const poller = (async () => {
      let n = 0;
      while (!done && n++ < 100_000) {
        const r = await get(`${running.url}/-/healthy`);
        assert.equal(r.status, 200);
        assert.equal(r.body, 'ok\n');
        log.push('healthy');
      }
    })().catch((e) => {
      pollError = e;
    });
    // at least 3 waves, and on until two ping rounds happened while they ran (bounded): how many
    // rounds fit in 3 waves depends on the machine's speed, not on the behaviour under test
    let waves = 0;
    for (let wave = 0; wave < 3 || ((await rounds()) - roundsBefore < 2 && wave < 40); wave++) {
      waves++;
      log.push(`wave ${wave}`);
      const answers = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const r = await get(heavy(wave));
          log.push('heavy');
          return { status: r.status, body: JSON.parse(r.body) as { cells: unknown[] } };
        }),
      );
      for (const a of answers) {
        assert.equal(a.status, 200);
        assert.equal(
          a.body.cells.length,
          2 * TARGETS,
          'the seeded site and this one, for every target',
        );
      }
    }
    done = true;
    await poller;
    assert.equal(pollError, null);
    const roundsAfter = await rounds();
    // in every wave, the health checker got answers before the first heavy query finished: the
    // queries did not hold the event loop
    for (let wave = 0; wave < waves; wave++) {
      const from = log.indexOf(`wave ${wave}`);
      const firstHeavy = log.indexOf('heavy', from);
      const healthy = log.slice(from, firstHeavy).filter((x) => x === 'healthy').length;
      assert.ok(
        healthy >= 3,
        `wave ${wave}: only ${healthy} health answers before the first heavy answer: ${log.slice(from, firstHeavy + 3).join(', ')}`,
      );
    }
    assert.ok(
      roundsAfter - roundsBefore >= 2,
      `ping rounds during the heavy queries: ${roundsAfter - roundsBefore}`,
    );
  } finally {
    done = true;
    await running.stop();
    t.cleanup();
  }
});
