import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { defaultSources, spoofTest, startListener } from '../../src/bcp38/index.js';
import { decodeProbe, encodeProbe } from '../../src/bcp38/spoof/protocol.js';
import { HostopsError } from '../../src/lib/errors.js';
import { Topology } from '../lib/netns.js';

const ask = (port: number, text: string) =>
  new Promise<string>((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let out = '';
    s.on('connect', () => s.write(text));
    s.on('data', (d) => {
      out += d;
    });
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
  });

test('probe payloads round-trip and garbage is ignored', () => {
  const b = encodeProbe('0123456789abcdef', 7, 'private-10');
  assert.deepEqual(decodeProbe(b), { session: '0123456789abcdef', id: 7, label: 'private-10' });
  for (const g of [
    '',
    'HOB38 1 xyz 1 a\n',
    'HOB38 2 0123456789abcdef 1 a\n',
    'HOB38 1 0123456789abcdef 1 bad label\n',
    'x'.repeat(500),
  ]) {
    assert.equal(decodeProbe(Buffer.from(g)), null, g);
  }
});

test('default sources: neighbour in the same /24, never the target, privates not covering us', () => {
  const s = defaultSources('198.18.10.2', ['198.18.12.5'], '198.18.10.3');
  const by = Object.fromEntries(s.map((x) => [x.label, x.address]));
  assert.equal(by.control, '198.18.10.2');
  assert.equal(by.neighbour, '198.18.10.1');
  assert.equal(by['other-customer'], '198.18.12.5');
  assert.ok(!defaultSources('10.1.2.3').some((x) => x.label === 'private-10'));
  const v6 = defaultSources('fd00:1::1', [], 'fd00:1::2');
  assert.equal(v6.find((x) => x.kind === 'neighbour')!.address, 'fd00:1::3');
});

test('listener records probes per session and survives hostile control clients', async () => {
  const l = await startListener({ port: 38381, host: '127.0.0.1', maxProbesPerSession: 5 });
  try {
    const u = createSocket('udp4');
    const session = 'aaaaaaaaaaaaaaaa';
    for (let i = 0; i < 8; i++) u.send(encodeProbe(session, i, `p${i}`), 38381, '127.0.0.1');
    u.send(Buffer.from('garbage'), 38381, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 200));
    u.close();
    assert.equal(l.results(session).length, 5, 'capped per session');
    assert.equal(l.results(session)[0].source, '127.0.0.1');
    assert.match(await ask(38381, 'not json\n'), /"ok":false/);
    assert.match(await ask(38381, 'x'.repeat(5000)), /line too long/);
    assert.match(await ask(38381, '{"op":"results","session":"../../etc"}\n'), /unknown request/);
    const hello = JSON.parse(await ask(38381, '{"op":"hello"}\n'));
    assert.equal(hello.observed, '127.0.0.1');
    const res = JSON.parse(await ask(38381, `{"op":"results","session":"${session}"}\n`));
    assert.equal(res.received.length, 5);
  } finally {
    await l.close();
  }
});

test('spooftest without a listener is an environment error naming the peer', async () => {
  await assert.rejects(spoofTest('127.0.0.1', { port: 38389, timeoutMs: 2000 }), (e: unknown) => {
    assert.ok(e instanceof HostopsError);
    assert.equal(e.code, 'BCP38_CONTROL_UNREACHABLE');
    assert.equal(e.exitCode, 3);
    assert.equal(e.where, '127.0.0.1:38389');
    return true;
  });
  await assert.rejects(spoofTest('bad host;rm', {}), /not an IP address or host name/);
});

test('IPv6: forged sources through the raw-socket addon arrive between two namespaces', async () => {
  const t = new Topology('bs6');
  try {
    const a = t.ns('a'),
      b = t.ns('b');
    const { aIf, bIf } = t.link(a, '198.18.91.1/24', b, '198.18.91.2/24');
    t.exec(a, ['ip', '-6', 'addr', 'add', 'fd00:91::1/64', 'dev', aIf, 'nodad']);
    t.exec(b, ['ip', '-6', 'addr', 'add', 'fd00:91::2/64', 'dev', bIf, 'nodad']);
    t.exec(a, ['ip', '-6', 'route', 'add', 'default', 'via', 'fd00:91::2']);
    t.exec(b, ['ip', '-6', 'route', 'add', 'default', 'via', 'fd00:91::1']);
    const listener = t.spawn(b, [
      process.execPath,
      'bin/hostops.js',
      'bcp38',
      'listen',
      '--json',
      '--duration',
      '30',
    ]);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      listener.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('listening')) resolve();
      });
      setTimeout(() => reject(new Error('listener did not start')), 10_000);
    });
    const r = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        a,
        process.execPath,
        'bin/hostops.js',
        'bcp38',
        'spooftest',
        '--to',
        'fd00:91::2',
        '--count',
        '1',
        '--wait',
        '300',
        '--json',
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    assert.equal(r.status, 1, r.stderr);
    const res = JSON.parse(r.stdout);
    assert.equal(res.verdict, 'spoofable');
    assert.equal(res.localAddress, 'fd00:91::1');
    const got = Object.fromEntries(
      res.probes.map((p: { label: string; received: number }) => [p.label, p.received]),
    );
    assert.deepEqual(got, { control: 1, neighbour: 1, ula: 1, documentation: 1, routable: 1 });
    listener.kill('SIGTERM');
  } finally {
    t.destroy();
  }
});

test('spooftest without CAP_NET_RAW is an environment error (exit 3) with a hint', async () => {
  const l = await startListener({ port: 38392, host: '127.0.0.1' });
  try {
    // async spawn: the listener runs in this process and must keep answering
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
      const c = spawn('setpriv', [
        '--reuid',
        '65534',
        '--regid',
        '65534',
        '--clear-groups',
        '--inh-caps=-all',
        process.execPath,
        'bin/hostops.js',
        'bcp38',
        'spooftest',
        '--to',
        '127.0.0.1',
        '--port',
        '38392',
      ]);
      let stderr = '';
      c.stderr.on('data', (d) => {
        stderr += d;
      });
      c.on('error', (e) => reject(new Error(`setpriv (util-linux) is required: ${e.message}`)));
      c.on('exit', (status) => resolve({ status, stderr }));
    });
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /code: BCP38_RAW_DENIED/);
    assert.match(r.stderr, /CAP_NET_RAW/);
  } finally {
    await l.close();
  }
});
