/**
 * A load-balanced diamond: src - r1 =(r2a | r2b)= r3 - target, r1 hashing flows over both
 * next hops (L4 hash). A Paris trace keeps one flow, so each hop shows one router; --ecmp finds both.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Topology } from '../lib/netns.js';
import { hopAddresses, ours, requireTool } from './helpers.js';

const t = new Topology('lec');
let src = '';
const A = '198.18.25.6',
  B = '198.18.25.10',
  TARGET = '198.18.25.22';

before(() => {
  requireTool('traceroute');
  src = t.ns('s');
  const r1 = t.ns('r1', { router: true });
  const r2a = t.ns('ra', { router: true });
  const r2b = t.ns('rb', { router: true });
  const r3 = t.ns('r3', { router: true });
  const tg = t.ns('t');
  t.link(src, '198.18.25.1/30', r1, '198.18.25.2/30');
  t.link(r1, '198.18.25.5/30', r2a, `${A}/30`);
  t.link(r1, '198.18.25.9/30', r2b, `${B}/30`);
  t.link(r2a, '198.18.25.13/30', r3, '198.18.25.14/30');
  t.link(r2b, '198.18.25.17/30', r3, '198.18.25.18/30');
  t.link(r3, '198.18.25.21/30', tg, `${TARGET}/30`);
  t.exec(src, ['ip', 'route', 'add', 'default', 'via', '198.18.25.2']);
  t.exec(r1, ['sysctl', '-qw', 'net.ipv4.fib_multipath_hash_policy=1']);
  t.exec(r1, ['ip', 'route', 'add', '198.18.25.16/28', 'nexthop', 'via', A, 'nexthop', 'via', B]);
  for (const r of [r2a, r2b]) {
    t.exec(r, [
      'ip',
      'route',
      'add',
      '198.18.25.20/30',
      'via',
      r === r2a ? '198.18.25.14' : '198.18.25.18',
    ]);
    t.exec(r, [
      'ip',
      'route',
      'add',
      '198.18.25.0/30',
      'via',
      r === r2a ? '198.18.25.5' : '198.18.25.9',
    ]);
  }
  t.exec(r3, ['ip', 'route', 'add', 'default', 'via', '198.18.25.13']);
  t.exec(tg, ['ip', 'route', 'add', 'default', 'via', '198.18.25.21']);
});
after(() => t.destroy());

test('a Paris trace shows one router per hop on a load-balanced path', () => {
  for (let i = 0; i < 3; i++) {
    const me = ours(src, ['traceroute', '-n', '-w', '1', '-q', '4', TARGET]);
    const row2 = me.stdout.split('\n').find((l) => l.startsWith(' 2 '))!;
    const addrs = row2.match(/198\.18\.25\.\d+/g)!;
    assert.equal(
      addrs.length,
      1,
      `one address printed for hop 2 (all probes on one flow): ${row2}`,
    );
    assert.ok([A, B].includes(addrs[0]));
    assert.deepEqual(hopAddresses(me.stdout).slice(-1), [TARGET]);
  }
});

test('--ecmp lists both next hops of the load balancer', () => {
  const me = ours(src, ['traceroute', '-n', '-w', '1', '--ecmp', '16', '--json', TARGET]);
  const r = JSON.parse(me.stdout);
  const hop2 = r.hops.find((h: { ttl: number }) => h.ttl === 2);
  assert.deepEqual(hop2.addresses, [A, B].sort());
  assert.deepEqual(r.hops.find((h: { ttl: number }) => h.ttl === 4).addresses, [TARGET]);
});
