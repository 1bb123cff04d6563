import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeScenario, NTP_VICTIM, DNS_VICTIM } from './lib/scenario.js';
import { startReceiver } from '../serve/alert-peers.js';

const cli = path.resolve('bin/hostops.js');

test('ddos analyze --watch pages a webhook and a command with Alertmanager webhook JSON for each attack and its end', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hostops-ddos-notify-'));
  const hook = await startReceiver(1); // the first POST fails: retried
  try {
    const out = path.join(dir, 'alerts.ndjson');
    const p = spawn(
      process.execPath,
      [
        cli,
        'ddos',
        'analyze',
        '-',
        '--watch',
        '--min-pps',
        '500',
        '--quiet-after',
        '2',
        '--notify-webhook',
        hook.url,
        '--notify-command',
        `cat >> '${out}'`,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    p.stdin.end(writeScenario({ format: 'pcapng', tsresol: 9 }));
    const code = await new Promise((r) => p.on('close', r));
    assert.equal(code, 1, stderr);
    assert.match(stdout, /^ALERT .* ntp reflection/m);
    assert.match(
      stderr,
      /^hostops: alert notifier webhook http:\/\/127\.0\.0\.1:\d+\/hook: (attack|end) \w+ [\d.]+ failed \(attempt 1 of 3\): .* answered 500: not now$/m,
    );
    const fromCommand = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const msgs of [hook.bodies, fromCommand]) {
      assert.equal(msgs.length, 4, JSON.stringify(msgs));
      const by = (status: string, victim: string) =>
        msgs.find((m) => m.status === status && m.alerts[0].labels.victim === victim);
      for (const v of [NTP_VICTIM, DNS_VICTIM]) {
        const f = by('firing', v);
        const r = by('resolved', v);
        assert.ok(f && r, `firing and resolved for ${v}`);
        assert.equal(f.version, '4');
        assert.equal(f.alerts[0].labels.alertname, 'HostopsReflectionAttack');
        assert.equal(f.alerts[0].labels.severity, 'critical');
        assert.equal(f.alerts[0].endsAt, '0001-01-01T00:00:00Z');
        assert.equal(
          r.alerts[0].fingerprint,
          f.alerts[0].fingerprint,
          'the end resolves the same alert',
        );
        assert.ok(Date.parse(r.alerts[0].endsAt) > Date.parse(r.alerts[0].startsAt));
      }
      assert.match(
        by('firing', NTP_VICTIM).alerts[0].annotations.description,
        /^ALERT .* ntp reflection \(udp\/123\) against 198\.18\.50\.5: \d+ pkt\/s/,
      );
    }
  } finally {
    await hook.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--notify-webhook without --watch is a usage error', () => {
  const r = spawnSync(
    process.execPath,
    [cli, 'ddos', 'analyze', '-', '--notify-webhook', 'http://127.0.0.1:9/x'],
    { input: '', encoding: 'utf8' },
  );
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--notify-webhook and --notify-command need --watch/);
});
