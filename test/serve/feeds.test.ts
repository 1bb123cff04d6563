/**
 * `serve` per transit feed: a target with `feeds: [via-a, via-b]` is measured through each feed
 * (test/lib/netns.ts twoFeeds: feed A drops half the echo requests and has one transit hop, feed B
 * two). The store, the overview, /api/overview and /metrics each tell the two apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { Topology, twoFeeds } from '../lib/netns.js';
import { SqlStore, SqliteDriver } from '../../src/store/index.js';
import { buildOverview } from '../../src/serve/overview.js';
import { parseConfig } from '../../src/config/index.js';
import { binomTails, tempDir } from './helpers.js';
import { startAgentInNs } from './ns-agent.js';

/** GET a URL from inside a namespace (the agent listens on the namespace's loopback). */
function getIn(ns: string, url: string): string {
  const r = spawnSync(
    'ip',
    [
      'netns',
      'exec',
      ns,
      process.execPath,
      '-e',
      'fetch(process.argv[1]).then(async (r) => { process.stdout.write(await r.text()); process.exit(r.ok ? 0 : 1); })',
      url,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  assert.equal(r.status, 0, `GET ${url}: ${r.stderr}`);
  return r.stdout;
}

test('serve measures a target through each of its feeds and keeps them apart (store, overview, metrics)', async () => {
  const t = new Topology('sf');
  const d = tempDir('hostops-feeds-');
  try {
    const f = twoFeeds(t, 152);
    t.loss(f.ta, 50, `ip daddr ${f.target} icmp type echo-request`, 'forward');
    const agent = startAgentInNs(t, f.h, d.dir, [
      'ping: { interval: 4s, count: 20 }',
      'path: { interval: 1h, cycles: 20 }',
      `feeds: [{ name: via-a, source: ${f.srcA} }, { name: via-b, interface: ${f.ifB}, fwmark: ${f.markB} }]`,
      `targets: [{ name: far, host: ${f.target}, feeds: [via-a, via-b], sla: { loss: "< 1%" } }]`,
    ]);
    let metrics = '';
    let apiOverview = '';
    try {
      // two rounds through each feed and a path through each
      await agent.waitFor((n) => n.rounds >= 4 && n.paths >= 2, 90_000);
      const url = /dashboard on (http:\/\/\S+)/.exec(agent.stderr())?.[1];
      assert.ok(url, agent.stderr());
      assert.match(agent.stderr(), /probing far=198\.18\.153\.1 via via-a,via-b/);
      metrics = getIn(f.h, `${url}/metrics`);
      apiOverview = getIn(f.h, `${url}/api/overview`);
    } finally {
      await agent.stop();
    }
    // raw rows: the series is far@feed, the feed also in its own column; nothing measured without a feed
    const db = new Database(agent.db, { readonly: true });
    const kinds = db.prepare('SELECT DISTINCT target, feed FROM ping ORDER BY target').all();
    assert.deepEqual(kinds, [
      { target: 'far@via-a', feed: 'via-a' },
      { target: 'far@via-b', feed: 'via-b' },
    ]);
    const pathKinds = db.prepare('SELECT DISTINCT target, feed FROM path ORDER BY target').all();
    assert.deepEqual(pathKinds, [
      { target: 'far@via-a', feed: 'via-a' },
      { target: 'far@via-b', feed: 'via-b' },
    ]);
    db.close();

    const store = new SqlStore(new SqliteDriver(agent.db));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const a = await store.pingHistory('lab', 'far@via-a', 0, Date.now() / 1000 + 1, 'raw');
    const b = await store.pingHistory('lab', 'far@via-b', 0, Date.now() / 1000 + 1, 'raw');
    assert.ok(
      a.sent.length >= 2 && b.sent.length >= 2,
      `rounds: ${a.sent.length} / ${b.sent.length}`,
    );
    // feed A: lost ~ Binomial(sent, 0.5); feed B: nothing lost
    const tails = binomTails(sum(a.sent), 0.5, sum(a.sent) - sum(a.received));
    assert.ok(
      tails.le > 1e-4 && tails.ge > 1e-4,
      `feed A lost ${sum(a.sent) - sum(a.received)}/${sum(a.sent)} for 50% dropped`,
    );
    assert.equal(sum(b.received), sum(b.sent), 'feed B loses nothing');

    const paths = await store.latestPaths('lab');
    assert.deepEqual(
      paths.map((p) => [p.target, p.feed, p.hops.map((h) => h.hosts[0])]),
      [
        ['far@via-a', 'via-a', f.hopsA],
        ['far@via-b', 'via-b', f.hopsB],
      ],
    );

    // overview: one cell per target+feed, the target's SLA on each, broken on A only
    const cfg = parseConfig(
      [
        `feeds: [{ name: via-a, source: ${f.srcA} }, { name: via-b, fwmark: 20 }]`,
        `targets: [{ name: far, host: ${f.target}, feeds: [via-a, via-b], sla: { loss: "< 1%" } }]`,
      ].join('\n'),
    );
    await store.rollup('lab');
    const ov = await buildOverview(store, cfg.targets, Date.now() / 1000);
    assert.deepEqual(ov.targets, ['far@via-a', 'far@via-b']);
    assert.deepEqual(
      ov.cells.map((c) => [c.target, c.feed, c.ok, c.sla?.loss]),
      [
        ['far@via-a', 'via-a', false, '< 1%'],
        ['far@via-b', 'via-b', true, '< 1%'],
      ],
    );
    assert.ok(ov.cells[0].loss! > 0 && ov.cells[1].loss === 0);
    await store.close();
    const api = JSON.parse(apiOverview) as {
      targets: string[];
      cells: { target: string; feed?: string }[];
    };
    assert.deepEqual(api.targets, ['far@via-a', 'far@via-b']);
    assert.deepEqual(
      api.cells.map((c) => c.feed),
      ['via-a', 'via-b'],
    );

    // /metrics: the target's own name with a feed label
    const loss = (feed: string) =>
      Number(
        new RegExp(
          `^hostops_ping_loss_ratio\\{target="far",host="${f.target.replace(/\./g, '\\.')}",feed="${feed}",site="lab"\\} (\\S+)$`,
          'm',
        ).exec(metrics)?.[1],
      );
    assert.ok(
      loss('via-a') > 0,
      metrics
        .split('\n')
        .filter((l) => l.startsWith('hostops_ping_loss'))
        .join('\n'),
    );
    assert.equal(loss('via-b'), 0);
    assert.match(metrics, /^hostops_path_hops\{target="far",feed="via-a",site="lab"\} 2$/m);
    assert.match(metrics, /^hostops_path_hops\{target="far",feed="via-b",site="lab"\} 3$/m);
  } finally {
    t.destroy();
    d.cleanup();
  }
});

test('feeds in hostops.yaml: a target names feeds defined at the top; mistakes name the field', () => {
  const ok = parseConfig(
    'feeds: [{ name: nyc-transit, source: 198.18.1.2, interface: veth-a, fwmark: 10 }]\n' +
      'targets: [{ name: lon, host: 198.18.9.1, feeds: [nyc-transit] }, { name: plain, host: 198.18.9.2 }]\n',
  );
  assert.deepEqual(ok.feeds, [
    { name: 'nyc-transit', source: '198.18.1.2', interface: 'veth-a', fwmark: 10 },
  ]);
  assert.deepEqual(
    ok.targets.map((t) => t.feeds),
    [['nyc-transit'], undefined],
  );
  assert.deepEqual(parseConfig('targets: [{ name: a, host: 198.18.9.1 }]\n').feeds, []);
  assert.throws(
    () => parseConfig('targets: [{ name: lon, host: 198.18.9.1, feeds: [lon-transit] }]\n'),
    (e: Error) =>
      /targets\[0\]\.feeds\[0\]/.test(e.message) && /no feed named lon-transit/.test(e.message),
  );
  assert.throws(
    () => parseConfig('feeds: [{ name: x }]\n'),
    (e: Error) => /feed x needs at least one of source, interface, fwmark/.test(e.message),
  );
  assert.throws(
    () => parseConfig('feeds: [{ name: x, source: not-an-ip }]\n'),
    (e: Error) => /feeds\[0\]\.source/.test(e.message),
  );
  assert.throws(
    () => parseConfig('feeds: [{ name: x, fwmark: 1 }, { name: x, fwmark: 2 }]\n'),
    (e: Error) => /feed x is defined twice/.test(e.message),
  );
});

test("rows written without a feed (older agents, targets without feeds) read feed '' after the migration", async () => {
  const d = tempDir('hostops-feeds-mig-');
  try {
    const store = new SqlStore(new SqliteDriver(`${d.dir}/h.db`));
    await store.migrate();
    await store.writePings([
      { site: 's', target: 'plain', ts: 1, sent: 2, received: 2, rtts: [0.001, 0.002] },
    ]);
    await store.writePath({ site: 's', target: 'plain', ts: 1, hops: [] });
    await store.close();
    const db = new Database(`${d.dir}/h.db`);
    // a row as an agent before migration 6 wrote it (no feed column in its INSERT)
    db.prepare(
      "INSERT INTO ping (site, target, ts, sent, received, rtts) VALUES ('s', 'old', 2, 1, 1, '[0.001]')",
    ).run();
    assert.deepEqual(db.prepare('SELECT target, feed FROM ping ORDER BY ts').all(), [
      { target: 'plain', feed: '' },
      { target: 'old', feed: '' },
    ]);
    assert.deepEqual(db.prepare('SELECT target, feed FROM path').all(), [
      { target: 'plain', feed: '' },
    ]);
    db.close();
    const again = new SqlStore(new SqliteDriver(`${d.dir}/h.db`));
    const [p] = await again.latestPaths('s');
    assert.equal(p.feed, undefined, 'no feed field on a path without one');
    await again.close();
  } finally {
    d.cleanup();
  }
});

test("alerts: each feed of a target is judged on its own (its host in the words, the target's SLA) and survives a reload", async () => {
  const { Registry } = await import('prom-client');
  const { Alerting } = await import('../../src/serve/alerts/index.js');
  const { testConfig } = await import('./helpers.js');
  const input = {
    defaults: { self: false, gateway: false },
    feeds: [
      { name: 'via-a', source: '198.18.0.1' },
      { name: 'via-b', fwmark: 20 },
    ],
    targets: [
      { name: 'far', host: '198.18.0.2', feeds: ['via-a', 'via-b'], sla: { loss: '< 1%' } },
    ],
    alerts: {
      rules: { packetLoss: { for: '0s' }, sla: { enabled: false }, targetDown: { enabled: false } },
    },
  };
  const cfg = testConfig('/tmp', 0, input);
  const now = 1000;
  const a = new Alerting(cfg, {
    registry: new Registry(),
    log: () => {},
    now: () => now,
    baseURL: () => 'http://127.0.0.1:1',
  });
  a.rules.ping([
    {
      site: 'test',
      target: 'far@via-a',
      feed: 'via-a',
      ts: now,
      sent: 20,
      received: 10,
      rtts: Array(10).fill(0.01),
    },
    {
      site: 'test',
      target: 'far@via-b',
      feed: 'via-b',
      ts: now,
      sent: 20,
      received: 20,
      rtts: Array(20).fill(0.01),
    },
  ]);
  a.evaluate();
  a.engine.tick(now);
  const active = a.engine.active();
  assert.deepEqual(
    active.map((x) => [x.labels.alertname, x.labels.target]),
    [['HostopsPacketLoss', 'far@via-a']],
  );
  assert.match(active[0].annotations.summary, /^packet loss to far@via-a \(198\.18\.0\.2\) is 50/);
  a.configure(testConfig('/tmp', 0, input), ['ping']);
  assert.deepEqual(
    a.engine.active().map((x) => x.labels.target),
    ['far@via-a'],
    "a reload keeps the feed's alert",
  );
});
