/** IPv6 on a namespace path (2001:2::/48, the IPv6 benchmarking range): hops, hop-limit errors, marks. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../lib/netns.js';
import { hopAddresses, hopMarks, inNs, ours, requireTool } from './helpers.js';

const t = new Topology('l6');
let s = '';
const R1 = '2001:2:0:1::2',
  R2 = '2001:2:0:2::2',
  TG = '2001:2:0:3::2',
  UNREACH = '2001:2:0:9::1';

before(() => {
  requireTool('traceroute');
  requireTool('ping');
  s = t.ns('s');
  const r1 = t.ns('r1', { router: true });
  const r2 = t.ns('r2', { router: true });
  const tg = t.ns('t');
  for (const n of [s, r1, r2, tg]) {
    // no duplicate address detection delay, and no ICMPv6 rate limit for a fair comparison
    t.exec(n, [
      'sysctl',
      '-qw',
      'net.ipv6.conf.default.accept_dad=0',
      'net.ipv6.conf.all.accept_dad=0',
      'net.ipv6.icmp.ratelimit=0',
    ]);
  }
  t.link(s, '2001:2:0:1::1/64', r1, `${R1}/64`);
  t.link(r1, '2001:2:0:2::1/64', r2, `${R2}/64`);
  t.link(r2, '2001:2:0:3::1/64', tg, `${TG}/64`);
  t.exec(s, ['ip', '-6', 'route', 'add', 'default', 'via', R1]);
  t.exec(r1, ['ip', '-6', 'route', 'add', 'default', 'via', R2]);
  t.exec(r2, ['ip', '-6', 'route', 'add', '2001:2:0:1::/64', 'via', '2001:2:0:2::1']);
  t.exec(r2, ['ip', '-6', 'route', 'add', 'unreachable', '2001:2:0:9::/64']);
  t.exec(tg, ['ip', '-6', 'route', 'add', 'default', 'via', '2001:2:0:3::1']);
});
after(() => t.destroy());

for (const [flag, label] of [
  [[], 'UDP'],
  [['-I'], 'ICMPv6'],
  [['-T'], 'TCP'],
] as const) {
  test(`${label} over IPv6: the same hops as traceroute`, () => {
    const ref = inNs(s, ['traceroute', '-6', '-n', '-w', '1', ...flag, TG]);
    const me = ours(s, ['traceroute', '-6', '-n', '-w', '1', ...flag, TG]);
    assert.equal(me.status, 0, me.stderr);
    assert.deepEqual(
      hopAddresses(me.stdout),
      hopAddresses(ref.stdout),
      `ours:\n${me.stdout}\nreal:\n${ref.stdout}`,
    );
    assert.deepEqual(hopAddresses(me.stdout), [R1, R2, TG]);
  });
}

test('an unreachable IPv6 route ends with the same row and mark as traceroute', () => {
  const ref = inNs(s, ['traceroute', '-6', '-n', '-w', '1', '-q', '1', '-N', '1', UNREACH]);
  const me = ours(s, ['traceroute', '-6', '-n', '-w', '1', '-q', '1', '-N', '1', UNREACH]);
  assert.deepEqual(
    hopAddresses(me.stdout),
    hopAddresses(ref.stdout),
    `ours:\n${me.stdout}\nreal:\n${ref.stdout}`,
  );
  assert.deepEqual(hopMarks(me.stdout), hopMarks(ref.stdout));
});

test("ping -6 with hop limit 1 prints the router's error as iputils does", () => {
  const ref = inNs(s, ['ping', '-6', '-c', '1', '-t', '1', TG]);
  const me = ours(s, ['ping', '-6', '-c', '1', '-t', '1', TG]);
  const line = (x: string) => x.split('\n').find((l) => l.startsWith('From '));
  assert.equal(line(me.stdout), line(ref.stdout));
  assert.match(me.stdout, /1 packets transmitted, 0 received, \+1 errors, 100% packet loss/);
  const ok = ours(s, ['ping', '-c', '3', '-i', '0.02', TG]);
  assert.match(ok.stdout, /3 packets transmitted, 3 received, 0% packet loss/);
  assert.match(ok.stdout, /^64 bytes from 2001:2:0:3::2: icmp_seq=1 ttl=62 time=/m);
});

test('mtr over IPv6 lists the same hops', () => {
  const me = JSON.parse(ours(s, ['mtr', '-6', '-n', '-j', '-c', '3', '-i', '0.05', TG]).stdout);
  assert.deepEqual(
    me.report.hubs.map((h: { host: string }) => h.host),
    [R1, R2, TG],
  );
});
