import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Topology, chain } from '../lib/netns.js';
import { ntpCheck } from '../../src/ntp/index.js';
import { startChrony, startNtpsec, runIn, cliIn, ROOT } from './peers.js';
import { startFakeNtpd, monlistReplies } from './fixtures/fake-ntpd.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';

const probe = (r: Awaited<ReturnType<typeof ntpCheck>>, name: string) =>
  r.probes.find((p) => p.probe === name)!;

test('fake 4.2.6p5 replies are byte-exact to the reference layouts', () => {
  const full = monlistReplies(600, 42, 3);
  assert.equal(full.length, 100);
  assert.ok(full.every((b) => b.length === 440));
  assert.equal(full[0].subarray(0, 8).toString('hex'), 'd700032a00060048');
  assert.equal(full[99][0], 0x97);
  assert.deepEqual(
    full.map((b) => b[1]),
    [...Array(100).keys()],
  );
  const sizes = (c: number, i: number) => monlistReplies(600, c, i).map((b) => b.length);
  assert.deepEqual([sizes(42, 2).length, sizes(42, 2)[0]], [40, 488]);
  assert.deepEqual([sizes(20, 3).length, sizes(20, 3)[0]], [60, 488]);
  assert.deepEqual([sizes(20, 2).length, sizes(20, 2)[0]], [30, 488]);
  assert.equal(monlistReplies(0, 42, 3)[0].toString('hex'), '9700032a40000000');
  assert.equal(monlistReplies(600, 42, 0)[0].toString('hex'), '9700002a20000000');
  assert.equal(monlistReplies(1, 42, 3)[0].subarray(0, 8).toString('hex'), '9700032a00010048');
});

test('ntp check: full monlist from a fake 4.2.6p5 gives the reference factors per request size', async () => {
  const f = await startFakeNtpd({ entries: 600, readvarBytes: 360 });
  try {
    for (const [size, payload, frame] of [
      [8, 5500, 803.33],
      [48, 916.67, 535.56],
      [192, 229.17, 205.98],
    ] as const) {
      const r = await ntpCheck('127.0.0.1', { port: f.port, timeoutMs: 1500, requestSize: size });
      const m = probe(r, 'monlist-42-impl3');
      assert.equal(m.amplification.replyPackets, 100);
      assert.equal(m.amplification.replyBytes, 44000);
      assert.equal(m.amplification.requestBytes, size);
      assert.equal(m.amplification.factor, payload);
      assert.equal(m.amplification.frameFactor, frame);
      assert.equal(m.monlist!.entries, 600);
      assert.equal(m.monlist!.sample[0].address, '127.0.1.0');
      assert.equal(m.monlist!.sample[0].mode, 3);
      assert.equal(m.verdict, 'vulnerable');
      assert.deepEqual(
        [
          probe(r, 'monlist-42-impl2').amplification.replyPackets,
          probe(r, 'monlist-42-impl2').amplification.replyBytes,
        ],
        [40, 19520],
      );
      assert.deepEqual(
        [
          probe(r, 'monlist-20-impl3').amplification.replyPackets,
          probe(r, 'monlist-20-impl3').amplification.replyBytes,
        ],
        [60, 29280],
      );
      assert.deepEqual(
        [
          probe(r, 'monlist-20-impl2').amplification.replyPackets,
          probe(r, 'monlist-20-impl2').amplification.replyBytes,
        ],
        [30, 14640],
      );
      assert.equal(probe(r, 'monlist-20-impl2').monlist!.entries, 600);
      assert.equal(r.vulnerable, true);
      assert.equal(r.server, 'ntpd');
      assert.ok(r.fix.includes('restrict default kod limited nomodify notrap nopeer noquery'));
      assert.equal(r.layer, 'payload');
    }
  } finally {
    await f.close();
  }
});

test('ntp check: empty list / hostile garbage is not mis-attributed; CLI exit codes', async () => {
  const empty = await startFakeNtpd({ entries: 0 });
  try {
    const r = await ntpCheck('127.0.0.1', { port: empty.port, timeoutMs: 600 });
    const m = probe(r, 'monlist-42-impl3');
    assert.equal(m.amplification.replyBytes, 8);
    assert.equal(m.errorCode, 4);
    assert.equal(m.verdict, 'ok');
    assert.equal(r.vulnerable, false);
  } finally {
    await empty.close();
  }
  const junk = [
    Buffer.from([0x97, 0, 3, 0x2a, 0x0f, 0xff, 0x0f, 0xff]), // claims 4095 items of 4095 bytes
    Buffer.from([0xd7, 0, 3, 0x2b, 0, 1, 0, 72, ...Array(72).fill(1)]), // wrong request code
    Buffer.alloc(3, 0xff),
    Buffer.alloc(0),
    Buffer.alloc(600, 0x17),
  ];
  const hostile = await startFakeNtpd({ entries: 12, garbage: junk });
  try {
    const r = await ntpCheck('127.0.0.1', { port: hostile.port, timeoutMs: 800 });
    const m = probe(r, 'monlist-42-impl3');
    assert.equal(m.monlist!.entries, 12);
    assert.ok(m.stray >= 3, `stray ${m.stray}`);
    assert.equal(probe(r, 'mode3').amplification.replyPackets, 1);
    // CLI (async: the fake answers from this process): exit 1 when vulnerable, names layer and size
    const err = await promisify(execFile)(process.execPath, [
      path.join(ROOT, 'bin/hostops.js'),
      'ntp',
      'check',
      '127.0.0.1',
      '-p',
      String(hostile.port),
      '-t',
      '600',
    ]).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => e,
    );
    assert.equal(err.code, 1, err.stdout);
    assert.match(err.stdout, /UDP payload layer/);
    assert.match(err.stdout, /mode 7 request 48 bytes/);
    assert.match(err.stdout, /VULNERABLE/);
  } finally {
    await hostile.close();
  }
});

test('ntp check against ntpsec and chrony in namespaces', async () => {
  const topo = new Topology('ac');
  try {
    const { src, target } = chain(topo, 0, 11);
    const server = '198.18.11.2';
    // one (unreachable) server gives one association for the `peers` probe
    const ntpsec = await startNtpsec(topo, target, [
      'restrict default kod nomodify nopeer noquery limited',
      'restrict 127.0.0.1',
      'server 198.18.11.1',
    ]);
    try {
      const remote = runIn(topo, src, ['check', server]);
      assert.equal(remote.error, undefined, JSON.stringify(remote));
      for (const p of remote.probes)
        if (p.mode !== 3) assert.equal(p.amplification.replyPackets, 0, p.probe);
      assert.equal(remote.vulnerable, false);
      // from the exempt loopback address READVAR answers: 12 -> ~360 bytes, named ntpsec
      const local = runIn(topo, target, ['check', '127.0.0.1']);
      const rv = local.probes.find((p: { probe: string }) => p.probe === 'readvar');
      assert.ok(rv.amplification.replyBytes > 300, JSON.stringify(rv));
      assert.equal(rv.amplification.requestBytes, 12);
      for (const p of local.probes) if (p.mode === 7) assert.equal(p.amplification.replyPackets, 0);
      assert.equal(local.server, 'ntpsec');
      const peers = local.probes.find((p: { probe: string }) => p.probe === 'peers');
      assert.equal(peers.amplification.requestPackets, 2, JSON.stringify(peers));
      assert.ok(peers.amplification.replyPackets >= 2);
      assert.ok(peers.amplification.replyBytes > 100, JSON.stringify(peers));
      assert.equal(local.verdict, 'exposed');
      assert.ok(
        local.fix.some((l: string) =>
          l.startsWith('restrict default kod nomodify nopeer noquery limited'),
        ),
      );
    } finally {
      await ntpsec.stop();
    }
    const chrony = await startChrony(topo, target, ['allow all', 'local stratum 8']);
    try {
      const cli = cliIn(topo, src, ['ntp', 'check', server, '--json', '-t', '600']);
      assert.equal(cli.status, 0, cli.stderr);
      const r = JSON.parse(cli.stdout);
      for (const p of r.probes)
        assert.equal(p.amplification.replyPackets, p.mode === 3 ? 1 : 0, p.probe);
      assert.equal(r.verdict, 'ok');
    } finally {
      await chrony.stop();
    }
  } finally {
    topo.destroy();
  }
});
