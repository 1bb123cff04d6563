import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeDns } from '../../src/probe/dns.js';
import { cli, freePort } from './helpers.js';
import { startUnbound } from './peers.js';

test('dns probe against unbound with local data', async () => {
  const u = await startUnbound();
  try {
    const a = await probeDns('www.probe.test', {
      server: '127.0.0.1',
      port: u.port,
      expect: ['198.18.1.2', '198.18.1.1'],
    });
    assert.equal(a.success, true, JSON.stringify(a));
    assert.equal(a.rcode, 'NOERROR');
    assert.ok(a.ms! > 0);
    assert.deepEqual(a.values.sort(), ['198.18.1.1', '198.18.1.2']);
    assert.equal(a.response!.answers[0].name, 'www.probe.test.');
    assert.equal(a.response!.answers[0].ttl, 300);
    assert.equal(a.response!.aa, true);

    const wrong = await probeDns('www.probe.test', {
      server: '127.0.0.1',
      port: u.port,
      expect: ['198.18.1.1'],
    });
    assert.equal(wrong.success, false);
    assert.equal(wrong.failure, 'answer 198.18.1.1, 198.18.1.2, expected 198.18.1.1');

    const six = await probeDns('www.probe.test', {
      server: '127.0.0.1',
      port: u.port,
      type: 'AAAA',
    });
    assert.deepEqual(six.values, ['2001:db8::1']);
    assert.deepEqual(
      (await probeDns('probe.test', { server: '127.0.0.1', port: u.port, type: 'MX' })).values,
      ['10 mail.probe.test.'],
    );
    assert.deepEqual(
      (await probeDns('probe.test', { server: '127.0.0.1', port: u.port, type: 'TXT' })).values,
      ['"hello world"'],
    );

    const nx = await probeDns('nope.probe.test', { server: '127.0.0.1', port: u.port });
    assert.equal(nx.rcode, 'NXDOMAIN');
    assert.equal(nx.success, false);
    assert.equal(nx.failure, 'rcode NXDOMAIN, expected NOERROR');
    assert.equal(
      (
        await probeDns('nope.probe.test', {
          server: '127.0.0.1',
          port: u.port,
          expectRcode: 'NXDOMAIN',
        })
      ).success,
      true,
    );
    assert.equal(
      (await probeDns('outside.example', { server: '127.0.0.1', port: u.port })).rcode,
      'REFUSED',
    );

    // the CLI
    const t = await cli([
      'probe',
      'dns',
      'www.probe.test',
      '--server',
      `127.0.0.1:${u.port}`,
      '--expect',
      '198.18.1.1,198.18.1.2',
    ]);
    assert.equal(t.status, 0, t.stderr);
    assert.match(
      t.stdout,
      new RegExp(
        `^www\\.probe\\.test A @127\\.0\\.0\\.1:${u.port}: NOERROR in \\d+\\.\\d{3} ms, 2 answers, authoritative\\n  www\\.probe\\.test\\.\\t300\\tIN\\tA\\t198\\.18\\.1\\.[12]\\n  www\\.probe\\.test\\.\\t300\\tIN\\tA\\t198\\.18\\.1\\.[12]\\n$`,
      ),
    );
    const n = await cli([
      'probe',
      'dns',
      'nope.probe.test',
      '--server',
      `127.0.0.1:${u.port}`,
      '--json',
    ]);
    assert.equal(n.status, 1);
    assert.equal(JSON.parse(n.stdout).rcode, 'NXDOMAIN');
    assert.equal(
      (
        await cli([
          'probe',
          'dns',
          'nope.probe.test',
          '--server',
          `127.0.0.1:${u.port}`,
          '--expect-rcode',
          'nxdomain',
        ])
      ).status,
      0,
    );
  } finally {
    await u.stop();
  }

  // nobody on the port: refused (ICMP port unreachable on a connected socket), exit 1
  const dead = await freePort();
  const r = await cli([
    'probe',
    'dns',
    'x.test',
    '--server',
    `127.0.0.1:${dead}`,
    '--timeout',
    '500ms',
  ]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /no reply: FAILED ECONNREFUSED/);
  assert.equal((await cli(['probe', 'dns', 'x.test', '--server', 'localhost'])).status, 2);
});
