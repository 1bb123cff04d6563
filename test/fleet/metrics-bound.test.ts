import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '../../src/serve/index.js';
import { freePort, tableProber, tempDir, testConfig } from '../serve/helpers.js';
import { PROM, startProm, type Prom } from './prometheus.js';

/** Whether the exposition has this series (labels in any order) with this value. */
const has = (text: string, name: string, labels: Record<string, string>, value: string) =>
  text.split('\n').some((l) => {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(l);
    if (!m || m[1] !== name || m[3] !== value) return false;
    const got = Object.fromEntries(
      m[2].split(',').map((kv) => {
        const i = kv.indexOf('=');
        return [kv.slice(0, i), kv.slice(i + 2, -1)];
      }),
    );
    return (
      Object.entries(labels).every(([k, v]) => got[k] === v) &&
      Object.keys(got).length === Object.keys(labels).length
    );
  });
const targets = Array.from({ length: 30 }, (_, i) => ({
  name: `t${i}`,
  host: `198.18.8.${i + 1}`,
  group: ['eu', 'us', 'asia'][i % 3],
}));
const rtt = Object.fromEntries(targets.map((t, i) => [t.host, [0.001 * (1 + (i % 3))]]));

test('/metrics stays bounded past ping.metricsTargets (groups only), and a global Prometheus federates the group series', async () => {
  assert.ok(
    existsSync(PROM),
    `${PROM} is missing: run scripts/setup-test.sh (Debian package prometheus)`,
  );
  const t = tempDir('hostops-metrics-bound-');
  const agentPort = await freePort();
  const cfg = testConfig(t.dir, agentPort, {
    site: 'pop1',
    ping: { interval: '1s', count: 4, metricsTargets: 10 },
    defaults: { self: false, gateway: false },
    targets,
  });
  const a = await serve(cfg, {
    probes: { latency: tableProber(rtt, 4) },
    firstRunSpread: 0.1,
    log: () => {},
  });
  const proms: Prom[] = [];
  try {
    let text = '';
    for (let i = 0; i < 60 && !/hostops_ping_group_targets\{[^}]*group="asia"/.test(text); i++) {
      await sleep(250);
      text = await (await fetch(`${a.url}/metrics`)).text();
    }
    const series = text.split('\n').filter((l) => l.startsWith('hostops_ping'));
    assert.equal(
      series.filter((l) => /target="/.test(l)).length,
      0,
      'no per-target series past the limit',
    );
    for (const g of ['eu', 'us', 'asia']) {
      assert.ok(has(text, 'hostops_ping_group_targets', { site: 'pop1', group: g }, '10'), g);
      assert.ok(has(text, 'hostops_ping_group_loss_ratio', { site: 'pop1', group: g }, '0.25'), g);
    }
    assert.ok(
      has(text, 'hostops_ping_group_rtt_median_seconds', { site: 'pop1', group: 'us' }, '0.002'),
    );
    assert.equal(series.length, 15, series.join('\n')); // 5 group metrics x 3 groups, whatever the target count

    // a site Prometheus scrapes the agent; a global one federates the group summaries from it
    const [p1, p2] = [await freePort(), await freePort()];
    const site = startProm(
      t.dir,
      'site',
      p1,
      `scrape_configs:\n  - job_name: hostops\n    static_configs:\n      - targets: ['127.0.0.1:${agentPort}']\n`,
    );
    const global = startProm(
      t.dir,
      'global',
      p2,
      `scrape_configs:\n  - job_name: federate\n    honor_labels: true\n    metrics_path: /federate\n    params:\n      'match[]': ['{__name__=~"hostops_ping_group_.*"}']\n    static_configs:\n      - targets: ['127.0.0.1:${p1}']\n`,
    );
    proms.push(site, global);
    let res: { metric: Record<string, string>; value: [number, string] }[] = [];
    for (let i = 0; i < 120 && res.length < 3; i++) {
      await sleep(500);
      try {
        const r = await fetch(
          `http://127.0.0.1:${p2}/api/v1/query?query=${encodeURIComponent('hostops_ping_group_loss_ratio')}`,
        );
        res = ((await r.json()) as any).data.result;
      } catch {
        /* not up yet */
      }
    }
    assert.equal(
      res.length,
      3,
      `global Prometheus has no federated series; logs:\n${site.err().slice(-1500)}\n${global.err().slice(-1500)}`,
    );
    assert.deepEqual(
      res.map((x) => [x.metric.site, x.metric.group, x.metric.job, Number(x.value[1])]).sort(),
      [
        ['pop1', 'asia', 'hostops', 0.25],
        ['pop1', 'eu', 'hostops', 0.25],
        ['pop1', 'us', 'hostops', 0.25],
      ],
    );
  } finally {
    for (const p of proms) await p.stop();
    await a.stop();
    t.cleanup();
  }
});

test('within ping.metricsTargets the per-target series stay as they were', async () => {
  const t = tempDir('hostops-metrics-bound-');
  const cfg = testConfig(t.dir, await freePort(), {
    site: 'pop1',
    ping: { interval: '1s', count: 4 },
    defaults: { self: false, gateway: false },
    targets: targets.slice(0, 3),
  });
  const a = await serve(cfg, {
    probes: { latency: tableProber(rtt) },
    firstRunSpread: 0.1,
    log: () => {},
  });
  try {
    let text = '';
    for (let i = 0; i < 60 && !/hostops_ping_loss_ratio\{[^}]*target="t2"/.test(text); i++) {
      await sleep(250);
      text = await (await fetch(`${a.url}/metrics`)).text();
    }
    assert.ok(
      has(text, 'hostops_ping_loss_ratio', { site: 'pop1', target: 't0', host: '198.18.8.1' }, '0'),
    );
    assert.ok(has(text, 'hostops_ping_group_loss_ratio', { site: 'pop1', group: 'eu' }, '0'));
  } finally {
    await a.stop();
    t.cleanup();
  }
});
