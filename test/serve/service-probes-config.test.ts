/**
 * The probes: section: config errors name the field, and a reload adds, changes and removes
 * probe jobs, their /metrics series and their alerts. Every probe goes to loopback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../src/config/index.js';
import { isHostopsError } from '../../src/lib/errors.js';
import { serve } from '../../src/serve/index.js';
import { freePort, tempDir, testConfig } from './helpers.js';
import { until } from './alert-peers.js';

const CASES: [string, string][] = [
  [
    'probes:\n  - name: a\n    prober: ftp\n    target: 127.0.0.1:21\n',
    "hostops.yaml:3: probes[0].prober: Invalid discriminator value. Expected 'tcp' | 'http' | 'dns' | 'smtp'",
  ],
  [
    'probes:\n  - name: a\n    prober: tcp\n    target: 127.0.0.1\n',
    'hostops.yaml:4: probes[0].target: expected host:port or [v6]:port',
  ],
  [
    'probes:\n  - name: a\n    prober: dns\n    target: ns.example.net\n    dns: { name: x.test }\n',
    'hostops.yaml:4: probes[0].target: expected the server as an IP address, address:port or [v6]:port',
  ],
  [
    'probes:\n  - name: a\n    prober: http\n    target: https://127.0.0.1/\n    sla: { phases: { banner: "< 1 s" } }\n',
    'hostops.yaml:5: probes[0].sla.phases.banner: a http probe has the phases resolve, connect, tls, processing, transfer',
  ],
  [
    'probes:\n  - name: a\n    prober: http\n    target: http://127.0.0.1/\n    sla: { certDays: 14 }\n',
    'hostops.yaml:5: probes[0].sla.certDays: only an https:// or smtp probe sees a certificate',
  ],
  [
    'probes:\n  - name: a\n    prober: http\n    target: http://127.0.0.1/\n    http: { bodyRegex: "(" }\n',
    'hostops.yaml:5: probes[0].http.bodyRegex: not a valid regular expression',
  ],
  [
    'probes:\n  - name: a\n    prober: tcp\n    target: 127.0.0.1:1\n    sla: { success: "lots" }\n',
    'hostops.yaml:5: probes[0].sla.success: expected a share such as "99%" or 0.99, got "lots"',
  ],
  [
    'probes:\n  - { name: a, prober: tcp, target: "127.0.0.1:1" }\n  - { name: a, prober: tcp, target: "127.0.0.1:2" }\n',
    'hostops.yaml:3: probes[1].name: two probes named a',
  ],
];

for (const [text, want] of CASES) {
  test(`probes config error: ${want.replace(/^hostops\.yaml:\d+: /, '')}`, () => {
    assert.throws(
      () => parseConfig(text),
      (e: unknown) => {
        assert.ok(isHostopsError(e));
        assert.equal(e.exitCode, 2);
        assert.equal(e.message, want);
        return true;
      },
    );
  });
}

test('a reload adds, changes and removes probe jobs, their series and their alerts', async () => {
  const d = tempDir('hostops-probereload-');
  const web = http.createServer((_req, res) => {
    res.writeHead(200);
    res.end('ok');
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}/`;
  const [c1, c2] = [await freePort(), await freePort()];
  const cfg = (probes: NonNullable<Parameters<typeof testConfig>[2]>['probes']) =>
    testConfig(d.dir, 0, {
      defaults: { self: false, gateway: false },
      ping: { interval: '1h' },
      probes,
      alerts: { evaluate: '200ms', rules: { probeSla: { for: '0s' } } },
    });
  const running = await serve(
    cfg([
      { name: 'web', prober: 'http', target: url, interval: '1s' },
      {
        name: 'down',
        prober: 'tcp',
        target: `127.0.0.1:${c1}`,
        interval: '1s',
        sla: { success: '100%' },
      },
    ]),
    { firstRunSpread: 0.05, log: () => {} },
  );
  const metrics = async () =>
    (await (await fetch(`${running.url}/metrics`)).text())
      .split('\n')
      .filter((l) => l.startsWith('probe_success{'));
  try {
    await until(async () => (await metrics()).length === 2, 'both probes on /metrics', 15_000);
    await until(
      () => running.agent.alerting.engine.firing().some((a) => a.labels.probe === 'down'),
      'the SLA alert of down',
      15_000,
    );
    const r = await running.agent.reload(
      cfg([
        { name: 'web', prober: 'http', target: url, interval: '1s' },
        { name: 'other', prober: 'tcp', target: `127.0.0.1:${c2}`, interval: '1s' },
      ]),
    );
    assert.ok(r.ok);
    assert.deepEqual([r.added, r.removed, r.changed], [['probe:other'], ['probe:down'], []]);
    await running.agent.settled;
    assert.ok(
      !running.agent.alerting.engine.firing().some((a) => a.labels.probe === 'down'),
      "the removed probe's alert resolved",
    );
    await until(
      async () => (await metrics()).some((l) => l.includes('probe="other"')),
      'the new probe on /metrics',
      15_000,
    );
    const m = await metrics();
    assert.deepEqual(m.map((l) => l.replace(/ \d+$/, '')).sort(), [
      `probe_success{probe="other",prober="tcp",target="127.0.0.1:${c2}",site="test"}`,
      `probe_success{probe="web",prober="http",target="${url}",site="test"}`,
    ]);
    assert.deepEqual(
      running.agent.jobs.map((j) => j.name).filter((n) => n.startsWith('probe:')),
      ['probe:web', 'probe:other'],
    );
  } finally {
    await running.stop();
    web.close();
    d.cleanup();
  }
});

test("after a restart a probe's SLA window is read back from the store: hostops_probe_sla_ok is there before a new run", async () => {
  const d = tempDir('hostops-probeseed-');
  const closed = await freePort();
  const target = `127.0.0.1:${closed}`;
  const cfg = testConfig(d.dir, 0, {
    defaults: { self: false, gateway: false },
    ping: { interval: '1h' },
    probes: [{ name: 'db', prober: 'tcp', target, interval: '1h', sla: { success: '100%' } }],
    alerts: { evaluate: '200ms', rules: { probeSla: { for: '0s' } } },
  });
  // three failed runs in the last minutes, written by an agent before this one
  const { openStore } = await import('../../src/store/index.js');
  const store = await openStore(cfg.store);
  const now = Date.now() / 1000;
  for (const ago of [180, 120, 60]) {
    await store.writeProbe({
      site: 'test',
      probe: 'db',
      prober: 'tcp',
      target,
      ts: now - ago,
      success: false,
      failure: 'ECONNREFUSED',
      duration: null,
      phases: { connect: null },
      status: null,
      rcode: null,
      certExpiry: null,
    });
  }
  // no first run: the job's persisted plan says next in an hour
  await store.setJobState({
    site: 'test',
    job: 'probe:db',
    lastRun: now - 60,
    nextRun: now + 3600,
    failures: 0,
    lastError: null,
  });
  const running = await serve(cfg, { store, firstRunSpread: 0.05, log: () => {} });
  try {
    const m = await (await fetch(`${running.url}/metrics`)).text();
    assert.match(m, /^hostops_probe_sla_ok\{probe="db",site="test"\} 0$/m);
    assert.match(m, /^hostops_probe_success_ratio\{probe="db",site="test"\} 0$/m);
    await until(
      () =>
        running.agent.alerting.engine
          .firing()
          .some((a) => a.labels.alertname === 'HostopsProbeSLABreach' && a.labels.probe === 'db'),
      'the SLA alert from the stored runs',
      5_000,
    );
    assert.equal(
      (await running.agent.store.probeHistory('test', 'db', 0, now + 10)).length,
      3,
      'no new run',
    );
  } finally {
    await running.stop();
    d.cleanup();
  }
});

test('stopping the agent does not wait for a probe that is still waiting on a silent server', async () => {
  const d = tempDir('hostops-probestop-');
  const held: import('node:net').Socket[] = [];
  const { createServer } = await import('node:net');
  const silent = createServer((s) => {
    held.push(s);
    s.on('error', () => {});
  }); // accepts and never says a word
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as AddressInfo).port;
  const cfg = testConfig(d.dir, 0, {
    defaults: { self: false, gateway: false },
    ping: { interval: '1h' },
    probes: [
      { name: 'mute', prober: 'smtp', target: `127.0.0.1:${port}`, interval: '1h', timeout: '5s' },
    ],
  });
  const running = await serve(cfg, { firstRunSpread: 0.05, log: () => {} });
  try {
    await until(
      () =>
        held.length === 1 &&
        running.agent.scheduler.states().find((s) => s.job === 'probe:mute')!.running,
      'the probe waiting for a banner',
      5_000,
    );
    let closedByClient = false;
    held[0].on('close', () => {
      closedByClient = true;
    });
    await running.stop();
    // the probe's own 5 s deadline has not come: its connection is still open, the agent is stopped
    assert.equal(closedByClient, false);
  } finally {
    for (const s of held) s.destroy();
    silent.close();
    d.cleanup();
  }
});
