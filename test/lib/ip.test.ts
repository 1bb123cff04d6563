/**
 * Pins what each caller of the address code accepts and refuses, with its messages: amp's scan
 * targets (IPv4 ranges as u32), bcp38's prefixes (bigint, host bits refused) and ddos's key words.
 * Written against the three separate implementations before they shared src/lib/ip.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTargets, parseRange } from '../../src/amp/cidr.js';
import { parsePrefix } from '../../src/bcp38/cidr.js';
import {
  addrOf,
  addressFamily,
  aggregate,
  contains,
  countAddresses,
  expandRanges as expand,
  formatAddress,
  formatWords,
  isV4Words,
  netmask4,
  parseCidr,
  toPrefix,
  u32ToV4 as intToIp,
  v4Block,
  v4ToU32 as ipToInt,
  wildcard4,
} from '../../src/lib/ip.js';
import { HostopsError } from '../../src/lib/errors.js';

const errText = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof HostopsError, String(e));
    return `${e.code}: ${e.message}${e.hint ? ` | ${e.hint}` : ''}`;
  }
  return 'accepted';
};

const RANGE_HINT = ' | use A.B.C.D-E.F.G.H with the lower address first';
const V6_HINT = ' | check IPv6 hosts one by one with `hostops ntp check`';

test('amp scan targets: accepted specs and the range each covers', () => {
  const ok: [string, string, string][] = [
    ['198.18.0.0/20', '198.18.0.0', '198.18.15.255'],
    ['198.18.0.7', '198.18.0.7', '198.18.0.7'],
    [' 198.18.0.7 ', '198.18.0.7', '198.18.0.7'],
    ['198.18.0.1-198.18.0.9', '198.18.0.1', '198.18.0.9'],
    ['198.18.0.1-198.18.0.1', '198.18.0.1', '198.18.0.1'],
    ['198.18.1.7/24', '198.18.1.0', '198.18.1.255'], // host bits are masked off, not refused
    ['0.0.0.0/0', '0.0.0.0', '255.255.255.255'],
    ['255.255.255.255/32', '255.255.255.255', '255.255.255.255'],
    ['198.18.0.0/08', '198.0.0.0', '198.255.255.255'],
  ];
  for (const [spec, lo, hi] of ok) {
    const r = parseRange(spec);
    assert.deepEqual([intToIp(r.lo), intToIp(r.hi)], [lo, hi], spec);
  }
});

test('amp scan targets: refused specs, code, message and hint', () => {
  const bad: [string, string][] = [
    [
      '198.18.0.9-198.18.0.1',
      `AMP_BAD_TARGET: bad address range "198.18.0.9-198.18.0.1"${RANGE_HINT}`,
    ],
    ['198.18.0.1-x', `AMP_BAD_TARGET: bad address range "198.18.0.1-x"${RANGE_HINT}`],
    ['::1-::2', `AMP_BAD_TARGET: bad address range "::1-::2"${RANGE_HINT}`],
    ['198.18.0.0/-1', `AMP_BAD_TARGET: bad address range "198.18.0.0/-1"${RANGE_HINT}`],
    ['198.18.0.0/33', 'AMP_BAD_TARGET: bad prefix length in "198.18.0.0/33"'],
    ['198.18.0.0/', 'AMP_BAD_TARGET: bad prefix length in "198.18.0.0/"'],
    ['198.18.0.0/1e1', 'AMP_BAD_TARGET: bad prefix length in "198.18.0.0/1e1"'],
    ['198.18.0.0/0x8', 'AMP_BAD_TARGET: bad prefix length in "198.18.0.0/0x8"'],
    ['198.18.0.0/ 24', 'AMP_BAD_TARGET: bad prefix length in "198.18.0.0/ 24"'],
    ['198.18.1/24', 'AMP_BAD_TARGET: not an IPv4 address or CIDR: "198.18.1/24"'],
    ['01.2.3.4', 'AMP_BAD_TARGET: not an IPv4 address or CIDR: "01.2.3.4"'],
    ['host', 'AMP_BAD_TARGET: not an IPv4 address or CIDR: "host"'],
    ['', 'AMP_BAD_TARGET: not an IPv4 address or CIDR: ""'],
    ['-', 'AMP_BAD_TARGET: not an IPv4 address or CIDR: "-"'],
    ['::1', `AMP_BAD_TARGET: IPv6 target ::1: scanning IPv6 ranges is not supported${V6_HINT}`],
    [
      '2001:db8::/32',
      `AMP_BAD_TARGET: IPv6 target 2001:db8::/32: scanning IPv6 ranges is not supported${V6_HINT}`,
    ],
    [
      'fe80::1%eth0',
      `AMP_BAD_TARGET: IPv6 target fe80::1%eth0: scanning IPv6 ranges is not supported${V6_HINT}`,
    ],
    [
      '::ffff:198.18.0.1',
      `AMP_BAD_TARGET: IPv6 target ::ffff:198.18.0.1: scanning IPv6 ranges is not supported${V6_HINT}`,
    ],
  ];
  for (const [spec, want] of bad)
    assert.equal(
      errText(() => parseRange(spec)),
      want,
      spec,
    );
});

test('amp and bcp38 read a prefix length by one rule: 1-3 digits after the first /', () => {
  // before the shared parser amp read \d{1,2} and ignored anything after a second '/':
  // it refused 198.18.0.0/024 (bcp38 took it) and took 198.18.0.0/24/7 as /24 (bcp38 refused it)
  const r = parseRange('198.18.0.0/024');
  assert.deepEqual([intToIp(r.lo), intToIp(r.hi)], ['198.18.0.0', '198.18.0.255']);
  assert.equal(
    errText(() => parseRange('198.18.0.0/24/7')),
    'AMP_BAD_TARGET: bad prefix length in "198.18.0.0/24/7"',
  );
  assert.equal(parsePrefix('198.18.0.0/024').text, '198.18.0.0/24');
  assert.match(
    errText(() => parsePrefix('198.18.0.0/24/7')),
    /prefix length '24\/7' is not a number/,
  );
});

test('parseCidr: one fault per kind of bad text, the family even when the length is bad', () => {
  const f = (s: string) => {
    const c = parseCidr(s);
    return `${c.family} ${c.fault ?? `${c.bits.toString(16)}/${c.len}`}`;
  };
  assert.equal(f('198.18.1.7/24'), '4 c6120107/24');
  assert.equal(f(' ::1 '), '6 1/128');
  assert.equal(f('fe80::1%eth0/64'), '6 zone');
  assert.equal(f('::1/129'), '6 length-range');
  assert.equal(f('198.18.0.0/x'), '4 length-syntax');
  assert.equal(f('198.18.1/24'), '0 address');
  assert.deepEqual(
    [
      addressFamily('198.18.0.1'),
      addressFamily('::1'),
      addressFamily('fe80::1%1'),
      addressFamily('198.18.0.0/24'),
    ],
    [4, 6, 0, 0],
  );
  assert.deepEqual(v4Block(ipToInt('198.18.1.7'), 0), { lo: 0, hi: 0xffffffff });
  assert.equal(toPrefix(parseCidr('198.18.1.7/24')).text, '198.18.1.0/24');
  assert.equal(formatAddress(6, (1n << 128n) - 1n), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
});

test('amp scan targets: merge, exclude, count and expand', () => {
  const rs = buildTargets(
    ['198.18.0.0/30', '198.18.0.2-198.18.0.5', '198.18.1.0/31', '198.18.0.6'],
    ['198.18.0.1', '198.18.1.1/32'],
  );
  assert.deepEqual(
    rs.map((r) => `${intToIp(r.lo)}-${intToIp(r.hi)}`),
    ['198.18.0.0-198.18.0.0', '198.18.0.2-198.18.0.6', '198.18.1.0-198.18.1.0'],
  );
  assert.equal(countAddresses(rs), 7);
  assert.deepEqual([...expand(rs)].map(intToIp), [
    '198.18.0.0',
    '198.18.0.2',
    '198.18.0.3',
    '198.18.0.4',
    '198.18.0.5',
    '198.18.0.6',
    '198.18.1.0',
  ]);
  assert.deepEqual(buildTargets(['198.18.0.0/24'], ['198.18.0.0/16']), []);
  assert.equal(ipToInt('198.18.0.1'), 0xc6120001);
  assert.equal(intToIp(0xffffffff), '255.255.255.255');
});

test('bcp38 prefixes: accepted text, family, network and canonical form', () => {
  const ok: [string, 4 | 6, string, number, string][] = [
    ['198.18.10.2', 4, 'c6120a02', 32, '198.18.10.2/32'],
    ['198.18.10.0/24', 4, 'c6120a00', 24, '198.18.10.0/24'],
    [' 198.18.10.0/24 ', 4, 'c6120a00', 24, '198.18.10.0/24'],
    ['198.18.0.0/024', 4, 'c6120000', 24, '198.18.0.0/24'],
    ['0.0.0.0/0', 4, '0', 0, '0.0.0.0/0'],
    ['2001:DB8:0:0::/32', 6, '20010db8000000000000000000000000', 32, '2001:db8::/32'],
    ['::ffff:198.18.0.0/112', 6, 'ffffc6120000', 112, '::ffff:c612:0/112'],
    ['::ffff:1.2.3.4', 6, 'ffff01020304', 128, '::ffff:102:304/128'],
    ['::/0', 6, '0', 0, '::/0'],
    ['::1', 6, '1', 128, '::1/128'],
    ['2001:db8:0:0:0:0:0:1/128', 6, '20010db8000000000000000000000001', 128, '2001:db8::1/128'],
    ['2001:db8::8:0:0:1', 6, '20010db8000000000008000000000001', 128, '2001:db8::8:0:0:1/128'],
  ];
  for (const [s, family, net, len, text] of ok) {
    const p = parsePrefix(s);
    assert.deepEqual([p.family, p.net.toString(16), p.len, p.text], [family, net, len, text], s);
  }
});

test('bcp38 prefixes: refused text and messages', () => {
  const bad: [string, string][] = [
    [
      '198.18.1.7/24',
      "'198.18.1.7/24' has host bits set: the prefix is 198.18.1.0/24 (or write the address alone for /32)",
    ],
    [
      '198.18.0.0/08',
      "'198.18.0.0/08' has host bits set: the prefix is 198.0.0.0/8 (or write the address alone for /32)",
    ],
    [
      '2001:db8::1/64',
      "'2001:db8::1/64' has host bits set: the prefix is 2001:db8::/64 (or write the address alone for /128)",
    ],
    [
      'fe80:0:0:0:1:0:0:0/64',
      "'fe80:0:0:0:1:0:0:0/64' has host bits set: the prefix is fe80::/64 (or write the address alone for /128)",
    ],
    ['198.18.1.0/33', "'198.18.1.0/33': prefix length 33 exceeds 32"],
    ['::1/129', "'::1/129': prefix length 129 exceeds 128"],
    ['198.18.0.0/', "'198.18.0.0/': prefix length '' is not a number"],
    ['198.18.0.0/0024', "'198.18.0.0/0024': prefix length '0024' is not a number"],
    ['198.18.0.0/24/7', "'198.18.0.0/24/7': prefix length '24/7' is not a number"],
    ['198.18.0.0/-1', "'198.18.0.0/-1': prefix length '-1' is not a number"],
    ['2001:db8::/1x', "'2001:db8::/1x': prefix length '1x' is not a number"],
    ['1.2.3.4/ 8', "'1.2.3.4/ 8': prefix length ' 8' is not a number"],
    ['198.18.1/24', "'198.18.1/24' is not an IPv4 or IPv6 prefix"],
    ['fe80::1%eth0/64', "'fe80::1%eth0/64' is not an IPv4 or IPv6 prefix"],
    ['01.2.3.4/8', "'01.2.3.4/8' is not an IPv4 or IPv6 prefix"],
    ['198.18.0.0-198.18.0.9', "'198.18.0.0-198.18.0.9' is not an IPv4 or IPv6 prefix"],
    ['', "'' is not an IPv4 or IPv6 prefix"],
    ['x', "'x' is not an IPv4 or IPv6 prefix"],
  ];
  for (const [s, msg] of bad)
    assert.equal(
      errText(() => parsePrefix(s)),
      `BCP38_BAD_CIDR: ${msg}`,
      s,
    );
  assert.equal(
    errText(() => parsePrefix(7 as unknown as string)),
    'BCP38_BAD_CIDR: expected a CIDR string, got number',
  );
});

test('bcp38 prefixes: containment, aggregation, masks', () => {
  const P = parsePrefix;
  assert.ok(contains(P('198.18.0.0/16'), P('198.18.5.0/24')));
  assert.ok(contains(P('198.18.0.0/16'), P('198.18.0.0/16')));
  assert.ok(!contains(P('198.18.5.0/24'), P('198.18.0.0/16')));
  assert.ok(!contains(P('198.18.0.0/16'), P('198.19.0.0/24')));
  assert.ok(!contains(P('::/0'), P('198.18.0.0/16')));
  assert.ok(contains(P('0.0.0.0/0'), P('198.18.0.1')));
  assert.ok(contains(P('2001:db8::/32'), P('2001:db8:1::/48')));
  assert.deepEqual(
    aggregate([
      P('2001:db8::/48'),
      P('198.18.5.0/24'),
      P('198.18.0.0/16'),
      P('2001:db8::/32'),
      P('198.18.0.0/16'),
      P('10.0.0.0/8'),
    ]).map((p) => p.text),
    ['10.0.0.0/8', '198.18.0.0/16', '2001:db8::/32'],
  );
  assert.deepEqual([0, 8, 24, 31, 32].map(netmask4), [
    '0.0.0.0',
    '255.0.0.0',
    '255.255.255.0',
    '255.255.255.254',
    '255.255.255.255',
  ]);
  assert.deepEqual([0, 8, 24, 32].map(wildcard4), [
    '255.255.255.255',
    '0.255.255.255',
    '0.0.0.255',
    '0.0.0.0',
  ]);
  assert.equal(addrOf(P('2001:db8::/32')), '2001:db8::');
  assert.equal(addrOf(P('198.18.1.0/24')), '198.18.1.0');
});

test('ddos key words: IPv4-mapped words print dotted, others as RFC 5952 IPv6', () => {
  const w = new Uint32Array([9, 0, 0, 0xffff, 0xc6120001, 0x20010db8, 0, 0, 1, 0, 0, 0xffff, 0]);
  assert.equal(formatWords(w, 1), '198.18.0.1');
  assert.ok(isV4Words(w, 1));
  assert.equal(formatWords(w, 5), '2001:db8::1');
  assert.ok(!isV4Words(w, 5));
  assert.equal(formatWords(w, 9), '0.0.0.0'); // ::ffff:0.0.0.0 is IPv4-mapped too
  assert.equal(formatWords([0, 0, 0, 1]), '::1');
  assert.equal(formatWords([0xfe800000, 0, 0x10000, 0]), 'fe80::1:0:0:0');
});
