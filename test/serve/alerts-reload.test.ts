/**
 * The alerts section reloads on SIGHUP like the rest: the real CLI, a config file edited between
 * signals. A loopback target with an impossible SLA (< 1 µs) breaks it for sure; the webhook
 * hears the breach, then its resolution once the edited file turns the rule off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './helpers.js';
import { startReceiver, until } from './alert-peers.js';

const BIN = path.resolve('bin/hostops.js');

test('SIGHUP applies an edited alerts: section (a rule turned off resolves its alert)', async () => {
  const d = tempDir('hostops-alerts-hup-');
  const hook = await startReceiver();
  const file = path.join(d.dir, 'hostops.yaml');
  const write = (sla: string) =>
    writeFileSync(
      file,
      [
        'site: r',
        'defaults: { self: false, gateway: false }',
        'listen: { host: 127.0.0.1, port: 0 }',
        `store: { path: ${path.join(d.dir, 'h.db')}, spool: { path: ${path.join(d.dir, 's.db')} } }`,
        'iperf: { server: false }',
        'mailq: { enabled: false }',
        'ntp: { enabled: false }',
        'amp: { enabled: false }',
        'path: { enabled: false }',
        'ping: { interval: 1s, count: 3 }',
        'targets: [{ name: lo2, host: 127.0.0.2, sla: { rtt: "< 0.001 ms" } }]',
        'alerts:',
        `  webhook: [${hook.url}]`,
        '  evaluate: 200ms',
        '  rules:',
        `    sla: ${sla}`,
      ].join('\n') + '\n',
    );
  write('{ for: 0s, window: 5s }');
  const proc = spawn(process.execPath, [BIN, 'serve', '-c', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const exited = once(proc, 'exit');
  try {
    const firing = await until(
      () => hook.bodies.find((b) => b.status === 'firing'),
      'the SLA breach at the webhook',
      20_000,
      () => err,
    );
    assert.deepEqual(firing.commonLabels, {
      alertname: 'HostopsSLABreach',
      site: 'r',
      severity: 'warning',
      target: 'lo2',
    });
    assert.match(
      firing.alerts[0].annotations.description,
      /^over the last 5s \(\d+ rounds\): median RTT [\d.]+ ms against < 0\.001 ms; 0 of \d+ rounds met the SLA \(0%\)$/,
    );
    assert.match(err, /alert firing: HostopsSLABreach\{site="r",severity="warning",target="lo2"\}/);
    write('{ enabled: false }');
    proc.kill('SIGHUP');
    const resolved = await until(
      () => hook.bodies.find((b) => b.status === 'resolved'),
      'the resolution at the webhook',
      20_000,
      () => err,
    );
    assert.match(resolved.alerts[0].annotations.description, /\(resolved: no longer configured\)$/);
    assert.match(err, /config reloaded from .*hostops\.yaml: no job or target changed/);
  } finally {
    proc.kill('SIGTERM');
    await exited;
    await hook.close();
    d.cleanup();
  }
});
