/** hostops ping against iputils ping on a namespace chain, and against a hostile responder. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Topology, chain } from '../lib/netns.js';
import { inNs, ours, oursAlongside, requireTool, root } from './helpers.js';

const t = new Topology('lpa');
let c: ReturnType<typeof chain>;
const SUMMARY =
  /^(\d+) packets transmitted, (\d+) received(, \+\d+ duplicates)?(, \+\d+ corrupted)?(, \+\d+ errors)?, ([\d.]+)% packet loss, time (\d+)ms$/m;
const RTT = /^rtt min\/avg\/max\/mdev = ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms$/m;

before(() => {
  requireTool('ping');
  requireTool('python3');
  c = chain(t, 2, 21);
});
after(() => t.destroy());

test('packet counts and RTT statistics agree with iputils ping on a 2-router path', () => {
  const args = ['-c', '20', '-i', '0.01', c.hops[2]];
  const ref = inNs(c.src, ['ping', ...args]);
  const me = ours(c.src, ['ping', ...args]);
  assert.equal(me.status, 0, me.stderr);
  const [r, m] = [ref.stdout.match(SUMMARY)!, me.stdout.match(SUMMARY)!];
  assert.ok(m, me.stdout);
  assert.equal(m[1], r[1]);
  assert.equal(m[2], r[2]);
  const mr = me.stdout.match(RTT)!.slice(1).map(Number);
  assert.ok(mr[0] <= mr[1] && mr[1] <= mr[2]);
  assert.equal(me.stdout.split('\n')[0], `PING ${c.hops[2]} (${c.hops[2]}) 56(84) bytes of data.`);
  assert.match(
    me.stdout,
    new RegExp(
      `^64 bytes from ${c.hops[2].replace(/\./g, '\\.')}: icmp_seq=1 ttl=62 time=(?:0\\.\\d{3}|[1-9]\\.\\d{2}|[1-9]\\d\\.\\d|[1-9]\\d{2,}) ms$`,
      'm',
    ),
  );
  // per-reply lines match iputils' apart from the times
  const strip = (s: string) =>
    s
      .split('\n')
      .filter((l) => l.includes('bytes from'))
      .map((l) => l.replace(/time=.*/, ''));
  assert.deepEqual(strip(me.stdout), strip(ref.stdout));
});

/** Per-reply times in µs from `time=0.052 ms` lines (iputils' layout, ours too). */
const replyTimes = (out: string) =>
  [...out.matchAll(/ time=([\d.]+) ms$/gm)].map((m) => Number(m[1]) * 1000);
/** The q-quantile of xs (nearest rank). */
const quantile = (xs: number[], q: number) =>
  [...xs].sort((x, y) => x - y)[Math.max(0, Math.ceil(q * xs.length) - 1)];

test('RTTs agree with iputils ping on a 2-router path to within what the path allows (µs)', async () => {
  // The path is ~50 µs; bench/net-rtt.ts measures the two medians within 5 µs. Here, on a shared
  // machine: 3 rounds of 100 probes each at 20 ms, the two tools running side by side in each
  // round so both see the same load (one after the other, a loaded machine's bursts gave ours a
  // p10 of 21 µs and iputils 53 µs in one CI run, the medians 59 and 61), compared by the 10th percentile (the undisturbed path; the minimum alone is
  // one sample, seen 10-25 µs below the rest on either side) and the median (stalls move it little). Ours with --send-time user takes the
  // send time as iputils does (the clock before sendto); the default kernel TX timestamp leaves out
  // the send path, so it reads lower than iputils by that path's cost.
  const args = ['-c', '100', '-i', '0.02', c.hops[2]];
  const a: number[] = [],
    b: number[] = [];
  for (let round = 0; round < 3; round++) {
    const [me, ref] = await oursAlongside(
      c.src,
      ['ping', '--send-time', 'user', ...args],
      ['ping', ...args],
    );
    assert.equal(ref.status, 0, ref.stderr);
    assert.equal(me.status, 0, me.stderr);
    b.push(...replyTimes(ref.stdout));
    a.push(...replyTimes(me.stdout));
  }
  assert.equal(a.length, 300);
  assert.equal(b.length, 300);
  const [lowA, lowB, medA, medB] = [
    quantile(a, 0.1),
    quantile(b, 0.1),
    quantile(a, 0.5),
    quantile(b, 0.5),
  ];
  const seen = `ours p10 ${lowA} median ${medA} µs, iputils p10 ${lowB} median ${medB} µs`;
  assert.ok(Math.abs(lowA - lowB) <= 10, `10th-percentile RTTs differ by more than 10 µs: ${seen}`);
  assert.ok(Math.abs(medA - medB) <= 20, `median RTTs differ by more than 20 µs: ${seen}`);
  // a clock that reads in ms (or a constant) would pass a loose bound but not this
  assert.ok(medA > 0 && medA < 1000 && new Set(a).size > 3, seen);
});

test('large payloads (fragmented on the 1500-byte path) are received whole, as with iputils', () => {
  const args = ['-c', '2', '-i', '0.05', '-s', '3000', c.hops[2]];
  const strip = (x: string) =>
    x
      .split('\n')
      .filter((l) => l.includes('bytes from'))
      .map((l) => l.replace(/time=.*/, ''));
  const me = ours(c.src, ['ping', ...args]);
  assert.deepEqual(strip(me.stdout), strip(inNs(c.src, ['ping', ...args]).stdout));
  assert.match(me.stdout, /^3008 bytes from /m);
});

test('loss on the path: both tools see a binomially consistent share', () => {
  t.loss(`${t.prefix}r1`, 30, 'icmp type echo-request', 'forward');
  try {
    const args = ['-c', '60', '-i', '0.005', '-W', '1', c.hops[2]];
    const ref = inNs(c.src, ['ping', '-q', ...args]);
    const me = ours(c.src, ['ping', '-q', ...args]);
    const rr = Number(ref.stdout.match(SUMMARY)![2]);
    const mr = Number(me.stdout.match(SUMMARY)![2]);
    // each ~ Binomial(60, 0.7): sd of the difference ~5; allow 4 sd
    assert.ok(Math.abs(rr - mr) <= 20, `received: ours ${mr}, iputils ${rr}`);
    assert.ok(mr >= 25 && mr <= 58, `ours received ${mr} of 60`);
  } finally {
    t.exec(`${t.prefix}r1`, ['nft', 'delete', 'table', 'inet', 'hoemu_forward']);
  }
});

test('TTL exceeded is reported as ping does (From x icmp_seq=1 Time to live exceeded, +errors)', () => {
  const me = ours(c.src, ['ping', '-c', '2', '-i', '0.05', '-t', '1', c.hops[2]]);
  const ref = inNs(c.src, ['ping', '-c', '2', '-i', '0.05', '-t', '1', c.hops[2]]);
  assert.equal(me.status, 1);
  assert.match(
    me.stdout,
    new RegExp(`^From ${c.hops[0].replace(/\./g, '\\.')} icmp_seq=1 Time to live exceeded$`, 'm'),
  );
  assert.equal(
    me.stdout.match(SUMMARY)![0],
    ref.stdout.match(SUMMARY)![0].replace(/time \d+ms/, me.stdout.match(/time \d+ms/)![0]),
  );
});

test('-O reports missing replies and -D stamps lines, as iputils does', () => {
  const r1 = `${t.prefix}r1`;
  t.exec(r1, ['ip', 'route', 'add', 'blackhole', '198.18.21.250/32']);
  const args = ['-O', '-c', '3', '-i', '0.1', '-W', '0.3', '198.18.21.250'];
  const ref = inNs(c.src, ['ping', ...args]);
  const me = ours(c.src, ['ping', ...args]);
  const noans = (x: string) => x.split('\n').filter((l) => l.startsWith('no answer yet'));
  assert.deepEqual(noans(me.stdout), noans(ref.stdout));
  assert.deepEqual(noans(me.stdout), [
    'no answer yet for icmp_seq=1',
    'no answer yet for icmp_seq=2',
  ]);
  assert.equal(me.status, 1);
  assert.match(me.stdout, /3 packets transmitted, 0 received, 100% packet loss/);
  const d = ours(c.src, ['ping', '-D', '-c', '1', c.hops[0]]);
  assert.match(
    d.stdout,
    /^\[\d{10}\.\d{6}\] 64 bytes from 198\.18\.21\.2: icmp_seq=1 ttl=64 time=[\d.]+ ms$/m,
  );
});

test('many targets at once, fping style, one summary per target', () => {
  const me = ours(c.src, ['ping', '-c', '3', '-i', '0.02', ...c.hops]);
  assert.equal(me.status, 0, me.stderr);
  for (const h of c.hops) {
    assert.match(
      me.stderr,
      new RegExp(
        `^${h.replace(/\./g, '\\.')}\\s* : xmt/rcv/%loss = 3/3/0%, min/avg/max = [\\d.]+/[\\d.]+/[\\d.]+$`,
        'm',
      ),
    );
    // a reply read after its 500 ms timeout (a loaded machine) adds a "timed out" line before the
    // reply line, as fping 5.1 prints it too; the replies themselves are exactly 3
    const replies = me.stdout
      .split('\n')
      .filter((l) => l.startsWith(h + ' ') && !/timed out/.test(l));
    assert.equal(replies.length, 3, me.stdout);
  }
  // the same targets through the real fping 5.1: the same lines, apart from the times
  requireTool('fping');
  const fp = inNs(c.src, ['fping', '-c', '3', '-p', '20', ...c.hops]);
  assert.equal(fp.status, 0, fp.stderr);
  const mask = (x: string) =>
    x
      .split('\n')
      .filter((l) => l.includes(' : '))
      .map((l) => l.replace(/ : .*/, (v) => v.replace(/\d+\.\d+/g, 'T')))
      .sort();
  assert.equal(mask(fp.stderr).length, c.hops.length);
  assert.deepEqual(mask(me.stderr), mask(fp.stderr), 'summaries (stderr) as fping prints them');
  const replyLines = (x: string) => mask(x).filter((l) => !/timed out/.test(l));
  assert.equal(replyLines(fp.stdout).length, 3 * c.hops.length);
  assert.deepEqual(
    replyLines(me.stdout),
    replyLines(fp.stdout),
    'per-reply lines (stdout) as fping prints them',
  );
  const js = JSON.parse(ours(c.src, ['ping', '--json', '-c', '2', '-i', '0.02', ...c.hops]).stdout);
  assert.equal(js.length, 3);
  assert.ok(
    js.every(
      (s: { received: number; rtts: number[] }) =>
        s.received === 2 && s.rtts.every((x) => x > 0 && x < 1),
    ),
  );
});

test('IPv6 loopback and the datagram (ping_group_range) socket', () => {
  const me = ours(c.src, ['ping', '-c', '2', '-i', '0.02', '::1']);
  assert.equal(me.stdout.split('\n')[0], 'PING ::1(::1) 56 data bytes');
  assert.match(me.stdout, /2 packets transmitted, 2 received, 0% packet loss/);
  const dg = ours(c.src, ['ping', '--mode', 'dgram', '-c', '2', '-i', '0.02', c.hops[0]]);
  assert.match(dg.stdout, /2 packets transmitted, 2 received, 0% packet loss/);
});

test('hostile replies (truncated, wrong source, foreign id, bad cookie, duplicate, late) are never counted as ours', async () => {
  const h = new Topology('lph');
  try {
    const a = h.ns('a');
    const b = h.ns('b');
    h.link(a, '198.18.22.1/24', b, '198.18.22.2/24');
    h.exec(b, ['ip', 'addr', 'add', '198.18.22.3/24', 'dev', `${h.prefix.slice(0, 8)}b0`]);
    h.exec(b, ['sysctl', '-qw', 'net.ipv4.icmp_echo_ignore_all=1']);
    const responder = h.spawn(b, [
      'python3',
      path.join(root, 'test/net/fixtures/hostile-responder.py'),
      '198.18.22.3',
    ]);
    await new Promise<void>((resolve, reject) => {
      responder.stdout!.once('data', () => resolve());
      responder.once('exit', (code) => reject(new Error(`hostile responder exited (${code})`)));
    });
    // -W 1: the reply to seq 7 comes 2 s late, while the run is still going (seqs 8-14 are good)
    const me = ours(a, ['ping', '-c', '14', '-i', '0.3', '-W', '1', '198.18.22.2']);
    responder.kill();
    const m = me.stdout.match(SUMMARY);
    assert.ok(m, me.stdout + me.stderr);
    assert.equal(m[1], '14');
    assert.equal(m[2], '9', me.stdout); // seq 1, 4 and 8-14 only
    assert.match(m[0], /, \+1 duplicates,/);
    assert.match(me.stdout, /icmp_seq=4 ttl=64 time=[\d.]+ ms \(DUP!\)/);
    assert.match(me.stdout, /icmp_seq=2 .*\(truncated\)/);
    for (const seq of [3, 5, 6, 7]) assert.doesNotMatch(me.stdout, new RegExp(`icmp_seq=${seq} `));
  } finally {
    h.destroy();
  }
});

test('unprivileged: ICMP datagram sockets where ping_group_range allows, UDP traceroute always', () => {
  const nobody = [
    'setpriv',
    '--reuid=65534',
    '--regid=65534',
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    process.execPath,
    path.join(root, 'bin/hostops.js'),
  ];
  const p = inNs(c.src, [...nobody, 'ping', '-c', '2', '-i', '0.05', c.hops[2]]);
  assert.match(p.stdout, /2 packets transmitted, 2 received, 0% packet loss/, p.stderr);
  const tr = inNs(c.src, [...nobody, 'traceroute', '-n', '-w', '1', c.hops[2]]);
  assert.equal(tr.status, 0, tr.stderr);
  assert.deepEqual(
    tr.stdout
      .split('\n')
      .slice(1, 4)
      .map((l) => l.trim().split(/\s+/)[1]),
    c.hops,
  );
});

test('a missing permission is exit 3 with what to grant', () => {
  t.exec(c.target, ['sysctl', '-qw', 'net.ipv4.ping_group_range=1 0']);
  const r = inNs(c.target, [
    'setpriv',
    '--reuid=65534',
    '--regid=65534',
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    process.execPath,
    path.join(root, 'bin/hostops.js'),
    'ping',
    '-c',
    '1',
    '127.0.0.1',
  ]);
  assert.equal(r.status, 3, r.stdout + r.stderr);
  assert.match(r.stderr, /CAP_NET_RAW|ping_group_range/);
  assert.match(r.stderr, /setcap cap_net_raw\+ep/);
});
