import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Topology, chain } from '../lib/netns.js';
import { ntpQuery } from '../../src/ntp/index.js';
import { startChrony, startNtpsec, runIn, cliIn } from './peers.js';
import { startFakeNtpd } from './fixtures/fake-ntpd.js';

test('ntp query against chronyd and ntpsec in namespaces', async (t) => {
  const topo = new Topology('aq');
  try {
    const { src, target } = chain(topo, 0, 10);
    const server = '198.18.10.2';

    await t.test('chronyd (local stratum 8, allow all): synchronized reply', async () => {
      const d = await startChrony(topo, target, ['allow all', 'local stratum 8']);
      try {
        const r = runIn(topo, src, ['query', server]);
        assert.equal(r.error, undefined, JSON.stringify(r));
        assert.equal(r.stratum, 8);
        assert.equal(r.refid, '127.127.1.1');
        assert.equal(r.leap, 0);
        assert.equal(r.kod, null);
        assert.equal(r.mode, 4);
        assert.equal(r.replyBytes, 48);
        assert.ok(Math.abs(r.offset) < 0.05, `offset ${r.offset}`);
        assert.ok(r.delay >= 0 && r.delay < 0.1, `delay ${r.delay}`);
        assert.ok(r.precision < 0 && r.precision > -32);
        // the CLI agrees, text and --json
        const cli = cliIn(topo, src, ['ntp', 'query', server]);
        assert.equal(cli.status, 0, cli.stderr);
        assert.match(
          cli.stdout,
          /^server 198\.18\.10\.2, stratum 8, offset [+-]\d+\.\d{6}, delay \d+\.\d{5}\n/,
        );
        assert.match(cli.stdout, /refid 127\.127\.1\.1, leap 0/);
        const j = JSON.parse(cliIn(topo, src, ['ntp', 'query', server, '--json']).stdout);
        assert.equal(j.stratum, 8);
        // IPv6 transport
        const v6 = runIn(topo, target, ['query', '::1']);
        assert.equal(v6.address, '::1');
        assert.equal(v6.stratum, 8);
      } finally {
        await d.stop();
      }
    });

    await t.test('chronyd not allowing this client: no reply, timeout with exit 1', async () => {
      const d = await startChrony(topo, target, ['allow 198.18.10.2/32', 'local stratum 8']);
      try {
        const r = runIn(topo, src, ['query', server, '400']);
        assert.equal(r.error.code, 'NTP_TIMEOUT');
        const cli = cliIn(topo, src, ['ntp', 'query', server, '--timeout', '300']);
        assert.equal(cli.status, 1);
        assert.match(cli.stderr, /no NTP reply/);
      } finally {
        await d.stop();
      }
    });

    await t.test(
      'ntpsec unsynchronized: INIT kiss code, leap 3; limited: RATE KoD in a burst',
      async () => {
        const d = await startNtpsec(topo, target, [
          'restrict default kod nomodify nopeer noquery limited',
        ]);
        try {
          const r = runIn(topo, src, ['query', server]);
          assert.equal(r.error, undefined, JSON.stringify(r));
          assert.equal(r.kod, 'INIT');
          assert.equal(r.leap, 3);
          assert.equal(r.stratum, 0);
          assert.equal(r.synchronized, false);
          const burst: string[] = runIn(topo, src, ['burst', server, '40']);
          assert.ok(burst.includes('RATE'), `no RATE KoD in ${burst.join(',')}`);
          assert.ok(burst.filter((x) => x === 'INIT').length >= 10, burst.join(','));
        } finally {
          await d.stop();
        }
      },
    );
  } finally {
    topo.destroy();
  }
});

test('ntp query: KoD DENY/RSTR, wrong-origin and garbage replies are not taken as the answer', async () => {
  for (const kod of ['DENY', 'RSTR', 'RATE']) {
    const f = await startFakeNtpd({ kod });
    try {
      const r = await ntpQuery('127.0.0.1', { port: f.port, timeoutMs: 1000 });
      assert.equal(r.kod, kod);
      assert.equal(r.stratum, 0);
      assert.match(r.kodMeaning!, /rate|denied|restricted/);
    } finally {
      await f.close();
    }
  }
  const hostile = await startFakeNtpd({
    wrongOrigin: true,
    garbage: [
      Buffer.alloc(0),
      Buffer.from([0x24]),
      Buffer.alloc(47, 0xff),
      Buffer.alloc(1400, 0x24),
    ],
  });
  try {
    const r = await ntpQuery('127.0.0.1', { port: hostile.port, timeoutMs: 1000 });
    assert.equal(r.stratum, 2);
    assert.equal(r.refid, '198.18.0.1');
    assert.equal(r.kod, null);
    assert.ok(Math.abs(r.offset) < 0.5);
  } finally {
    await hostile.close();
  }
  await assert.rejects(ntpQuery('no such host!', {}), { code: 'NTP_BAD_HOST' });
});
