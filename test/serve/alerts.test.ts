/**
 * The built-in rules and the alert state machine on a fake clock: "for", hysteresis (a value
 * between the clear and raise thresholds changes nothing), the words of the annotations, and the
 * reload that resolves what is gone. Real peers are in alerts-netns.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { AlertEngine } from '../../src/serve/alerts/engine.js';
import { Alerting } from '../../src/serve/alerts/index.js';
import { testConfig } from './helpers.js';
import type { ConfigInput } from '../../src/config/index.js';

function rig(extra: Partial<ConfigInput> = {}) {
  let now = 1000;
  const cfg = testConfig('/tmp', 0, {
    defaults: { self: false, gateway: false },
    targets: [{ name: 'far', host: '198.18.0.2', sla: { rtt: '< 70 ms', loss: '< 1%' } }],
    ...extra,
  });
  const registry = new Registry();
  const logs: string[] = [];
  const a = new Alerting(cfg, {
    registry,
    log: (m) => logs.push(m),
    now: () => now,
    baseURL: () => 'http://127.0.0.1:1',
  });
  const names = () =>
    a.engine
      .active()
      .map((x) => `${x.labels.alertname}:${x.state}`)
      .sort();
  const round = (received: number, rtt = 0.01, sent = 10) => {
    a.rules.ping([
      { site: 'test', target: 'far', ts: now, sent, received, rtts: Array(received).fill(rtt) },
    ]);
    a.evaluate();
  };
  return {
    a,
    cfg,
    registry,
    logs,
    names,
    round,
    at: (t: number) => {
      now = t;
      a.engine.tick(now);
      a.evaluate();
    },
    get now() {
      return now;
    },
    set now(t) {
      now = t;
    },
  };
}

test('HostopsTargetDown: pending until its "for" has passed, firing, and held until loss drops below 50%', () => {
  const r = rig({
    alerts: {
      rules: {
        targetDown: { for: '30s' },
        sla: { enabled: false },
        packetLoss: { enabled: false },
      },
    },
  });
  r.round(0);
  assert.deepEqual(r.names(), ['HostopsTargetDown:pending']);
  r.at(1029);
  assert.deepEqual(r.names(), ['HostopsTargetDown:pending']);
  r.at(1030);
  assert.deepEqual(r.names(), ['HostopsTargetDown:firing']);
  const [fired] = r.a.engine.firing();
  assert.deepEqual(fired.labels, {
    alertname: 'HostopsTargetDown',
    site: 'test',
    severity: 'critical',
    target: 'far',
  });
  assert.equal(
    fired.annotations.description,
    'all 10 pings to far (198.18.0.2) were lost (100% loss; the rule fires after 30s of it)',
  );
  assert.equal(fired.activeAt, 1000);
  r.now = 1040;
  r.round(3); // 70% loss: between the thresholds, stays firing
  assert.deepEqual(r.names(), ['HostopsTargetDown:firing']);
  r.now = 1060;
  r.round(6); // 40% loss: clears
  assert.deepEqual(r.names(), []);
  const [resolved] = r.a.engine.history;
  assert.equal(resolved.resolvedAt, 1060);
  assert.equal(
    resolved.annotations.description,
    'far (198.18.0.2) answers again: 6 of 10 pings (40% loss; clears below 50%)',
  );
  assert.deepEqual(
    r.logs.map((l) => l.split(':')[0]),
    ['alert firing', 'alert resolved'],
  );
});

test('a pending alert whose condition goes away never fires', () => {
  const r = rig({ alerts: { rules: { targetDown: { for: '30s' }, sla: { enabled: false } } } });
  r.round(0);
  r.now = 1020;
  r.round(10);
  r.at(1100);
  assert.deepEqual(r.names(), []);
  assert.equal(r.a.engine.history.length, 0);
});

test('HostopsPacketLoss fires above its threshold, holds between clear and above, clears below', () => {
  const r = rig({
    alerts: {
      rules: { packetLoss: { for: '0s', above: '20%', clear: '5%' }, sla: { enabled: false } },
    },
  });
  r.round(9); // 10%: below above
  assert.deepEqual(r.names(), []);
  r.round(7); // 30%
  assert.deepEqual(r.names(), ['HostopsPacketLoss:firing']);
  assert.equal(
    r.a.engine.firing()[0].annotations.description,
    '3 of 10 pings to far lost (30%) against the limit of 20% (clears below 5%)',
  );
  r.round(9); // 10%: hold
  assert.deepEqual(r.names(), ['HostopsPacketLoss:firing']);
  r.round(10); // 0%
  assert.deepEqual(r.names(), []);
});

test('HostopsSLABreach judges the window against the pair SLA and sets the hostops_sla_* series', async () => {
  const r = rig({
    alerts: { rules: { sla: { for: '0s', window: '60s' }, packetLoss: { enabled: false } } },
  });
  const metric = async (name: string) =>
    (await r.registry.getSingleMetric(name)!.get()).values.map((v) => v.value);
  assert.deepEqual(
    await metric('hostops_sla_rtt_limit_seconds'),
    [0.07],
    'the limit is there before any round',
  );
  assert.deepEqual(await metric('hostops_sla_loss_limit_ratio'), [0.01]);
  r.round(10, 0.05);
  assert.deepEqual(r.names(), []);
  assert.deepEqual(await metric('hostops_sla_ok'), [1]);
  for (let i = 1; i <= 3; i++) {
    r.now = 1000 + i * 10;
    r.round(10, 0.09);
  }
  assert.deepEqual(r.names(), ['HostopsSLABreach:firing']);
  const a = r.a.engine.firing()[0];
  assert.equal(
    a.annotations.description,
    'over the last 1m (4 rounds): median RTT 90 ms against < 70 ms, loss 0% against < 1%; 1 of 4 rounds met the SLA (25%)',
  );
  assert.deepEqual(await metric('hostops_sla_ok'), [0]);
  assert.deepEqual(await metric('hostops_sla_compliance_ratio'), [0.25]);
  // rounds at 66 ms: within the SLA but not 10% inside it, so the breach holds ...
  for (let i = 4; i <= 12; i++) {
    r.now = 1000 + i * 10;
    r.round(10, 0.066);
  }
  assert.deepEqual(r.names(), ['HostopsSLABreach:firing']);
  assert.deepEqual(await metric('hostops_sla_ok'), [1]);
  // ... and 50 ms clears it
  for (let i = 13; i <= 20; i++) {
    r.now = 1000 + i * 10;
    r.round(10, 0.05);
  }
  assert.deepEqual(r.names(), []);
});

test('mail queue, frozen, spam source, amplification, capacity, throughput and job rules say what against what', () => {
  const r = rig({
    capacity: { links: { lon: 1e9 } },
    alerts: {
      rules: {
        mailQueue: { for: '0s', above: 100, growth: 10, over: '10m' },
        mailFrozen: { for: '0s', above: 5 },
        spamSource: { above: 100 },
        jobFailing: { failures: 2 },
      },
    },
  });
  const d = (name: string) =>
    r.a.engine.active().find((a) => a.labels.alertname === name)?.annotations;
  r.a.rules.mailqSample({
    site: 'test',
    ts: 1000,
    messages: 10,
    frozen: 6,
    bytes: 0,
    oldestAge: null,
    summary: null,
  });
  assert.equal(
    d('HostopsMailFrozen')?.description,
    '6 frozen messages against the limit of 5 (clears at 4); list them with hostops mailq list --frozen',
  );
  assert.equal(d('HostopsMailQueueGrowth'), undefined, 'one sample: no rate yet');
  r.a.rules.mailqSample({
    site: 'test',
    ts: 1300,
    messages: 90,
    frozen: 5,
    bytes: 0,
    oldestAge: null,
    summary: null,
  });
  assert.equal(
    d('HostopsMailQueueGrowth')?.description,
    '90 messages queued against the limit of 100; growing 16.0/min over the last 5m against 10/min',
  );
  assert.ok(d('HostopsMailFrozen'), '5 frozen is between clear (4) and raise: still firing');
  r.a.rules.check({
    site: 'test',
    ts: 1300,
    kind: 'mailq-sources',
    target: 'mainlog',
    ok: true,
    value: 300,
    data: {
      messages: 320,
      top: [
        {
          source: '/home/shop/public_html/wp-content/x.php',
          kind: 'script',
          messages: 300,
          queued: 0,
        },
        {
          source: 'alice@example.net',
          kind: 'auth user',
          messages: 250,
          queued: 12,
          select: "hostops mailq rm --auth '^alice@example\\.net$'",
        },
        { source: 'bob', kind: 'local user', messages: 20, queued: 0 },
      ],
    },
  });
  const spam = r.a.engine
    .active()
    .filter((a) => a.labels.alertname === 'HostopsSpamSource')
    .map((a) => [a.labels.source, a.annotations.select]);
  assert.deepEqual(spam, [
    ['/home/shop/public_html/wp-content/x.php', "hostops mailq rm --local-user 'shop'"],
    ['alice@example.net', "hostops mailq rm --auth '^alice@example\\.net$'"],
  ]);
  assert.equal(
    r.a.engine.active().find((a) => a.labels.source === 'alice@example.net')!.annotations
      .description,
    'auth user alice@example.net submitted 250 messages in the last 1h (250/hour) against the limit of 100/hour; 12 still queued',
  );
  // the next report no longer names the script: its alert resolves
  r.a.rules.check({
    site: 'test',
    ts: 1900,
    kind: 'mailq-sources',
    target: 'mainlog',
    ok: true,
    value: 250,
    data: {
      messages: 250,
      top: [{ source: 'alice@example.net', kind: 'auth user', messages: 250, queued: 12 }],
    },
  });
  assert.deepEqual(
    r.a.engine
      .active()
      .filter((a) => a.labels.alertname === 'HostopsSpamSource')
      .map((a) => a.labels.source),
    ['alice@example.net'],
  );
  r.a.rules.check({
    site: 'test',
    ts: 1900,
    kind: 'amp',
    target: '127.0.0.1',
    ok: false,
    value: 42.5,
    data: { verdict: 'exposed', factor: 42.5, modes: [{ mode: 'monlist', factor: 42.5 }] },
  });
  assert.equal(
    d('HostopsNTPExposed')?.description,
    'NTP mode 6/7 queries to 127.0.0.1 return more bytes than sent (monlist ×42.5); the limit is no amplifying answer',
  );
  assert.equal(
    d('HostopsAmplifierFound')?.description,
    '127.0.0.1 returns 42.5 bytes per byte sent against the limit of 10 (clears below 8.0)',
  );
  r.a.rules.check({
    site: 'test',
    ts: 1900,
    kind: 'capacity',
    target: 'lon',
    ok: false,
    value: 0.3,
    data: {},
  });
  assert.equal(
    d('HostopsCapacityAtRisk')?.description,
    'achievable throughput to lon (p10 of 30 days of tests) is 30% of the link against the floor of 50%',
  );
  r.a.rules.throughput([
    {
      site: 'test',
      peer: 'lon',
      ts: 1900,
      protocol: 'tcp',
      direction: 'send',
      bitsPerSecond: 2e8,
      bytes: 1,
    },
  ]);
  assert.equal(
    d('HostopsThroughputLow')?.description,
    'iperf3 to lon measured 200.0 Mbit/s against the limit of 500.0 Mbit/s (50% of the 1.00 Gbit/s link; clears at 110% of it)',
  );
  r.a.rules.job({ job: 'ntp', ok: false, failures: 1, error: 'timeout', start: 1900 });
  assert.equal(d('HostopsJobFailing'), undefined);
  r.a.rules.job({ job: 'ntp', ok: false, failures: 2, error: 'timeout', start: 1900 });
  assert.equal(
    d('HostopsJobFailing')?.description,
    'job ntp failed 2 times in a row against the limit of 2: timeout',
  );
  assert.deepEqual(
    r.a.engine.active().find((a) => a.labels.alertname === 'HostopsJobFailing')!.labels,
    { alertname: 'HostopsJobFailing', site: 'test', severity: 'warning', job: 'ntp' },
  );
  r.a.rules.job({ job: 'ntp', ok: true, failures: 0, start: 1910 });
  assert.equal(d('HostopsJobFailing'), undefined);
});

test('HostopsPathChanged compares with the previous path, ignores silent hops, and resolves after its hold', () => {
  const r = rig({ alerts: { rules: { pathChanged: { hold: '10m' } } } });
  const hop = (ttl: number, h: string | null) => ({
    ttl,
    hosts: h ? [h] : [],
    loss: 0,
    sent: 1,
    avg: 0.001,
    best: 0.001,
    worst: 0.001,
  });
  r.a.rules.seedPath({
    site: 'test',
    target: 'far',
    ts: 900,
    hops: [hop(1, '198.18.0.1'), hop(2, '198.18.1.1'), hop(3, '198.18.0.2')],
  });
  r.a.rules.path({
    site: 'test',
    target: 'far',
    ts: 1000,
    hops: [hop(1, '198.18.0.1'), hop(2, null), hop(3, '198.18.1.1'), hop(4, '198.18.0.2')],
  });
  assert.deepEqual(r.names(), [], 'a hop that did not answer is no change');
  r.a.rules.path({
    site: 'test',
    target: 'far',
    ts: 1000,
    hops: [hop(1, '198.18.0.1'), hop(2, '198.18.2.1'), hop(3, '198.18.0.2')],
  });
  assert.deepEqual(r.names(), ['HostopsPathChanged:firing']);
  assert.equal(
    r.a.engine.firing()[0].annotations.description,
    'was 198.18.0.1 → ??? → 198.18.1.1 → 198.18.0.2 (4 hops), now 198.18.0.1 → 198.18.2.1 → 198.18.0.2 (3 hops); the alert resolves after 10m unless it changes again',
  );
  r.at(1599);
  assert.deepEqual(r.names(), ['HostopsPathChanged:firing']);
  r.at(1600);
  assert.deepEqual(r.names(), []);
});

test('a reload resolves alerts of removed targets and disabled rules, and keeps the rest', () => {
  const r = rig({
    targets: [
      { name: 'far', host: '198.18.0.2' },
      { name: 'near', host: '198.18.0.3' },
    ],
    alerts: { rules: { targetDown: { for: '0s' } } },
  });
  r.a.rules.ping([
    { site: 'test', target: 'far', ts: 1000, sent: 5, received: 0, rtts: [] },
    { site: 'test', target: 'near', ts: 1000, sent: 5, received: 0, rtts: [] },
  ]);
  r.a.rules.job({ job: 'ntp', ok: false, failures: 5, error: 'x', start: 1000 });
  assert.deepEqual(
    r.a.engine
      .firing()
      .map((a) => a.labels.target ?? a.labels.job)
      .sort(),
    ['far', 'near', 'ntp'],
  );
  const next = testConfig('/tmp', 0, {
    defaults: { self: false, gateway: false },
    targets: [{ name: 'far', host: '198.18.0.2' }],
    alerts: { rules: { jobFailing: { enabled: false } } },
  });
  r.a.configure(next, ['ping', 'ntp']);
  assert.deepEqual(
    r.a.engine.firing().map((a) => a.labels.target),
    ['far'],
  );
  assert.deepEqual(r.a.engine.history.map((a) => a.labels.target ?? a.labels.job).sort(), [
    'near',
    'ntp',
  ]);
  assert.match(
    r.a.engine.history[0].annotations.description,
    /\(resolved: no longer configured\)$/,
  );
});

test('the engine fingerprints label sets independently of their order', () => {
  const e = new AlertEngine('s', () => 0);
  e.set(
    {
      alertname: 'X',
      severity: 'info',
      for: 0,
      labels: { b: '1', a: '2' },
      annotations: { summary: '', description: '' },
    },
    'raise',
  );
  e.set(
    {
      alertname: 'X',
      severity: 'info',
      for: 0,
      labels: { a: '2', b: '1' },
      annotations: { summary: '', description: '' },
    },
    'raise',
  );
  assert.equal(e.active().length, 1);
  assert.equal(e.drain().fired.length, 1, 'fired once');
});

test('alerts: config errors name the file, line and field', async () => {
  const { parseConfig } = await import('../../src/config/index.js');
  const err = (text: string) => {
    try {
      parseConfig(text, 'h.yaml');
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  assert.equal(
    err('alerts:\n  rules:\n    packetLoss: { above: 12 }\n'),
    'h.yaml:3: alerts.rules.packetLoss.above: expected a share such as "5%" or 0.05, got 12',
  );
  assert.equal(
    err('alerts:\n  rules:\n    packetLoss: { above: 5%, clear: 10% }\n'),
    'h.yaml:3: alerts.rules.packetLoss.clear: must not be above `above` (5%): the alert would never clear',
  );
  assert.equal(
    err('alerts:\n  rules:\n    targetDwn: {}\n'),
    'h.yaml:3: alerts.rules.targetDwn: unknown field (see docs/serve.md for the fields)',
  );
  assert.equal(
    err('alerts:\n  alertmanager: [127.0.0.1:9093]\n'),
    'h.yaml:2: alerts.alertmanager[0]: expected an http:// or https:// URL',
  );
  assert.equal(
    err('alerts:\n  email: { to: [noc], via: smtp }\n'),
    'h.yaml:2: alerts.email.to[0]: expected an address such as ops@example.net\nh.yaml:2: alerts.email.via: expected sendmail or smtp://host:port',
  );
  assert.equal(
    err('alerts:\n  rules:\n    targetDown: { for: soon }\n'),
    'h.yaml:3: alerts.rules.targetDown.for: expected a duration such as "30s", "5m" or a number of seconds, got "soon"',
  );
});

test('a reload keeps the hostops_sla_ok and compliance series of pairs that keep an SLA, and drops the others', async () => {
  const r = rig({ alerts: { rules: { sla: { window: '60s' } } } });
  const series = async (name: string) =>
    (await r.registry.getSingleMetric(name)!.get()).values.map(
      (v) => `${v.labels.target}=${v.value}`,
    );
  r.round(10, 0.05);
  assert.deepEqual(await series('hostops_sla_ok'), ['far=1']);
  const withNear = testConfig('/tmp', 0, {
    defaults: { self: false, gateway: false },
    targets: [
      { name: 'far', host: '198.18.0.2', sla: { rtt: '< 70 ms', loss: '< 1%' } },
      { name: 'near', host: '198.18.0.3', sla: { rtt: '< 5 ms' } },
    ],
    alerts: { rules: { sla: { window: '60s' } } },
  });
  r.a.configure(withNear, ['ping']);
  assert.deepEqual(
    await series('hostops_sla_ok'),
    ['far=1'],
    'still there right after the reload (a Prometheus "for" on it keeps counting)',
  );
  assert.deepEqual(await series('hostops_sla_compliance_ratio'), ['far=1']);
  assert.deepEqual(await series('hostops_sla_rtt_limit_seconds'), ['far=0.07', 'near=0.005']);
  r.a.configure(
    testConfig('/tmp', 0, {
      defaults: { self: false, gateway: false },
      targets: [{ name: 'far', host: '198.18.0.2' }],
    }),
    ['ping'],
  );
  assert.deepEqual(await series('hostops_sla_ok'), [], 'no SLA any more: no series');
  assert.deepEqual(await series('hostops_sla_rtt_limit_seconds'), []);
});
