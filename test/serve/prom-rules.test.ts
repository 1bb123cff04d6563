/**
 * hostops.rules.yml: promtool checks it and runs its unit tests, and a real Prometheus scraping a
 * real agent evaluates it and fires HostopsSLABreach for a pair whose RTT breaks its SLA. The
 * rules' "for" durations are shortened in the copy Prometheus loads (test time, not semantics).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { serve } from '../../src/serve/index.js';
import { freePort, tableProber, tempDir, testConfig } from './helpers.js';
import { until } from './alert-peers.js';

const PROMTOOL = '/usr/bin/promtool';
const PROM = '/usr/bin/prometheus';
const RULES = path.resolve('hostops.rules.yml');

test('promtool check rules and promtool test rules pass on hostops.rules.yml', () => {
  assert.ok(
    existsSync(PROMTOOL),
    `${PROMTOOL} is missing: run scripts/setup-test.sh (Debian package prometheus)`,
  );
  const check = spawnSync(PROMTOOL, ['check', 'rules', RULES], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /SUCCESS: 14 rules found/);
  const unit = spawnSync(
    PROMTOOL,
    ['test', 'rules', path.resolve('test/serve/testdata/hostops.rules.test.yml')],
    { encoding: 'utf8' },
  );
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
  assert.match(unit.stdout, /SUCCESS/);
});

test('the shipped rules cover every built-in alert name', () => {
  const text = readFileSync(RULES, 'utf8');
  const names = [...text.matchAll(/- alert: (\w+)/g)].map((m) => m[1]).sort();
  assert.deepEqual(names, [
    'HostopsAmplifierFound',
    'HostopsCapacityAtRisk',
    'HostopsCertExpiring',
    'HostopsJobFailing',
    'HostopsMailFrozen',
    'HostopsMailQueueGrowth',
    'HostopsNTPExposed',
    'HostopsPacketLoss',
    'HostopsPathChanged',
    'HostopsProbeSLABreach',
    'HostopsSLABreach',
    'HostopsSpamSource',
    'HostopsTargetDown',
    'HostopsThroughputLow',
  ]);
});

test('a real Prometheus scraping the agent fires HostopsSLABreach from the shipped rules', async () => {
  assert.ok(
    existsSync(PROM),
    `${PROM} is missing: run scripts/setup-test.sh (Debian package prometheus)`,
  );
  const t = tempDir('hostops-promrules-');
  const agentPort = await freePort();
  const promPort = await freePort();
  const cfg = testConfig(t.dir, agentPort, {
    defaults: { self: false, gateway: false },
    ping: { interval: '1s', count: 3 },
    targets: [
      { name: 'slow', host: '127.0.0.2', sla: { rtt: '< 70 ms' } },
      { name: 'quick', host: '127.0.0.3', sla: { rtt: '< 70 ms' } },
    ],
    alerts: { rules: { sla: { window: '10s' } } },
  });
  const running = await serve(cfg, {
    firstRunSpread: 0.1,
    log: () => {},
    probes: { latency: tableProber({ '127.0.0.2': [0.1], '127.0.0.3': [0.01] }) },
  });
  writeFileSync(
    path.join(t.dir, 'rules.yml'),
    readFileSync(RULES, 'utf8').replace(/^(\s+for: )\S+$/gm, '$12s'),
  );
  const cfgFile = path.join(t.dir, 'prometheus.yml');
  writeFileSync(
    cfgFile,
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [${path.join(t.dir, 'rules.yml')}]\nscrape_configs:\n  - job_name: hostops\n    static_configs:\n      - targets: ['127.0.0.1:${agentPort}']\n`,
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
    type Alert = {
      labels: Record<string, string>;
      annotations: Record<string, string>;
      state: string;
    };
    const alerts = async () =>
      (
        (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/alerts`)).json()) as {
          data: { alerts: Alert[] };
        }
      ).data.alerts;
    const a = await until(
      async () =>
        (await alerts()).find(
          (x) => x.labels.alertname === 'HostopsSLABreach' && x.state === 'firing',
        ),
      'HostopsSLABreach firing in Prometheus',
      60_000,
      () => promErr.slice(-2000),
    );
    assert.deepEqual(
      { ...a.labels },
      {
        alertname: 'HostopsSLABreach',
        severity: 'warning',
        instance: `127.0.0.1:${agentPort}`,
        job: 'hostops',
        site: 'test',
        target: 'slow',
      },
    );
    assert.equal(
      a.annotations.description,
      'the median RTT or the loss from test to slow over the SLA window breaks the SLA (hostops_sla_rtt_limit_seconds, hostops_sla_loss_limit_ratio); 0% of the rounds met it',
    );
    assert.ok(
      !(await alerts()).some((x) => x.labels.target === 'quick'),
      'the pair within its SLA does not alert',
    );
    // the agent's own rule agrees
    assert.deepEqual(
      running.agent.alerting.engine
        .active()
        .filter((x) => x.labels.alertname === 'HostopsSLABreach')
        .map((x) => x.labels.target),
      ['slow'],
    );
  } finally {
    prom.kill('SIGTERM');
    await new Promise((r) => (prom.exitCode !== null ? r(null) : prom.once('exit', r)));
    await running.stop();
    t.cleanup();
  }
});
