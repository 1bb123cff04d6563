import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { packet } from '../../src/ntp/index.js';
import { PROTOCOLS } from '../../src/amp/protocols.js';
import { monlistReplies } from './fixtures/fake-ntpd.js';

test('timestamps round-trip and refids format', () => {
  const b = packet.toNtpTimestamp(1_700_000_000.25);
  assert.equal(b.readUInt32BE(0), 1_700_000_000 + packet.NTP_UNIX_DELTA);
  assert.ok(Math.abs(packet.fromNtpTimestamp(b, 0) - 1_700_000_000.25) < 1e-6);
  assert.equal(packet.formatRefid(0, 0x52415445), 'RATE');
  assert.equal(packet.formatRefid(1, 0x47505300), 'GPS');
  assert.equal(packet.formatRefid(2, 0xc6120001), '198.18.0.1');
  assert.equal(packet.buildPrivateRequest(3, 42, 8).toString('hex'), '1700032a00000000');
  assert.equal(packet.buildPrivateRequest(3, 42, 192).length, 192);
  assert.equal(packet.buildControlRequest(2).toString('hex'), '160200010000000000000000');
});

test('monlist items decode from byte-exact replies (codes 42/20, impl 3/2)', () => {
  for (const [code, impl] of [
    [42, 3],
    [42, 2],
    [20, 3],
    [20, 2],
  ]) {
    const entries = monlistReplies(30, code, impl).flatMap((d) =>
      packet.decodeMonlistItems(packet.parsePrivateReply(d)!),
    );
    assert.equal(entries.length, 30, `${code}/${impl}`);
    assert.equal(entries[5].address, '127.0.1.5');
    assert.equal(entries[5].port, 40005);
    assert.equal(entries[5].mode, 3);
    assert.equal(entries[5].version, 4);
    assert.equal(entries[5].count, 6);
    assert.equal(entries[5].avgInterval, 69);
    assert.equal(entries[5].lastInterval, 5);
  }
});

test('decoders never throw on hostile bytes (bounded fuzz)', () => {
  const ids = { tx16: 7, tx32: 7 };
  for (let i = 0; i < 3000; i++) {
    const b = randomBytes(i % 600);
    if (i % 3 === 0 && b.length >= 8) {
      b[0] = 0x97;
      b[3] = 42;
    } // look like a monlist reply
    const p = packet.parsePrivateReply(b);
    if (p) packet.decodeMonlistItems(p);
    packet.parseControlReply(b);
    packet.parseServerPacket(b);
    for (const pr of PROTOCOLS) pr.valid(b.subarray(0, 112), b.length, ids);
  }
  // a header claiming more items than the datagram holds yields nothing, not an over-read
  const lie = Buffer.from([0x97, 0, 3, 42, 0x0f, 0xff, 0, 72, 1, 2, 3]);
  assert.deepEqual(packet.decodeMonlistItems(packet.parsePrivateReply(lie)!), []);
});
