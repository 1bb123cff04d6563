import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '../../src/serve/index.js';
import { freePort, tableProber, tempDir, testConfig } from '../serve/helpers.js';
import { PROM, query, startProm, type Prom } from './prometheus.js';

// 6 targets in 2 groups; eu answers in 1 ms, us in 3 ms; every 4th ping lost
const targets = Array.from({ length: 6 }, (_, i) => ({
  name: `t${i}`,
  host: `198.18.9.${i + 1}`,
  group: i % 2 ? 'us' : 'eu',
}));
const rtt = Object.fromEntries(targets.map((t, i) => [t.host, [i % 2 ? 0.003 : 0.001]]));

test('remote_write: an agent-mode Prometheus scrapes the agent and pushes only the group summaries into a receiving Prometheus', async () => {
  assert.ok(
    existsSync(PROM),
    `${PROM} is missing: run scripts/setup-test.sh (Debian package prometheus)`,
  );
  const t = tempDir('hostops-remote-write-');
  const agentPort = await freePort();
  const a = await serve(
    testConfig(t.dir, agentPort, {
      site: 'pop2',
      ping: { interval: '1s', count: 4, metricsTargets: 2 },
      defaults: { self: false, gateway: false },
      targets,
    }),
    { probes: { latency: tableProber(rtt, 4) }, firstRunSpread: 0.1, log: () => {} },
  );
  const proms: Prom[] = [];
  try {
    const [sender, receiver] = [await freePort(), await freePort()];
    // the receiver scrapes nothing: every series it has came by remote_write
    const rx = startProm(t.dir, 'receiver', receiver, 'scrape_configs: []\n', [
      '--web.enable-remote-write-receiver',
    ]);
    proms.push(rx);
    // the PoP side, as docs/fleet.md gives it (the push URL is the receiver's /api/v1/write)
    const tx = startProm(
      t.dir,
      'sender',
      sender,
      [
        'scrape_configs:',
        '  - job_name: hostops',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${agentPort}']`,
        'remote_write:',
        `  - url: http://127.0.0.1:${receiver}/api/v1/write`,
        '    queue_config: { batch_send_deadline: 1s }',
        '    write_relabel_configs:',
        '      - source_labels: [__name__]',
        "        regex: 'hostops_ping_group_.*|hostops_store_spool_.*|hostops_job_.*'",
        '        action: keep',
        '',
      ].join('\n'),
      ['--enable-feature=agent'],
    );
    proms.push(tx);
    const q = 'hostops_ping_group_rtt_median_seconds';
    let res: Awaited<ReturnType<typeof query>> = [];
    for (let i = 0; i < 120 && res.length < 2; i++) {
      await sleep(500);
      res = await query(receiver, q);
    }
    assert.equal(
      res.length,
      2,
      `the receiver has no pushed series; logs:\n${tx.err().slice(-1500)}\n${rx.err().slice(-1500)}`,
    );
    // the agent's own values for the same series
    const own = await (await fetch(`http://127.0.0.1:${agentPort}/metrics`)).text();
    const value = (g: string) =>
      Number(new RegExp(`^${q}\\{[^}]*group="${g}"[^}]*\\} (\\S+)$`, 'm').exec(own)?.[1]);
    assert.deepEqual(
      res
        .map((x) => [
          x.metric.site,
          x.metric.group,
          x.metric.job,
          x.metric.instance,
          Number(x.value[1]),
        ])
        .sort(),
      [
        ['pop2', 'eu', 'hostops', `127.0.0.1:${agentPort}`, value('eu')],
        ['pop2', 'us', 'hostops', `127.0.0.1:${agentPort}`, value('us')],
      ],
    );
    assert.deepEqual([value('eu'), value('us')], [0.001, 0.003]);
    const loss = await query(receiver, 'hostops_ping_group_loss_ratio');
    assert.deepEqual(
      loss.map((x) => Number(x.value[1])),
      [0.25, 0.25],
    );
    // the relabelling kept only what it names: no per-target series, no `up`, no scrape meta
    assert.deepEqual(await query(receiver, 'up'), []);
    assert.deepEqual(await query(receiver, '{__name__=~"hostops_ping_(loss|rtt|packets).*"}'), []);
    assert.deepEqual(await query(receiver, 'count({target!=""})'), []);
    const names = (await query(receiver, 'count by (__name__) ({__name__=~".+"})')).map(
      (x) => x.metric.__name__,
    );
    assert.ok(names.length >= 5, names.join(' '));
    for (const n of names) assert.match(n, /^hostops_(ping_group_|store_spool_|job_)/);
  } finally {
    for (const p of proms) await p.stop();
    await a.stop();
    t.cleanup();
  }
});
