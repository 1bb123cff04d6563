// Pins of every caller's unit parsing, written against the three old parsers before they were
// switched to src/lib/units.ts: the switch must not change a single result or error code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration as configDuration } from '../../src/config/units.js';
import {
  parseDuration as mailqDuration,
  parseSize as mailqSize,
  parseTimePoint as mailqTimePoint,
} from '../../src/mailq/duration.js';
import {
  parseBytes as capBytes,
  parseDuration as capDuration,
  parseRate as capRate,
} from '../../src/capacity/units.js';
import {
  parseDuration as parseDurationText,
  parseRate as parseRateText,
  parseSize as parseSizeText,
} from '../../src/lib/units.js';
import { parseDuration as probeDuration } from '../../src/probe/common.js';

test('config durations: seconds, ms, composites, null on garbage', () => {
  const ok: [string | number, number][] = [
    ['20s', 20],
    ['5m', 300],
    ['1h30m', 5400],
    ['2d', 172800],
    ['1w', 604800],
    ['500ms', 0.5],
    ['1.5m', 90],
    ['90', 90],
    ['2.5', 2.5],
    [' 30s ', 30],
    ['5 m', 300],
    ['1h30m15s250ms', 5415.25],
    [0, 0],
    [7.5, 7.5],
  ];
  for (const [v, want] of ok) assert.equal(configDuration(v), want, JSON.stringify(v));
  for (const v of ['', '5x', 's', '-5s', '5s-', 'abc', '1h 30', '5s5'])
    assert.equal(configDuration(v), null, JSON.stringify(v));
  for (const v of [-1, Number.NaN, Number.POSITIVE_INFINITY]) assert.equal(configDuration(v), null);
});

test('mailq durations: seconds, rounded, s/m/h/d/w any case, usage error otherwise', () => {
  const ok: [string, number][] = [
    ['90', 90],
    ['90s', 90],
    ['30m', 1800],
    ['2h', 7200],
    ['3d', 259200],
    ['1w', 604800],
    ['2H', 7200],
    ['1.5m', 90],
    ['0.4', 0],
    ['1.6s', 2],
    [' 10m ', 600],
  ];
  for (const [v, want] of ok) assert.equal(mailqDuration(v), want, v);
  for (const v of ['', 'x', '5x', '-5m', 'm'])
    assert.throws(() => mailqDuration(v), {
      code: 'MAILQ_BAD_DURATION',
      message: `not a duration: ${JSON.stringify(v)}`,
    });
});

test('mailq sizes: bytes, K/M/G are 1024 powers with or without B, rounded', () => {
  const ok: [string, number][] = [
    ['100', 100],
    ['10k', 10240],
    ['10K', 10240],
    ['10KB', 10240],
    ['10kb', 10240],
    ['2M', 2097152],
    ['3.5GB', 3.5 * 2 ** 30],
    ['1.5k', 1536],
    ['0.3k', 307],
    ['7b', 7],
    [' 1m ', 1048576],
  ];
  for (const [v, want] of ok) assert.equal(mailqSize(v), want, v);
  for (const v of ['', 'k', '5x', '-1k'])
    assert.throws(() => mailqSize(v), {
      code: 'MAILQ_BAD_SIZE',
      message: `not a size: ${JSON.stringify(v)}`,
    });
});

test('capacity sizes: G and GiB are 1024 powers, an explicit GB is 10^9', () => {
  const ok: [string | number, number][] = [
    [4096, 4096],
    ['4096', 4096],
    ['4GiB', 4 * 2 ** 30],
    ['4G', 4 * 2 ** 30],
    ['4g', 4 * 2 ** 30],
    ['4Gi', 4 * 2 ** 30],
    ['3.5GB', 3.5e9],
    ['3.5gb', 3.5e9],
    ['512MiB', 512 * 2 ** 20],
    ['2048M', 2048 * 2 ** 20],
    ['1T', 2 ** 40],
    ['1P', 2 ** 50],
    ['2KB', 2000],
    ['.5G', 2 ** 29],
    ['1e3', 1000],
    ['1e3K', 1024000],
    [' 4 GiB ', 4 * 2 ** 30],
    ['7B', 7],
  ];
  for (const [v, want] of ok) assert.equal(capBytes(v), want, JSON.stringify(v));
  const want = (v: unknown) =>
    typeof v === 'string'
      ? `Cannot read ram: ${JSON.stringify(v)} is not a size such as "4GiB", "3.5GB" or "512MiB"`
      : `Cannot read ram: ${JSON.stringify(v)} is not a size such as "4GiB" or a number of bytes`;
  for (const v of ['', 'G', '4X', '-4G', '4 G B', null, -1, true])
    assert.throws(() => capBytes(v, 'ram'), { code: 'CAPACITY_BAD_UNIT', message: want(v) });
});

test('capacity rates: bit/s with 1000 powers, Ki/Mi/Gi 1024, B/s x8, GbE', () => {
  const ok: [string | number, number][] = [
    [1e9, 1e9],
    ['1Gbit/s', 1e9],
    ['1 Gbps', 1e9],
    ['100M', 1e8],
    ['100m', 1e8],
    ['10GbE', 1e10],
    ['125MB/s', 1e9],
    ['125MBps', 1e9],
    ['125MB', 1e9],
    ['1Mb', 1e6],
    ['1Mbit', 1e6],
    ['2kbits/s', 2000],
    ['1Gib/s', 2 ** 30],
    ['1Mi', 2 ** 20],
    ['1.5e3k', 1.5e6],
    ['500', 500],
    ['1T', 1e12],
    ['1P', 1e15],
  ];
  for (const [v, want] of ok) assert.equal(capRate(v), want, JSON.stringify(v));
  for (const v of ['', 'G', '1Xbit/s', '-1G', '1 G bit/s x'])
    assert.throws(() => capRate(v, 'capacity'), {
      code: 'CAPACITY_BAD_UNIT',
      message: `Cannot read capacity: ${JSON.stringify(v)} is not a rate such as "1Gbit/s", "100Mbps" or "125MB/s"`,
    });
  assert.throws(() => capRate(null, 'capacity'), {
    code: 'CAPACITY_BAD_UNIT',
    message: 'Cannot read capacity: null is not a rate such as "1Gbit/s" or a number of bit/s',
  });
});

test('capacity durations: seconds, s/m/min/h/d/w any case, no ms', () => {
  const ok: [string | number, number][] = [
    [300, 300],
    ['300', 300],
    ['300s', 300],
    ['5m', 300],
    ['5min', 300],
    ['5MIN', 300],
    ['1h', 3600],
    ['2d', 172800],
    ['1w', 604800],
    ['.5h', 1800],
    [' 5 m ', 300],
  ];
  for (const [v, want] of ok) assert.equal(capDuration(v), want, JSON.stringify(v));
  for (const v of ['', 'm', '5x', '-5m', null])
    assert.throws(() => capDuration(v, 'step'), {
      code: 'CAPACITY_BAD_UNIT',
      message: `Cannot read step: ${JSON.stringify(v)} is not a duration such as "300", "5m", "1h" or "2d"`,
    });
});

test('lib/units durations: one grammar, out and bare units, typed failure', () => {
  assert.deepEqual(parseDurationText('1h30m'), { ok: true, value: 5400 });
  assert.deepEqual(parseDurationText('1h 30m 15s'), { ok: true, value: 5415 });
  assert.deepEqual(parseDurationText('2s', { out: 'ms' }), { ok: true, value: 2000 });
  assert.deepEqual(parseDurationText('500ms', { out: 'ms' }), { ok: true, value: 500 });
  assert.deepEqual(parseDurationText('1m30s', { out: 'ms' }), { ok: true, value: 90_000 });
  assert.deepEqual(parseDurationText('2000', { out: 'ms' }), { ok: true, value: 2000 });
  assert.deepEqual(parseDurationText('90', { out: 's', bare: 'm' }), { ok: true, value: 5400 });
  assert.deepEqual(parseDurationText('5MIN'), { ok: true, value: 300 });
  assert.deepEqual(parseDurationText('.5h'), { ok: true, value: 1800 });
  for (const v of ['', '5x', '-2s', '1h30', '2 s s', 'ms', '1e3s'])
    assert.deepEqual(parseDurationText(v), { ok: false, kind: 'duration', input: v });
});

test('lib/units sizes: K/M/G 1024 powers, KB/MB/GB SI unless binary', () => {
  assert.deepEqual(parseSizeText('3.5GB'), { ok: true, value: 3.5e9 });
  assert.deepEqual(parseSizeText('3.5GB', { kb: 'binary' }), { ok: true, value: 3.5 * 2 ** 30 });
  assert.deepEqual(parseSizeText('3.5GiB'), { ok: true, value: 3.5 * 2 ** 30 });
  assert.deepEqual(parseSizeText('10k'), { ok: true, value: 10240 });
  assert.deepEqual(parseSizeText('1t', { kb: 'binary' }), { ok: true, value: 2 ** 40 });
  for (const v of ['', '4X', '4i', '4ib', 'K'])
    assert.deepEqual(parseSizeText(v), { ok: false, kind: 'size', input: v });
});

test('lib/units rates: bit/s, 1000 powers as iperf3, bytes x8', () => {
  assert.deepEqual(parseRateText('10M'), { ok: true, value: 1e7 });
  assert.deepEqual(parseRateText('1G'), { ok: true, value: 1e9 });
  assert.deepEqual(parseRateText('10GbE '), { ok: true, value: 1e10 });
  assert.deepEqual(parseRateText('1KB/s'), { ok: true, value: 8000 });
  for (const v of ['', '5i', '1 Gbit/sec', 'fast'])
    assert.deepEqual(parseRateText(v), { ok: false, kind: 'rate', input: v });
});

test('probe durations: milliseconds, bare number is ms, 1ms..600s, BAD_OPTION otherwise', () => {
  const ok: [string, number][] = [
    ['2s', 2000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['250', 250],
    [' 10s ', 10_000],
    ['600s', 600_000],
  ];
  for (const [v, want] of ok) assert.equal(probeDuration(v, '--timeout'), want, v);
  for (const v of ['', '0', '0.5', '601s', 'x', '-1s', '2x'])
    assert.throws(() => probeDuration(v, '--timeout'), {
      code: 'BAD_OPTION',
      message: `--timeout must be a duration 1ms..600s like 2s or 500ms, got ${JSON.stringify(v)}`,
    });
});

test('mailq --since/--until: a duration means that long ago, a date stays a date', () => {
  const now = Date.UTC(2026, 0, 2);
  assert.equal(mailqTimePoint('2h', now).getTime(), now - 7200_000);
  assert.equal(mailqTimePoint('90', now).getTime(), now - 90_000);
  assert.equal(mailqTimePoint('1h30m', now).getTime(), now - 5400_000);
  assert.equal(mailqTimePoint('2026-01-01', now).toISOString(), '2026-01-01T00:00:00.000Z');
  assert.throws(() => mailqTimePoint('soon', now), { code: 'MAILQ_BAD_TIME' });
});
