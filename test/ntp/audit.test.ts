import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditFile, auditText } from '../../src/ntp/audit.js';
import { Topology } from '../lib/netns.js';
import { startNtpsec, runIn } from './peers.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'configs');
const ids = (r: { findings: { id: string }[] }) => r.findings.map((f) => f.id);

test('ntpd configs: open, the 4.2.6 limited trap, mode7, wide restrict, safe', async () => {
  const open = await auditFile(path.join(dir, 'ntp-426-open.conf'));
  assert.equal(open.kind, 'ntpd');
  assert.equal(open.exposed, true);
  assert.ok(ids(open).includes('restrict-default-missing'));
  assert.ok(
    open.findings[0].fix.includes('restrict default kod limited nomodify notrap nopeer noquery'),
  );

  const trap = await auditFile(path.join(dir, 'ntp-limited-trap.conf'));
  assert.ok(ids(trap).includes('noquery-missing'));
  const t = trap.findings.find((f) => f.id === 'limited-monitor-trap')!;
  assert.equal(t.line, 3);
  assert.match(t.message, /disable monitor` \(line 2\)/);

  const m7 = await auditFile(path.join(dir, 'ntp-mode7.conf'));
  const e = m7.findings.find((f) => f.id === 'mode7-enabled')!;
  assert.equal(e.line, 3);
  assert.equal(e.severity, 'high');
  assert.equal(m7.findings.find((f) => f.id === 'restrict-wide-open')!.line, 4);

  const safe = await auditFile(path.join(dir, 'ntp-safe.conf'));
  assert.equal(safe.exposed, false, JSON.stringify(safe.findings));
  assert.deepEqual(ids(safe), []);
});

test('ntpsec and chrony configs', async () => {
  const ns = await auditFile(path.join(dir, 'ntpsec-unrestrict.conf'));
  assert.equal(ns.kind, 'ntpsec');
  assert.equal(ns.findings.find((f) => f.id === 'unrestrict-noquery')!.line, 3);
  assert.equal(ns.exposed, true);
  assert.equal(auditText('restrict 127.0.0.1\n', { kind: 'ntpsec' }).exposed, false);

  const ch = await auditFile(path.join(dir, 'chrony-open.conf'));
  assert.equal(ch.kind, 'chrony');
  assert.equal(ch.findings.find((f) => f.id === 'allow-too-wide')!.line, 2);
  const cmd = ch.findings.find((f) => f.id === 'cmdport-open')!;
  assert.equal(cmd.line, 3);
  assert.equal(cmd.severity, 'high');
  assert.ok(cmd.fix.includes('bindcmdaddress 127.0.0.1'));
  const safe = await auditFile(path.join(dir, 'chrony-safe.conf'));
  assert.equal(safe.exposed, false);
  assert.deepEqual(ids(safe), []);
  assert.ok(ids(auditText('allow 10.0.0.0/8\n', { kind: 'chrony' })).includes('ratelimit-missing'));
});

test('bad input: missing file is a named error, NUL lines are reported and skipped', async () => {
  await assert.rejects(auditFile('/nonexistent/ntp.conf'), { code: 'NTP_AUDIT_READ' });
  const r = auditText('restrict default noquery\n\0garbage\nrestrict -6 default noquery\n', {
    kind: 'ntpd',
  });
  assert.equal(r.errors[0].line, 2);
  assert.equal(r.exposed, false);
});

test('audit verdict agrees with a live ntpsec', async () => {
  const topo = new Topology('aa');
  try {
    const src = topo.ns('s');
    const tgt = topo.ns('t');
    topo.link(src, '198.18.12.1/30', tgt, '198.18.12.2/30');
    const open = [
      'restrict default kod nomodify nopeer noquery limited',
      'unrestrict default noquery limited',
    ];
    assert.equal(auditText(open.join('\n'), { kind: 'ntpsec' }).exposed, true);
    const d = await startNtpsec(topo, tgt, open);
    try {
      const r = runIn(topo, src, ['check', '198.18.12.2']);
      assert.equal(
        r.verdict,
        'exposed',
        JSON.stringify(
          r.probes.map((p: { probe: string; verdict: string }) => [p.probe, p.verdict]),
        ),
      );
    } finally {
      await d.stop();
    }
  } finally {
    topo.destroy();
  }
});
