/** hostops traceroute against Linux traceroute on a namespace chain: same hops, same marks. */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Topology, chain } from '../lib/netns.js';
import { hopAddresses, hopMarks, inNs, ours, requireTool } from './helpers.js';

const t = new Topology('ltr');
let c: ReturnType<typeof chain>;
const unreach = '198.18.20.200';
const black = '198.18.20.201';
const prohib = '198.18.20.202';

before(() => {
  requireTool('traceroute');
  c = chain(t, 3, 20);
  const r2 = `${t.prefix}r2`;
  t.exec(r2, ['ip', 'route', 'add', 'unreachable', `${unreach}/32`]);
  t.exec(r2, ['ip', 'route', 'add', 'blackhole', `${black}/32`]);
  t.exec(r2, ['ip', 'route', 'add', 'prohibit', `${prohib}/32`]);
});
after(() => t.destroy());

for (const [flag, label] of [
  [[], 'UDP'],
  [['-I'], 'ICMP'],
  [['-T'], 'TCP'],
] as const) {
  test(`${label}: the same hop addresses as traceroute`, () => {
    const ref = inNs(c.src, ['traceroute', '-n', '-w', '1', ...flag, c.hops[3]]);
    const me = ours(c.src, ['traceroute', '-n', '-w', '1', ...flag, c.hops[3]]);
    assert.equal(me.status, 0, me.stderr);
    assert.deepEqual(
      hopAddresses(me.stdout),
      hopAddresses(ref.stdout),
      `ours:\n${me.stdout}\nreal:\n${ref.stdout}`,
    );
    assert.deepEqual(hopAddresses(me.stdout), c.hops);
    assert.match(
      me.stdout.split('\n')[0],
      new RegExp(
        `^traceroute to ${c.hops[3].replace(/\./g, '\\.')} \\(${c.hops[3].replace(/\./g, '\\.')}\\), 30 hops max, \\d+ byte packets$`,
      ),
    );
    assert.match(
      me.stdout.split('\n')[1],
      /^ 1  198\.18\.20\.2  \d+\.\d{3} ms  \d+\.\d{3} ms  \d+\.\d{3} ms$/,
    );
  });
}

// ICMP for unreachable routes has its own limiter (net.ipv4.route.error_burst: 5, then 1/s, host-wide
// only), so both tools send one probe per hop, one at a time, to stay inside the burst
// The bucket is per router and source and is shared with the router's time-exceeded replies
// (icmp_ratelimit), so after the tests above r2's may be empty: a row of `*` where the error was
// rate-limited (seen from either tool on a loaded machine) is retried after the bucket refills.
const untilNoStar = (run: () => { stdout: string }) => {
  let r = run();
  for (let i = 0; i < 3 && /^ ?\d+ +\*/m.test(r.stdout); i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1200);
    r = run();
  }
  return r;
};
test('unreachable and prohibited routes end with !H / !X as traceroute shows them', () => {
  for (const dst of [unreach, prohib]) {
    const ref = untilNoStar(() =>
      inNs(c.src, ['traceroute', '-n', '-w', '1', '-q', '1', '-N', '1', dst]),
    );
    const me = untilNoStar(() =>
      ours(c.src, ['traceroute', '-n', '-w', '1', '-q', '1', '-N', '1', dst]),
    );
    assert.deepEqual(
      hopAddresses(me.stdout),
      hopAddresses(ref.stdout),
      `ours:\n${me.stdout}\nreal:\n${ref.stdout}`,
    );
    assert.deepEqual(hopMarks(me.stdout), hopMarks(ref.stdout));
  }
});

test('a blackholed route shows * rows like traceroute', () => {
  const ref = inNs(c.src, ['traceroute', '-n', '-w', '0.3', '-m', '4', black]);
  const me = ours(c.src, ['traceroute', '-n', '-w', '0.3', '-m', '4', black]);
  assert.deepEqual(
    hopAddresses(me.stdout),
    hopAddresses(ref.stdout),
    `ours:\n${me.stdout}\nreal:\n${ref.stdout}`,
  );
  assert.match(me.stdout.trim().split('\n').pop()!, /^ 4  \* \* \*$/);
});

test('IPv6 loopback and --json', () => {
  const me = ours(c.src, ['traceroute', '-I', '--json', '::1']);
  const r = JSON.parse(me.stdout);
  assert.equal(r.address, '::1');
  assert.equal(r.hops.length, 1);
  assert.equal(r.hops[0].probes.length, 3);
  assert.ok(r.hops[0].probes.every((p: { address: string }) => p.address === '::1'));
});

test('ECMP discovery lists the single path of a chain', () => {
  const me = ours(c.src, ['traceroute', '-n', '-w', '1', '--ecmp', '3', '--json', c.hops[3]]);
  const r = JSON.parse(me.stdout);
  assert.deepEqual(
    r.hops.map((h: { addresses: string[] }) => h.addresses[0]),
    c.hops,
  );
  assert.equal(new Set(r.flows).size, 3);
});
