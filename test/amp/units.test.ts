import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildTargets,
  countAddresses,
  parseRange,
  runScan,
  PROTOCOLS,
  selectProtocols,
} from '../../src/amp/index.js';
import { summarize, type AmpFinding } from '../../src/amp/scan.js';

test('targets: CIDR, single address, ranges, excludes, refusal', async () => {
  assert.deepEqual(parseRange('198.18.64.0/20'), { lo: 0xc6124000, hi: 0xc6124fff });
  assert.equal(
    countAddresses(buildTargets(['198.18.64.0/24'], ['198.18.64.128/25', '198.18.64.7'])),
    127,
  );
  assert.equal(countAddresses(buildTargets(['198.18.64.1-198.18.64.10', '198.18.64.5/32'])), 10);
  assert.throws(() => parseRange('198.18.64.0/33'), { code: 'AMP_BAD_TARGET' });
  assert.throws(() => parseRange('2001:db8::/64'), { code: 'AMP_BAD_TARGET' });
  assert.throws(() => parseRange('example.com'), { code: 'AMP_BAD_TARGET' });
  await assert.rejects(runScan([]), { code: 'AMP_NO_TARGETS' });
  await assert.rejects(runScan(['198.18.0.0/15']), { code: 'AMP_TOO_MANY' });
  await assert.rejects(runScan(['198.18.64.0/30'], { exclude: ['198.18.64.0/30'] }), {
    code: 'AMP_NO_TARGETS',
  });
  await assert.rejects(runScan(['198.18.64.1'], { protocols: 'ntp,bogus' }), {
    code: 'AMP_BAD_PROTOCOL',
  });
  assert.deepEqual(
    selectProtocols('ntp').map((p) => p.name),
    ['ntp-monlist', 'ntp-mode6'],
  );
});

test('probes: sizes and framing', () => {
  const ids = { tx16: 0xbeef, tx32: 0x01020304 };
  const size = Object.fromEntries(PROTOCOLS.map((p) => [p.name, p.build(ids)]));
  assert.equal(size['ntp-monlist'].subarray(0, 4).toString('hex'), '1700032a');
  assert.equal(size['ntp-monlist'].length, 48);
  assert.equal(size['ntp-mode6'].toString('hex'), '160200010000000000000000');
  assert.equal(size.dns.length, 28);
  assert.equal(size.dns.readUInt16BE(0), 0xbeef);
  assert.equal(size.netbios.length, 50);
  assert.equal(size.portmap.length, 40);
  assert.equal(size.portmap.readUInt32BE(0), 0x01020304);
  assert.equal(size.memcached.toString('latin1', 8), 'stats\r\n');
  for (const n of ['snmp', 'cldap']) {
    const b = size[n];
    assert.equal(b[0], 0x30);
    assert.equal(b[1], b.length - 2, `${n} BER length`);
  }
  assert.ok(size.snmp.includes(Buffer.from('public')));
  // validators refuse what is not an answer
  const dns = PROTOCOLS.find((p) => p.name === 'dns')!;
  const reply = Buffer.alloc(40);
  reply.writeUInt16BE(0xbeef, 0);
  reply[2] = 0x81;
  assert.equal(dns.valid(reply, 40, ids), true);
  reply.writeUInt16BE(0xbeee, 0);
  assert.equal(dns.valid(reply, 40, ids), false);
  assert.equal(dns.valid(Buffer.alloc(3), 3, ids), false);
});

test('abort stops sending and reports a partial scan (loopback targets, nothing answers)', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 150);
  const r = await runScan(['127.0.3.0/24'], {
    rate: 500,
    waitMs: 50,
    signal: ac.signal,
    protocols: 'dns,ntp',
  });
  assert.equal(r.aborted, true);
  assert.ok(r.sent > 0 && r.sent < r.probes, `sent ${r.sent} of ${r.probes}`);
  assert.deepEqual(r.findings, []);
});

test('summary of a /14 of responders: no call-stack overflow (Math.max spread threw at 200,000)', () => {
  const dns = PROTOCOLS.filter((p) => p.name === 'dns');
  const f = (i: number): AmpFinding => ({
    address: `198.18.${i >> 8}.${i & 255}`,
    protocol: 'dns',
    port: 53,
    requestBytes: 28,
    requestPackets: 1,
    replyBytes: 1200,
    replyPackets: 1,
    factor: i === 7 ? 50 : 42.86,
    frameFactor: 17.74,
    packetFactor: 1,
    invalidPackets: 0,
    verdict: 'amplifier',
  });
  const findings = Array.from({ length: 200_000 }, (_, i) => f(i));
  const [s] = summarize(dns, findings);
  assert.deepEqual(
    [s.protocol, s.responders, s.amplifiers, s.maxFactor],
    ['dns', 200_000, 200_000, 50],
  );
});
