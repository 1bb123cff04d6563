/**
 * The probes: section in a running agent against real peers: an HTTPS server with a test-CA
 * chain (loopback), Debian's unbound in its own namespace, exim's own SMTP listener (loopback), a
 * closed loopback port. Stored rows, /metrics lines, /api/overview entries, ?debug=true, and the
 * SLA and certificate alerts reaching a webhook receiver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve } from '../../src/serve/index.js';
import type { ConfigInput } from '../../src/config/index.js';
import { Topology } from '../lib/netns.js';
import { makePki, opensslNotAfter } from '../probe/pki.js';
import { startExim, startUnbound } from '../probe/peers.js';
import { freePort, tempDir, testConfig } from './helpers.js';
import { startReceiver, until } from './alert-peers.js';

const NS_HOST = '198.18.170.1',
  NS_DNS = '198.18.170.2';
const line = (text: string, name: string, probe: string, extra = '') =>
  text.split('\n').find((l) => l.startsWith(`${name}{probe="${probe}"`) && l.includes(extra)) ??
  null;

test('serve runs http, dns, smtp and tcp probes against real peers: rows, /metrics, overview, debug, alerts', async () => {
  const d = tempDir('hostops-svcprobe-');
  const pki = makePki();
  const web = https.createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(req.url === '/health' ? 'status: ok\n' : 'no\n');
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const webPort = (web.address() as AddressInfo).port;
  const t = new Topology('pjd');
  const hook = await startReceiver();
  const stops: (() => Promise<unknown>)[] = [
    async () => {
      web.closeAllConnections();
      await new Promise((r) => web.close(r));
    },
    () => hook.close(),
    async () => t.destroy(),
    async () => d.cleanup(),
  ];
  try {
    const ns = t.ns('d');
    t.link(null, `${NS_HOST}/30`, ns, `${NS_DNS}/30`);
    const unbound = await startUnbound({
      address: NS_DNS,
      port: 53,
      allow: `${NS_HOST}/32`,
      spawnIn: (argv) => t.spawn(ns, argv, { stdio: ['ignore', 'ignore', 'pipe'] }),
    });
    stops.unshift(() => unbound.stop());
    const exim = await startExim(pki);
    stops.unshift(() => exim.stop());
    const closed = await freePort();

    const url = `https://127.0.0.1:${webPort}/health`;
    const probes: ConfigInput['probes'] = [
      // the test certificate has 45 days left: a 60-day floor breaks
      {
        name: 'web',
        prober: 'http',
        target: url,
        interval: '1s',
        http: { ca: pki.caFile, status: [200], bodyRegex: '^status: ok' },
        sla: { success: '100%', phases: { connect: '< 5 s' }, certDays: 60 },
      },
      {
        name: 'resolver',
        prober: 'dns',
        target: NS_DNS,
        interval: '1s',
        dns: { name: 'www.probe.test', expect: ['198.18.1.2', '198.18.1.1'] },
        sla: { success: '100%' },
      },
      {
        name: 'nxd',
        prober: 'dns',
        target: `${NS_DNS}:53`,
        interval: '1s',
        dns: { name: 'nope.probe.test', rcode: 'NXDOMAIN' },
      },
      {
        name: 'mail',
        prober: 'smtp',
        target: `127.0.0.1:${exim.port}`,
        interval: '1s',
        smtp: { starttls: 'required', ca: pki.caFile, helo: 'probe-client.test' },
        sla: { success: '100%', certDays: 30 },
      },
      {
        name: 'closed',
        prober: 'tcp',
        target: `127.0.0.1:${closed}`,
        interval: '1s',
        timeout: '2s',
        sla: { success: '99%' },
      },
    ];
    const cfg = testConfig(d.dir, 0, {
      defaults: { self: false, gateway: false },
      ping: { interval: '1h' },
      probes,
      alerts: { evaluate: '200ms', webhook: [hook.url], rules: { probeSla: { for: '0s' } } },
    });
    const logs: string[] = [];
    const running = await serve(cfg, { firstRunSpread: 0.05, log: (m) => logs.push(m) });
    stops.unshift(() => running.stop());
    const store = running.agent.store;
    const hist = (name: string) => store.probeHistory('test', name, 0, Date.now() / 1000 + 10);
    for (const p of probes)
      await until(
        async () => (await hist(p.name)).length >= 2,
        `two runs of ${p.name}`,
        30_000,
        () => logs.join('\n'),
      );

    // stored rows
    const notAfter = opensslNotAfter(pki.certFile) / 1000;
    const w = (await hist('web')).at(-1)!;
    assert.equal(w.success, true, JSON.stringify(w));
    assert.deepEqual(
      [w.prober, w.target, w.status, w.rcode, w.failure, w.certExpiry],
      ['http', url, 200, null, null, notAfter],
    );
    assert.deepEqual(Object.keys(w.phases), [
      'resolve',
      'connect',
      'tls',
      'processing',
      'transfer',
    ]);
    assert.equal(w.phases.resolve, null, 'an address literal is not resolved');
    for (const k of ['connect', 'tls', 'processing', 'transfer']) assert.ok(w.phases[k]! >= 0, k);
    assert.deepEqual(
      (w.data as { tls: { authorized: boolean; subject: string } }).tls.subject,
      'CN=localhost',
    );
    const r = (await hist('resolver')).at(-1)!;
    assert.deepEqual(
      [r.success, r.rcode, r.failure, (r.data as { answers: string[] }).answers.sort()],
      [true, 'NOERROR', null, ['198.18.1.1', '198.18.1.2']],
    );
    assert.ok(r.phases.request! > 0 && r.duration === r.phases.request);
    const n = (await hist('nxd')).at(-1)!;
    assert.deepEqual([n.success, n.rcode], [true, 'NXDOMAIN']);
    const m = (await hist('mail')).at(-1)!;
    assert.equal(m.success, true, JSON.stringify(m));
    assert.equal(m.certExpiry, notAfter);
    assert.equal((m.data as { banner: string }).banner, 'probe.test ESMTP hostops probe test');
    assert.deepEqual(Object.keys(m.phases), ['connect', 'banner', 'ehlo', 'starttls']);
    for (const k of Object.keys(m.phases)) assert.ok(m.phases[k]! >= 0, k);
    const c = (await hist('closed')).at(-1)!;
    assert.deepEqual(
      [c.success, c.failure, c.phases, c.certExpiry],
      [false, 'ECONNREFUSED', { connect: null }, null],
    );
    assert.equal(
      running.agent.scheduler.states().find((s) => s.job === 'probe:closed')!.failures,
      0,
      'a failed probe is data, not a failed job',
    );

    // /metrics, blackbox_exporter's names
    const text = await (await fetch(`${running.url}/metrics`)).text();
    const wl = `probe="web",prober="http",target="${url}"`;
    assert.equal(line(text, 'probe_success', 'web'), `probe_success{${wl},site="test"} 1`);
    assert.equal(
      line(text, 'probe_http_status_code', 'web'),
      `probe_http_status_code{${wl},site="test"} 200`,
    );
    assert.equal(
      line(text, 'probe_ssl_earliest_cert_expiry', 'web'),
      `probe_ssl_earliest_cert_expiry{${wl},site="test"} ${notAfter}`,
    );
    assert.equal(line(text, 'probe_http_ssl', 'web'), `probe_http_ssl{${wl},site="test"} 1`);
    assert.equal(
      line(text, 'probe_http_uncompressed_body_length', 'web'),
      `probe_http_uncompressed_body_length{${wl},site="test"} 11`,
    );
    assert.equal(
      line(text, 'probe_http_duration_seconds', 'web', 'phase="resolve"'),
      `probe_http_duration_seconds{${wl},phase="resolve",site="test"} 0`,
    );
    assert.match(
      line(text, 'probe_http_duration_seconds', 'web', 'phase="tls"') ?? '',
      new RegExp(
        `^probe_http_duration_seconds\\{${wl.replace(/[.\\/]/g, '\\$&')},phase="tls",site="test"\\} 0\\.\\d+$`,
      ),
    );
    assert.equal(
      line(text, 'probe_dns_rcode', 'nxd'),
      `probe_dns_rcode{probe="nxd",prober="dns",target="${NS_DNS}:53",site="test"} 3`,
    );
    assert.equal(
      line(text, 'probe_dns_rcode', 'resolver'),
      `probe_dns_rcode{probe="resolver",prober="dns",target="${NS_DNS}",site="test"} 0`,
    );
    assert.equal(
      line(text, 'probe_dns_answer_rrs', 'resolver'),
      `probe_dns_answer_rrs{probe="resolver",prober="dns",target="${NS_DNS}",site="test"} 2`,
    );
    assert.equal(
      line(text, 'probe_dns_query_succeeded', 'resolver'),
      `probe_dns_query_succeeded{probe="resolver",prober="dns",target="${NS_DNS}",site="test"} 1`,
    );
    assert.equal(
      line(text, 'probe_smtp_starttls', 'mail'),
      `probe_smtp_starttls{probe="mail",prober="smtp",target="127.0.0.1:${exim.port}",site="test"} 1`,
    );
    assert.equal(
      line(text, 'probe_ssl_earliest_cert_expiry', 'mail'),
      `probe_ssl_earliest_cert_expiry{probe="mail",prober="smtp",target="127.0.0.1:${exim.port}",site="test"} ${notAfter}`,
    );
    assert.equal(
      line(text, 'probe_success', 'closed'),
      `probe_success{probe="closed",prober="tcp",target="127.0.0.1:${closed}",site="test"} 0`,
    );
    assert.equal(line(text, 'probe_ssl_earliest_cert_expiry', 'closed'), null);
    assert.match(text, /^# TYPE probe_http_duration_seconds gauge$/m);
    assert.match(text, /^hostops_probe_sla_ok\{probe="closed",site="test"\} 0$/m);
    assert.match(text, /^hostops_probe_sla_ok\{probe="resolver",site="test"\} 1$/m);
    assert.match(text, /^hostops_probe_success_ratio\{probe="closed",site="test"\} 0$/m);
    assert.match(text, /^hostops_probe_cert_days_limit\{probe="web",site="test"\} 60$/m);
    assert.match(text, /^hostops_probe_cert_days_limit\{probe="mail",site="test"\} 30$/m);

    // the overview's probes list
    const ov = (await (await fetch(`${running.url}/api/overview`)).json()) as {
      cells: unknown[];
      probes: {
        probe: string;
        success: number;
        ok: boolean | null;
        certDaysLeft: number | null;
        last: { status: number | null; rcode: string | null };
      }[];
    };
    assert.ok(Array.isArray(ov.cells));
    const by = new Map(ov.probes.map((p) => [p.probe, p]));
    assert.deepEqual(
      ov.probes.map((p) => p.probe),
      ['web', 'resolver', 'nxd', 'mail', 'closed'],
    );
    assert.deepEqual(
      [
        by.get('web')!.success,
        by.get('web')!.ok,
        by.get('web')!.certDaysLeft,
        by.get('web')!.last.status,
      ],
      [1, false, Math.floor((notAfter - Date.now() / 1000) / 86400), 200],
    );
    assert.deepEqual(
      [by.get('resolver')!.ok, by.get('nxd')!.ok, by.get('nxd')!.last.rcode, by.get('mail')!.ok],
      [true, null, 'NXDOMAIN', true],
    );
    assert.deepEqual([by.get('closed')!.success, by.get('closed')!.ok], [0, false]);

    // the alerts reach the webhook: the closed port breaks its SLA, the certificate has < 60 days
    const fired = async () =>
      hook.bodies
        .flatMap((b: { alerts: { status: string; labels: Record<string, string> }[] }) => b.alerts)
        .filter((a) => a.status === 'firing')
        .map((a) => `${a.labels.alertname}/${a.labels.probe}`);
    await until(
      async () => {
        const f = await fired();
        return f.includes('HostopsProbeSLABreach/closed') && f.includes('HostopsCertExpiring/web');
      },
      'the probe alerts at the webhook',
      20_000,
      () => JSON.stringify(hook.bodies),
    );
    const f = await fired();
    assert.ok(
      !f.includes('HostopsProbeSLABreach/resolver') &&
        !f.includes('HostopsProbeSLABreach/mail') &&
        !f.includes('HostopsCertExpiring/mail'),
      f.join(' '),
    );
    const alert = hook.bodies
      .flatMap(
        (b: {
          alerts: { labels: Record<string, string>; annotations: Record<string, string> }[];
        }) => b.alerts,
      )
      .find((a) => a.labels.alertname === 'HostopsProbeSLABreach' && a.labels.probe === 'closed')!;
    assert.match(
      alert.annotations.description,
      /^over the last 15m \(\d+ runs\): 0 of \d+ runs succeeded \(0%\) against at least 99%$/,
    );

    // ?debug=true runs the probe now and shows its log, its metrics and its configuration
    const dbg = await fetch(`${running.url}/api/probes/closed?debug=true`);
    assert.equal(dbg.headers.get('content-type'), 'text/plain; charset=utf-8');
    const body = await dbg.text();
    assert.match(
      body,
      new RegExp(
        `^Logs for the probe:\\n\\+\\d\\.\\d{6}s beginning tcp probe closed of 127\\.0\\.0\\.1:${closed}, timeout 2 s\\n\\+\\d\\.\\d{6}s connecting to 127\\.0\\.0\\.1 port ${closed}\\n\\+\\d\\.\\d{6}s connect failed: ECONNREFUSED\\n`,
      ),
    );
    assert.ok(body.includes(`\n\n\n\nMetrics that would have been returned:\n`), body);
    assert.ok(
      body.includes(
        `\nprobe_success{probe="closed",prober="tcp",target="127.0.0.1:${closed}"} 0\n`,
      ),
      body,
    );
    assert.ok(
      body.endsWith(
        `\n\n\nModule configuration:\nname: closed\ninterval: 1\ntimeout: 2\nsla:\n  success: 0.99\nprober: tcp\ntarget: 127.0.0.1:${closed}\n`,
      ),
      body,
    );
    assert.equal((await fetch(`${running.url}/api/probes/nope?debug=true`)).status, 404);
    const webDbg = await (await fetch(`${running.url}/api/probes/web?debug=true`)).text();
    assert.match(webDbg, /\n\+\d\.\d{6}s HTTP\/1\.1 200\n/);
    assert.match(
      webDbg,
      /\n\+\d\.\d{6}s TLS TLSv1\.3 \S+, certificate CN=localhost expires \S+, trusted\n/,
    );

    // the history route the dashboard graphs
    const runs = (await (await fetch(`${running.url}/api/probes/web`)).json()) as {
      ts: number;
      phases: Record<string, number | null>;
    }[];
    assert.ok(runs.length >= 2 && runs.every((x, i) => i === 0 || x.ts >= runs[i - 1].ts));
  } finally {
    for (const s of stops) await s().catch(() => {});
  }
});
