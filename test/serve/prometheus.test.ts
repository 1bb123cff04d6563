import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '../../src/serve/index.js';
import { freePort, tempDir, testConfig } from './helpers.js';

const PROM = '/usr/bin/prometheus';

test('a real Prometheus scrapes the agent and PromQL returns its series', async () => {
  assert.ok(
    existsSync(PROM),
    `${PROM} is missing: run scripts/setup-test.sh (Debian package prometheus)`,
  );
  const t = tempDir('hostops-prom-');
  const agentPort = await freePort();
  const promPort = await freePort();
  const cfg = testConfig(t.dir, agentPort, { ping: { interval: '2s', count: 4 } });
  const running = await serve(cfg, { firstRunSpread: 0.1 });
  const cfgFile = path.join(t.dir, 'prometheus.yml');
  writeFileSync(
    cfgFile,
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: hostops\n    static_configs:\n      - targets: ['127.0.0.1:${agentPort}']\n`,
  );
  const prom = spawn(
    PROM,
    [
      `--config.file=${cfgFile}`,
      `--storage.tsdb.path=${path.join(t.dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let promErr = '';
  prom.stderr.on('data', (d: Buffer) => {
    promErr += d.toString();
  });
  try {
    const q = async (expr: string) => {
      const r = await fetch(
        `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      return (await r.json()) as {
        status: string;
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
    };
    let loss: Awaited<ReturnType<typeof q>> | null = null;
    for (let i = 0; i < 60; i++) {
      await sleep(500);
      try {
        loss = await q('hostops_ping_loss_ratio{target="localhost"}');
      } catch {
        continue;
      }
      if (loss.data.result.length) break;
    }
    assert.ok(
      loss && loss.data.result.length,
      `no hostops series in Prometheus; its log:\n${promErr.slice(-2000)}`,
    );
    const s = loss!.data.result[0];
    assert.equal(s.metric.job, 'hostops');
    assert.equal(s.metric.site, 'test');
    assert.equal(s.metric.host, '127.0.0.1');
    assert.equal(Number(s.value[1]), 0);
    const rtt = await q('histogram_quantile(0.5, sum by (le) (hostops_ping_rtt_seconds_bucket))');
    const q50 = Number(rtt.data.result[0]?.value[1]);
    assert.ok(
      q50 > 0 && q50 < 0.01,
      `median loopback RTT under 10 ms: ${JSON.stringify(rtt.data)}`,
    );
    const up = await q('up{job="hostops"}');
    assert.equal(up.data.result[0].value[1], '1');
    let jobs = await q('hostops_job_runs_total{task="ping",result="success"}');
    for (let i = 0; i < 20 && !jobs.data.result.length; i++) {
      await sleep(500);
      jobs = await q('hostops_job_runs_total{task="ping",result="success"}');
    }
    assert.ok(Number(jobs.data.result[0]?.value[1]) >= 1, 'the ping job run counter is scraped');
  } finally {
    prom.kill('SIGTERM');
    await new Promise((r) => (prom.exitCode !== null ? r(null) : prom.once('exit', r)));
    await running.stop();
    t.cleanup();
  }
});
