/**
 * HostopsTargetDown end to end with real peers: the agent pings a target in a network namespace;
 * nftables there drops the echo replies, then lets them flow again. A real Alertmanager gets the
 * alert through its v2 API and then its resolution, a webhook receiver gets Alertmanager's webhook
 * JSON for both, and the email goes through the real exim (sendmail interface, the test config)
 * into a mailbox file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Topology } from '../lib/netns.js';
import { serve } from '../../src/serve/index.js';
import { freePort, tempDir, testConfig } from './helpers.js';
import { startAlertmanager, startReceiver, until } from './alert-peers.js';
import { CONF as EXIM_CONF, EXIM, requirePeers } from '../mailq/helpers.js';

test('a target whose replies are dropped alerts Alertmanager, a webhook and email, and resolves when they flow again', async () => {
  requirePeers();
  const d = tempDir('hostops-alerts-');
  const t = new Topology('al');
  const mailSpool = path.join(d.dir, 'exim');
  execFileSync('mkdir', ['-p', mailSpool]);
  execFileSync('chown', ['Debian-exim:Debian-exim', mailSpool]);
  chmodSync(d.dir, 0o755); // exim delivers as Debian-exim: it must reach the spool
  const am = await startAlertmanager(d.dir);
  const hook = await startReceiver();
  let running: Awaited<ReturnType<typeof serve>> | null = null;
  try {
    const ns = t.ns('t');
    t.link(null, '198.18.91.1/30', ns, '198.18.91.2/30');
    const cfg = testConfig(d.dir, await freePort(), {
      defaults: { self: false, gateway: false },
      ping: { interval: '1s', count: 4, timeout: '300ms' },
      targets: [{ name: 'far', host: '198.18.91.2' }],
      alerts: {
        evaluate: '200ms',
        resend: '1s',
        alertmanager: [am.url],
        webhook: [hook.url],
        email: {
          to: ['ops@localhost'],
          from: 'hostops@vm',
          sendmail: [EXIM, '-C', EXIM_CONF, `-DSPOOL=${mailSpool}`, '-odi', '-t', '-i'],
        },
        rules: { targetDown: { for: '2s' }, jobFailing: { enabled: false } },
      },
    });
    let agentLog = '';
    running = await serve(cfg, {
      firstRunSpread: 0.1,
      log: (m) => {
        agentLog += m + '\n';
      },
    });
    const agent = running.agent;
    const info = () =>
      `agent log:\n${agentLog.slice(-1500)}\nalertmanager log:\n${am.log().slice(-1500)}\nwebhook bodies: ${JSON.stringify(hook.bodies).slice(0, 1500)}`;
    // answered rounds first: nothing fires
    await until(
      async () => (await running!.agent.store.pingCount()) >= 2,
      'two answered rounds',
      20_000,
    );
    assert.deepEqual(
      agent.alerting.engine.active().map((a) => a.labels.alertname),
      [],
    );
    t.nft(
      ns,
      'table inet altest {\n chain c {\n type filter hook output priority 0; policy accept;\n icmp type echo-reply drop\n }\n}\n',
    );
    const firing = await until(
      async () =>
        (await am.alerts('alertname="HostopsTargetDown"')).find((a) => a.status.state === 'active'),
      'HostopsTargetDown in Alertmanager',
      30_000,
      info,
    );
    assert.deepEqual(
      { ...firing.labels },
      { alertname: 'HostopsTargetDown', site: 'test', severity: 'critical', target: 'far' },
    );
    assert.match(
      firing.annotations.description,
      /^all 4 pings to far \(198\.18\.91\.2\) were lost \(100% loss; the rule fires after 2s of it\)$/,
    );
    assert.ok(Date.parse(firing.endsAt) > Date.now(), 'a firing alert is valid into the future');
    const hookFiring = await until(
      () =>
        hook.bodies.find(
          (b) => b.status === 'firing' && b.groupLabels.alertname === 'HostopsTargetDown',
        ),
      'the webhook firing message',
      10_000,
      info,
    );
    assert.equal(hookFiring.version, '4');
    assert.equal(hookFiring.receiver, 'hostops');
    assert.equal(hookFiring.groupKey, '{}:{alertname="HostopsTargetDown"}');
    assert.deepEqual(hookFiring.commonLabels, {
      alertname: 'HostopsTargetDown',
      site: 'test',
      severity: 'critical',
      target: 'far',
    });
    assert.equal(hookFiring.alerts.length, 1);
    assert.equal(hookFiring.alerts[0].endsAt, '0001-01-01T00:00:00Z');
    assert.equal(hookFiring.externalURL, running.url);
    const mailbox = path.join(mailSpool, 'mail', 'local');
    await until(
      () =>
        existsSync(mailbox) &&
        /Subject: \[FIRING:1\] HostopsTargetDown \(site test\)/.test(
          readFileSync(mailbox, 'latin1'),
        ),
      'the firing email in the exim mailbox',
      15_000,
      info,
    );
    // replies flow again: resolved everywhere
    t.exec(ns, ['nft', 'delete', 'table', 'inet', 'altest']);
    await until(
      async () =>
        !(await am.alerts('alertname="HostopsTargetDown"')).some(
          (a) => a.status.state === 'active',
        ),
      'the alert to resolve in Alertmanager',
      30_000,
      info,
    );
    const hookResolved = await until(
      () => hook.bodies.find((b) => b.status === 'resolved'),
      'the webhook resolved message',
      10_000,
      info,
    );
    assert.equal(hookResolved.alerts[0].status, 'resolved');
    assert.ok(
      Date.parse(hookResolved.alerts[0].endsAt) >= Date.parse(hookResolved.alerts[0].startsAt),
    );
    assert.match(
      hookResolved.alerts[0].annotations.description,
      /^far \(198\.18\.91\.2\) answers again: [34] of 4 pings/,
    );
    await until(
      () =>
        /Subject: \[RESOLVED\] HostopsTargetDown \(site test\)/.test(
          readFileSync(mailbox, 'latin1'),
        ),
      'the resolved email',
      15_000,
      info,
    );
    const mail = readFileSync(mailbox, 'utf8');
    assert.match(mail, /^To: ops@localhost$/m);
    assert.match(mail, /\* far \(198\.18\.91\.2\) does not answer\n {2}all 4 pings to far/);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    assert.match(
      metrics,
      /^hostops_alert_notifications_total\{notifier="alertmanager http:\/\/127\.0\.0\.1:\d+",result="error",site="test"\} 0$/m,
    );
    assert.ok(
      !/^hostops_alerts\{alertname="HostopsTargetDown"/m.test(metrics),
      'HostopsTargetDown is not active any more',
    );
    assert.ok(
      /^hostops_alert_notifications_total\{notifier="webhook [^"]+",result="ok",site="test"\} [2-9]$/m.test(
        metrics,
      ),
      'the webhook sends are counted',
    );
  } finally {
    await running?.stop();
    await hook.close();
    await am.stop();
    t.destroy();
    d.cleanup();
  }
});
