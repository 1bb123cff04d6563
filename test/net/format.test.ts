/** Pure pieces: ping's integer statistics and time bands, mtr's layouts and advice, the screen. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PingStats, MtrStats, pingTime, usMs, llsqrt } from '../../src/net/stats.js';
import { fmtG, fpingMs } from '../../src/net/format/ping.js';
import { reportText, reportCsv, reportJson, reportXml } from '../../src/net/format/mtr.js';
import { renderScreen } from '../../src/net/format/mtr-screen.js';
import { traceHopLine } from '../../src/net/format/trace.js';
import { advise, durationText } from '../../src/net/advice.js';
import type { MtrHop, MtrReport } from '../../src/net/mtr.js';

test('ping statistics: population mdev with integer µs as ping computes it', () => {
  const s = new PingStats();
  for (const us of [16, 20, 25, 42, 30]) s.add(us);
  const r = s.result()!;
  assert.deepEqual(r, { min: 16, avg: 26, max: 42, mdev: 9 }); // var = (3945 - 17689/5)/5 = 81
  assert.equal(
    `${usMs(r.min)}/${usMs(r.avg)}/${usMs(r.max)}/${usMs(r.mdev)}`,
    '0.016/0.026/0.042/0.009',
  );
  assert.equal(llsqrt(80), 9); // ping's Newton loop returns the last step, 9, for 80
  assert.equal(llsqrt(81), 9);
});

test('per-reply time bands and %g loss', () => {
  assert.equal(pingTime(45), '0.045');
  assert.equal(pingTime(1234), '1.23');
  assert.equal(pingTime(12345), '12.3');
  assert.equal(pingTime(123456), '123');
  assert.equal(fmtG(0), '0');
  assert.equal(fmtG(62.5), '62.5');
  assert.equal(fmtG(100 / 3), '33.3333');
  assert.equal(fpingMs(9), '0.009');
});

test('mtr statistics: sample stdev (n-1) differs from ping mdev (n) on the same list', () => {
  const m = new MtrStats();
  const p = new PingStats();
  for (const us of [100, 200, 300]) {
    m.add(us);
    p.add(us);
  }
  assert.equal(Math.round(m.stdev()), 100);
  assert.equal(p.result()!.mdev, 81);
});

function hop(ttl: number, hosts: string[], sent: number, received: number, avgMs: number): MtrHop {
  const s = avgMs / 1000;
  return {
    ttl,
    hosts,
    loss: sent ? 100 - (100 * received) / sent : 0,
    loss1000: Math.trunc(1000 * (sent ? 100 - (100 * received) / sent : 0)),
    sent,
    received,
    drop: sent - received,
    last: s,
    avg: s,
    best: s,
    worst: s,
    stdev: 0,
    gmean: s,
    jitter: 0,
    javg: 0,
    jmax: 0,
    jint: 0,
    marks: [],
    history: [s, null, s],
  };
}

function report(hops: MtrHop[], reached = true): MtrReport {
  const r: MtrReport = {
    target: '198.18.1.9',
    address: '198.18.1.9',
    protocol: 'icmp',
    packetSize: 64,
    tos: 0,
    cycles: 10,
    start: 1795557967,
    reached,
    hops,
    advice: [],
  };
  r.advice = advise(r);
  return r;
}

test('mtr report rows, 100% as 100.0, extra responders, CSV and JSON layouts', () => {
  const r = report([
    hop(1, ['198.18.1.1'], 10, 10, 0.1),
    hop(2, [], 10, 0, 0),
    hop(3, ['198.18.1.5', '198.18.1.6'], 10, 10, 1.5),
    hop(4, ['198.18.1.9'], 10, 10, 2),
  ]);
  const lines = reportText(r, { localHost: 'vm', wide: false }).split('\n');
  assert.equal(
    lines[1],
    'HOST: vm                          Loss%   Snt   Last   Avg  Best  Wrst StDev',
  );
  assert.equal(
    lines[2],
    '  1.|-- 198.18.1.1                 0.0%    10    0.1   0.1   0.1   0.1   0.0',
  );
  assert.equal(
    lines[3],
    '  2.|-- ???                       100.0    10    0.0   0.0   0.0   0.0   0.0',
  );
  assert.equal(lines[5], '    |  `|-- 198.18.1.6');
  const csv = reportCsv(r, {}).split('\n');
  assert.equal(
    csv[1],
    'MTR.0.95,1795557967,OK,198.18.1.9,1,198.18.1.1,0.00,10,0,0.10,0.10,0.10,0.10,0.00',
  );
  const js = JSON.parse(reportJson(r, { localHost: 'vm' }));
  assert.deepEqual(Object.keys(js.report.hubs[0]), [
    'count',
    'host',
    'Loss%',
    'Snt',
    'Last',
    'Avg',
    'Best',
    'Wrst',
    'StDev',
  ]);
  assert.match(reportJson(r, { localHost: 'vm' }), /"Loss%": 0\.0,/);
  assert.match(r.advice.join('\n'), /Hop 3 has 2 responders/);
  const xml = reportXml(r, { localHost: 'vm' }).split('\n');
  assert.equal(
    xml[1],
    '<MTR SRC="vm" DST="198.18.1.9" TOS="0x0" PSIZE="64" BITPATTERN="0x00" TESTS="10">',
  );
  assert.deepEqual(xml.slice(2, 5), [
    '    <HUB COUNT="1" HOST="198.18.1.1">',
    '        <Loss>  0.0%</Loss>',
    '        <Snt>    10</Snt>',
  ]);
});

test('advice: intermediate loss only = rate limiting; loss to the end = real loss', () => {
  const rl = report([hop(1, ['a'], 50, 50, 1), hop(2, ['b'], 50, 30, 2), hop(3, ['c'], 50, 50, 3)]);
  assert.match(
    rl.advice[0],
    /^Hop 2 \(b\) shows 40\.0% loss but later hops and the destination do not: that router rate-limits/,
  );
  const real = report([
    hop(1, ['a'], 50, 50, 1),
    hop(2, ['b'], 50, 40, 2),
    hop(3, ['c'], 50, 39, 3),
  ]);
  assert.match(
    real.advice.join('\n'),
    /Loss starts at hop 2 \(b\) with 20\.0% and continues to the end/,
  );
  const ok = report([hop(1, ['a'], 50, 50, 1), hop(2, ['c'], 50, 50, 1.2)]);
  assert.match(ok.advice[0], /The path looks healthy/);
  assert.match(ok.advice[0], /average 1\.2 ms, worst 1\.2 ms\./);
});

test('advice durations keep their digits: a loopback path is 0.04 ms, not 0.0', () => {
  const lo = report([hop(1, ['127.0.0.1'], 10, 10, 0.04)]);
  assert.match(lo.advice[0], /average 0\.04 ms, worst 0\.04 ms\. The path looks healthy\./);
  assert.deepEqual([0.0123, 0.001, 0.00004, 0.0000456, 0.000007, 0].map(durationText), [
    '12.3 ms',
    '1.0 ms',
    '0.04 ms',
    '0.046 ms',
    '7 µs',
    '0 ms',
  ]);
});

test('traceroute hop rows: repeated address printed once, * and marks', () => {
  assert.equal(
    traceHopLine({
      ttl: 2,
      probes: [
        { address: '198.18.0.6', rtt: 0.000171, mark: '!H' },
        { address: null, rtt: null },
        { address: '198.18.0.6', rtt: 0.0001 },
      ],
    }),
    ' 2  198.18.0.6  0.171 ms !H *  0.100 ms',
  );
  assert.equal(
    traceHopLine({
      ttl: 12,
      probes: [
        { address: null, rtt: null },
        { address: null, rtt: null },
      ],
    }),
    '12  * *',
  );
});

test('the full-screen view renders table and ping-map modes and the help page', () => {
  const r = report([hop(1, ['198.18.1.1'], 3, 2, 0.1)]);
  const base = {
    order: 'LS NABWV',
    paused: false,
    help: false,
    numeric: true,
    localHost: 'vm',
    cols: 100,
    rows: 30,
  };
  assert.match(
    renderScreen(r, { ...base, mode: 0 }),
    /Keys: {2}Help {3}Display mode {3}Restart statistics {3}Order of fields {3}quit/,
  );
  assert.match(
    renderScreen(r, { ...base, mode: 1 }),
    / 1\. 198\.18\.1\.1 +[.1-9a-z>]\?[.1-9a-z>]$/m,
  );
  assert.match(renderScreen(r, { ...base, mode: 0, help: true }), /r +reset all counters/);
});
