/**
 * Alerting inside a running agent: series present from the start after a restart, a reload that
 * adds a receiver and turns a rule off, and receivers that fail (retried, counted, never fatal).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from '../../src/serve/index.js';
import type { LatencyProber, NtpChecker } from '../../src/serve/index.js';
import { freePort, tempDir, testConfig } from './helpers.js';
import { startReceiver, until } from './alert-peers.js';
import type { ConfigInput } from '../../src/config/index.js';

/** Answers for 127.0.0.2 only; every other target loses every ping. */
const halfDead: LatencyProber = {
  name: 'half-dead',
  async probe(targets, o) {
    return targets.map((t) =>
      t.host === '127.0.0.2'
        ? {
            target: t.name,
            host: t.host,
            sent: o.count,
            received: o.count,
            rtts: Array(o.count).fill(0.001),
          }
        : { target: t.name, host: t.host, sent: o.count, received: 0, rtts: [] },
    );
  },
};
const deadNtp: NtpChecker = {
  name: 'dead',
  async query() {
    throw new Error('no answer from 127.0.0.1:123');
  },
  async amp() {
    throw new Error('unused');
  },
};

const line = (text: string, re: RegExp) => text.split('\n').find((l) => re.test(l)) ?? null;

test('job and NTP series are on /metrics from the start after a restart, before the jobs run again', async () => {
  const d = tempDir('hostops-seed-');
  const port = await freePort();
  const extra: Partial<ConfigInput> = {
    defaults: { self: false, gateway: false },
    ntp: { enabled: true, interval: '1h' },
    ping: { interval: '1h' },
  };
  const first = await serve(testConfig(d.dir, port, extra), {
    firstRunSpread: 0.05,
    log: () => {},
    probes: { ntp: deadNtp },
  });
  try {
    await until(
      async () =>
        line(
          await (await fetch(`${first.url}/metrics`)).text(),
          /^hostops_job_consecutive_failures\{task="ntp"/,
        )?.endsWith(' 1'),
      'the ntp job to fail once',
      20_000,
    );
  } finally {
    await first.stop();
  }
  const second = await serve(testConfig(d.dir, port, extra), {
    firstRunSpread: 0.05,
    log: () => {},
    probes: { ntp: deadNtp },
  });
  try {
    const m = await (await fetch(`${second.url}/metrics`)).text();
    assert.equal(second.agent.scheduler.states().find((s) => s.job === 'ntp')!.running, false);
    assert.equal(
      line(m, /^hostops_job_consecutive_failures\{task="ntp"/),
      'hostops_job_consecutive_failures{task="ntp",site="test"} 1',
    );
    assert.equal(line(m, /^hostops_ntp_up\{/), 'hostops_ntp_up{server="127.0.0.1",site="test"} 0');
    assert.equal(
      line(m, /^hostops_job_runs_total\{task="ntp",result="failure"/),
      'hostops_job_runs_total{task="ntp",result="failure",site="test"} 0',
      'a counter of this process, present at 0',
    );
    assert.equal(
      line(m, /^hostops_store_spool_dropped_total/),
      'hostops_store_spool_dropped_total{site="test"} 0',
    );
    assert.match(m, /^# TYPE hostops_store_spool_dropped_total counter$/m);
    assert.equal(line(m, /^hostops_alerts\{/), null, 'no alert');
  } finally {
    await second.stop();
    d.cleanup();
  }
});

test('a reload adds a webhook and turns a rule off; a failing receiver is retried and counted, never fatal', async () => {
  const d = tempDir('hostops-areload-');
  const hook = await startReceiver(1); // the first POST gets a 500
  const closed = await freePort(); // nobody listens here
  const base = (alerts: ConfigInput['alerts']) =>
    testConfig(d.dir, 0, {
      defaults: { self: false, gateway: false },
      ping: { interval: '1s', count: 3 },
      targets: [
        { name: 'up', host: '127.0.0.2' },
        { name: 'down', host: '127.0.0.9' },
      ],
      alerts: { evaluate: '200ms', timeout: '2s', retries: 1, ...alerts },
    });
  const logs: string[] = [];
  const running = await serve(
    base({ alertmanager: [`http://127.0.0.1:${closed}`], rules: { targetDown: { for: '0s' } } }),
    { firstRunSpread: 0.05, log: (m) => logs.push(m), probes: { latency: halfDead } },
  );
  try {
    await until(
      () => running.agent.alerting.engine.firing().length === 1,
      'HostopsTargetDown for down',
      15_000,
      () => logs.join('\n'),
    );
    assert.equal(running.agent.alerting.engine.firing()[0].labels.target, 'down');
    const r = await running.agent.reload(
      base({
        webhook: [hook.url],
        rules: { targetDown: { for: '0s' }, packetLoss: { enabled: false } },
      }),
    );
    assert.equal(r.ok, true);
    // a new receiver hears of what is firing already (its first try gets the 500, the retry goes through)
    const firing = await until(
      () => hook.bodies.find((b) => b.status === 'firing'),
      'the firing webhook message',
      15_000,
      () => logs.join('\n'),
    );
    assert.deepEqual(
      firing.alerts.map((a: { labels: { target: string } }) => a.labels.target),
      ['down'],
    );
    await running.agent.reload(
      base({ webhook: [hook.url], rules: { targetDown: { enabled: false } } }),
    );
    const msg = await until(
      () => hook.bodies.find((b) => b.status === 'resolved'),
      'the resolved webhook message',
      15_000,
      () => logs.join('\n'),
    );
    assert.equal(msg.alerts[0].labels.target, 'down');
    assert.match(msg.alerts[0].annotations.description, /\(resolved: no longer configured\)$/);
    assert.ok(
      logs.some((l) =>
        /^alert notifier webhook http:\/\/127\.0\.0\.1:\d+\/hook: HostopsTargetDown firing \(1 alerts\) failed \(attempt 1 of 2\): .* answered 500: not now$/.test(
          l,
        ),
      ),
      logs.join('\n'),
    );
    await until(
      () =>
        logs.some(
          (l) =>
            l.startsWith(`alert notifier alertmanager http://127.0.0.1:${closed}: `) &&
            l.endsWith(
              `failed (attempt 2 of 2, giving up): http://127.0.0.1:${closed}/api/v2/alerts: ECONNREFUSED`,
            ),
        ),
      'the unreachable Alertmanager to be given up',
      15_000,
      () => logs.join('\n'),
    );
    const m = await (await fetch(`${running.url}/metrics`)).text();
    const count = (re: RegExp) => Number(line(m, re)?.split(' ').at(-1));
    assert.ok(
      count(/^hostops_alert_notifications_total\{notifier="alertmanager [^"]+",result="error"/) >=
        2,
      m
        .split('\n')
        .filter((l) => l.startsWith('hostops_alert'))
        .join('\n'),
    );
    assert.ok(
      count(/^hostops_alert_notifications_total\{notifier="webhook [^"]+",result="error"/) >= 1,
    );
    // the agent kept measuring through all of it
    const runs = async () =>
      Number(
        line(
          await (await fetch(`${running.url}/metrics`)).text(),
          /^hostops_job_runs_total\{task="ping",result="success"/,
        )?.split(' ')[1],
      );
    const before = await runs();
    await until(async () => (await runs()) > before, 'another ping round', 10_000);
    const api = (await (await fetch(`${running.url}/api/alerts`)).json()) as {
      active: unknown[];
      resolved: { labels: Record<string, string> }[];
    };
    assert.equal(api.resolved[0].labels.target, 'down');
  } finally {
    await running.stop();
    await hook.close();
    d.cleanup();
  }
});

test('a receiver URL with user:password@ is sent as basic auth, and the password never reaches the log', async () => {
  const { postJson } = await import('../../src/serve/alerts/notify/http-post.js');
  const http = await import('node:http');
  const seen: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(req.headers.authorization ? 200 : 401).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    await postJson(`http://am:s%40cret@127.0.0.1:${port}/api/v2/alerts`, [], 2000);
    assert.deepEqual(seen, [`Basic ${Buffer.from('am:s@cret').toString('base64')}`]);
    await assert.rejects(
      postJson(`http://127.0.0.1:${port}/x`, [], 2000),
      (e: Error) =>
        e.message === `http://127.0.0.1:${port}/x answered 401` || assert.fail(e.message),
    );
    // a failing receiver with a password: the log names it without
    const { Dispatcher } = await import('../../src/serve/alerts/notify/dispatch.js');
    const { alertsSchema } = await import('../../src/config/index.js');
    const closed = await freePort();
    const logs: string[] = [];
    const d = new Dispatcher(
      alertsSchema.parse({ alertmanager: [`http://am:s3cret@127.0.0.1:${closed}`], retries: 0 }),
      { metrics: null, log: (m) => logs.push(m), baseURL: () => 'http://127.0.0.1:1' },
    );
    d.notify(
      {
        fired: [
          {
            fingerprint: '0',
            labels: { alertname: 'X' },
            annotations: {},
            state: 'firing',
            activeAt: 1,
            firedAt: 1,
            resolvedAt: null,
          },
        ],
        resolved: [],
      },
      [],
      2,
    );
    await d.idle();
    assert.deepEqual(logs, [
      `alert notifier alertmanager http://127.0.0.1:${closed}: 0 firing, 0 resolved failed (attempt 1 of 1, giving up): http://127.0.0.1:${closed}/api/v2/alerts: ECONNREFUSED`,
    ]);
  } finally {
    server.close();
  }
});

test('a target the round cannot send to at all (no route) is down too', async () => {
  const d = tempDir('hostops-unprobed-');
  const noRoute: LatencyProber = {
    name: 'no-route',
    async probe(targets, o) {
      return targets.map((t) =>
        t.host === '127.0.0.2'
          ? {
              target: t.name,
              host: t.host,
              sent: o.count,
              received: o.count,
              rtts: Array(o.count).fill(0.001),
            }
          : {
              target: t.name,
              host: t.host,
              sent: 0,
              received: 0,
              rtts: [],
              error: 'sendto: No route to host',
            },
      );
    },
  };
  const running = await serve(
    testConfig(d.dir, 0, {
      defaults: { self: false, gateway: false },
      ping: { interval: '1s', count: 3 },
      targets: [
        { name: 'up', host: '127.0.0.2' },
        { name: 'far', host: '198.18.250.1' },
      ],
      alerts: { rules: { targetDown: { for: '1s' } } },
    }),
    { firstRunSpread: 0.05, log: () => {}, probes: { latency: noRoute } },
  );
  try {
    const a = await until(
      () => running.agent.alerting.engine.firing().find((x) => x.labels.target === 'far'),
      'HostopsTargetDown for the unroutable target',
      15_000,
    );
    assert.equal(
      a.annotations.description,
      'no ping to far (198.18.250.1) could be sent: sendto: No route to host (the rule fires after 1s of it)',
    );
    assert.deepEqual(
      running.agent.alerting.engine.active().map((x) => x.labels.target),
      ['far'],
    );
  } finally {
    await running.stop();
    d.cleanup();
  }
});

test('after a restart the SLA window is read back from the store: hostops_sla_* and the SLA alert are there before a new round', async () => {
  const d = tempDir('hostops-slaseed-');
  const port = await freePort();
  const slow: LatencyProber = {
    name: 'slow',
    async probe(targets, o) {
      return targets.map((t) => ({
        target: t.name,
        host: t.host,
        sent: o.count,
        received: o.count,
        rtts: Array(o.count).fill(0.1),
      }));
    },
  };
  const cfg = (interval: string) =>
    testConfig(d.dir, port, {
      defaults: { self: false, gateway: false },
      ping: { interval, count: 3 },
      targets: [{ name: 'far', host: '127.0.0.2', sla: { rtt: '< 70 ms' } }],
      alerts: { rules: { sla: { for: '0s', window: '10m' } } },
    });
  const first = await serve(cfg('1s'), {
    firstRunSpread: 0.05,
    log: () => {},
    probes: { latency: slow },
  });
  try {
    await until(async () => (await first.agent.store.pingCount()) >= 3, 'three rounds', 15_000);
  } finally {
    await first.stop();
  }
  // the restarted agent's rounds never finish: whatever it shows comes from the store
  const hang: LatencyProber = {
    name: 'hang',
    probe: (_t, o) =>
      new Promise((_r, reject) =>
        o.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
      ),
  };
  const second = await serve(cfg('1h'), {
    firstRunSpread: 0.05,
    log: () => {},
    probes: { latency: hang },
  });
  try {
    const m = await (await fetch(`${second.url}/metrics`)).text();
    assert.equal((await second.agent.store.pingCount()) >= 3, true);
    assert.equal(line(m, /^hostops_sla_ok\{/), 'hostops_sla_ok{target="far",site="test"} 0');
    assert.equal(
      line(m, /^hostops_sla_compliance_ratio\{/),
      'hostops_sla_compliance_ratio{target="far",site="test"} 0',
    );
    const a = second.agent.alerting.engine.firing();
    assert.deepEqual(
      a.map((x) => x.labels.alertname),
      ['HostopsSLABreach'],
    );
    assert.match(
      a[0].annotations.description,
      /^over the last 10m \(\d+ rounds\): median RTT 100 ms against < 70 ms; 0 of \d+ rounds met the SLA \(0%\)$/,
    );
  } finally {
    await second.stop();
    d.cleanup();
  }
});
