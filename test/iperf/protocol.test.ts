/** Unit checks of the pieces that must match iperf3 exactly: units, %g, cookie, ids, UDP accounting, params. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatUnit, parseSize } from '../../src/iperf/units.js';
import { cfmtG } from '../../src/iperf/text.js';
import { isPlausibleCookie, makeCookie } from '../../src/iperf/cookie.js';
import { StreamStats, signedNumber, streamId, parsePeerStreams } from '../../src/iperf/stream.js';
import { ParamError, fromWire, toWire, defaultSettings } from '../../src/iperf/params.js';
import { clientHeader, parseHeader } from '../../src/iperf/iperf2/header.js';

test('units follow unit_snprintf: 1024-based bytes, 1000-based bits, 4 places', () => {
  assert.equal(formatUnit(2.55 * 1024 ** 3, 'A'), '2.55 GByte');
  assert.equal(formatUnit(293 * 1024 ** 2, 'A'), ' 293 MByte');
  assert.equal(formatUnit(21.9e9 / 8, 'a'), '21.9 Gbit');
  assert.equal(formatUnit(100e6 / 8, 'a'), ' 100 Mbit');
  assert.equal(formatUnit(0, 'A'), '0.00 Byte');
  assert.equal(formatUnit(1023.9 * 1024, 'A'), '1024 KByte');
  assert.equal(parseSize('128K', 'bytes'), 131072);
  assert.equal(parseSize('1G', 'rate'), 1e9);
  assert.ok(Number.isNaN(parseSize('12x', 'rate')));
});

test('loss percentage uses C %.2g', () => {
  assert.equal(cfmtG(0), '0');
  assert.equal(cfmtG(0.71), '0.71');
  assert.equal(cfmtG(12.345), '12');
  assert.equal(cfmtG(100), '1e+02');
  assert.equal(cfmtG(0.0123), '0.012');
  assert.equal(cfmtG(0.00001234), '1.2e-05');
});

test('cookies are 36 base32 characters and a NUL', () => {
  const c = makeCookie();
  assert.equal(c.length, 37);
  assert.equal(c[36], 0);
  assert.match(c.subarray(0, 36).toString('latin1'), /^[a-z2-7]{36}$/);
  assert.ok(isPlausibleCookie(c));
  const bad = Buffer.from(c);
  bad[3] = 0x01;
  assert.ok(!isPlausibleCookie(bad));
  assert.ok(!isPlausibleCookie(Buffer.alloc(37, 0x41)), 'no NUL at the end');
});

test('stream ids are 1, 3, 4, 5 (never 2) and 3.12 -1 values parse as -1', () => {
  assert.deepEqual([0, 1, 2, 3].map(streamId), [1, 3, 4, 5]);
  assert.equal(signedNumber(18446744073709551615), -1);
  assert.equal(signedNumber(12), 12);
  const m = parsePeerStreams({
    streams: [
      { id: 1, bytes: 10, retransmits: 18446744073709551615, jitter: 0, errors: 0, packets: 0 },
    ],
  });
  assert.equal(m.get(1)!.retransmits, -1);
  assert.throws(() => parsePeerStreams({ streams: [{ id: 1 }] }), /lacks/);
});

test('UDP receiver accounting: gaps are losses, late packets undo one and count out of order', () => {
  const st = new StreamStats(1, false, 5);
  const t = 100;
  for (const seq of [1, 2, 4, 3, 5, 9]) st.udpReceived(100, seq, t, 0, t + 0.001);
  assert.equal(st.packets, 9, 'packet count is the highest sequence seen');
  assert.equal(st.outOfOrder, 1);
  assert.equal(st.errors, 3, '1 gap (3) undone by its late arrival, then 6,7,8 lost');
  assert.equal(st.jitter, 0, 'constant transit time means no jitter');
  st.udpReceived(100, 10, t, 0, t + 0.0026);
  assert.ok(Math.abs(st.jitter - 0.0016 / 16) < 1e-12, 'RFC 1889: J += (|D| - J) / 16');
});

test('params round-trip and the server checks ranges and types', () => {
  const s = defaultSettings({
    protocol: 'udp',
    parallel: 3,
    bitrate: 5e6,
    reverse: true,
    udp64: true,
  });
  const w = toWire(s);
  assert.equal(w.udp, true);
  assert.equal(w.udp_counters_64bit, 1);
  const lim = { maxDuration: 3600, maxParallel: 128, maxBitrate: 0 };
  const back = fromWire(JSON.parse(JSON.stringify(w)), lim);
  assert.equal(back.parallel, 3);
  assert.equal(back.reverse, true);
  assert.equal(back.bitrate, 5e6);
  const err = (j: Record<string, unknown>) => {
    try {
      fromWire(j, lim);
      return 0;
    } catch (e) {
      return (e as ParamError).ierrno;
    }
  };
  assert.equal(err({ tcp: true, parallel: 129 }), 6);
  assert.equal(err({ tcp: true, time: 7200 }), 24, 'longer than the server max duration');
  assert.equal(err({ tcp: true, len: 2 * 1024 * 1024 }), 7);
  assert.equal(err({ udp: true, len: 8 }), 7);
  assert.equal(err({ tcp: true, reverse: 'yes' }), 114);
  assert.equal(
    err({ tcp: true, authtoken: 'x' }),
    0,
    'a server without authentication ignores a token, as iperf3',
  );
  assert.equal(err({ tcp: true, bandwidth: 1e9, parallel: 2 }), 0);
  assert.equal(
    (() => {
      try {
        fromWire({ tcp: true, bandwidth: 1e9 }, { ...lim, maxBitrate: 1e8 });
        return 0;
      } catch (e) {
        return (e as ParamError).ierrno;
      }
    })(),
    27,
  );
});

test('iperf2 header carries thread count, port and the time in 10 ms units', () => {
  const h = clientHeader({ threads: 2, port: 5001, duration: 1 });
  assert.equal(h.readUInt32BE(0), 0x40010078);
  assert.equal(h.readInt32BE(20), -100);
  assert.deepEqual(parseHeader(h), { threads: 2 });
  assert.equal(parseHeader(Buffer.alloc(60)), null);
});
