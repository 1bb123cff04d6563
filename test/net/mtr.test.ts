/** hostops mtr against mtr 0.95 on a chain with a rate-limited hop, plus its layouts and advice. */
import { test, after, before } from 'node:test';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { Topology, chain } from '../lib/netns.js';
import { inNs, ours, requireTool } from './helpers.js';

const t = new Topology('lmt');
let c: ReturnType<typeof chain>;
const CYCLES = 80;
const P = 40; // percent of hop 2's time-exceeded replies dropped

before(() => {
  requireTool('mtr');
  c = chain(t, 3, 24);
  // hop 2 "rate-limits": it drops a share of the ICMP time-exceeded it generates
  t.loss(`${t.prefix}r2`, P, 'icmp type time-exceeded', 'output');
});
after(() => t.destroy());

interface Hub {
  count: number;
  host: string;
  'Loss%': number;
  Snt: number;
}

function hubs(text: string): Hub[] {
  return JSON.parse(text).report.hubs;
}

test('per-hop loss on a rate-limited hop is within binomial tolerance of mtr, same hops, advice says rate limit', () => {
  const args = ['-n', '-j', '-c', String(CYCLES), '-i', '0.02', c.hops[3]];
  const ref = hubs(inNs(c.src, ['mtr', ...args]).stdout);
  const me = ours(c.src, ['mtr', ...args]);
  assert.equal(me.status, 0, me.stderr);
  const mine = hubs(me.stdout);
  assert.deepEqual(
    mine.map((h) => h.host),
    ref.map((h) => h.host),
  );
  assert.deepEqual(
    mine.map((h) => h.host),
    c.hops,
  );
  // both estimate p = 0.4 from ~80 probes: sd of the difference = sqrt(2 p (1-p) / n) ~ 7.7 points; allow 4 sd
  const sd = 100 * Math.sqrt((2 * (P / 100) * (1 - P / 100)) / CYCLES);
  assert.ok(
    Math.abs(mine[1]['Loss%'] - ref[1]['Loss%']) <= 4 * sd,
    `hop 2 loss: ours ${mine[1]['Loss%']} mtr ${ref[1]['Loss%']}`,
  );
  assert.ok(Math.abs(mine[1]['Loss%'] - P) <= 3 * sd, `hop 2 loss ${mine[1]['Loss%']}`);
  for (const i of [0, 2, 3]) assert.equal(mine[i]['Loss%'], 0, `hop ${i + 1}`);
  assert.match(
    me.stderr,
    /Hop 2 \(198\.18\.24\.6\) shows [\d.]+% loss but later hops and the destination do not: that router rate-limits/,
  );
});

test("--report layout is mtr 0.95's (header, row format, 100% loss as 100.0 on a blackholed path)", () => {
  t.exec(`${t.prefix}r2`, ['ip', 'route', 'add', 'blackhole', '198.18.24.250/32']);
  const me = ours(c.src, [
    'mtr',
    '-r',
    '-n',
    '-c',
    '3',
    '-i',
    '0.05',
    '-Z',
    '0.3',
    '198.18.24.250',
  ]);
  const lines = me.stdout.trim().split('\n');
  assert.match(lines[0], /^Start: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$/);
  assert.match(lines[1], /^HOST: \S+\s+Loss%   Snt   Last   Avg  Best  Wrst StDev$/);
  // mtr writes the fields from column 33 on, over the padded host name
  assert.equal(lines[1].indexOf('Loss%'), 34);
  assert.equal(lines[2].slice(0, 33).trimEnd(), '  1.|-- 198.18.24.2');
  assert.equal(lines[2].slice(33, 45), '  0.0%     3');
  assert.equal(
    lines[3],
    '  2.|-- ???                       100.0     3    0.0   0.0   0.0   0.0   0.0',
  );
  assert.equal(lines.length, 4);
  assert.match(me.stderr, /The destination did not answer; the last hop that did is 1/);
  const ref = inNs(c.src, ['mtr', '-r', '-n', '-c', '3', '-i', '0.05', '198.18.24.250'])
    .stdout.trim()
    .split('\n');
  assert.equal(ref[3].replace(/\s+/g, ' '), lines[3].replace(/\s+/g, ' '));
});

test('--csv and --report-wide follow mtr; UDP and TCP modes reach the destination', () => {
  const csv = ours(c.src, ['mtr', '-C', '-n', '-c', '2', '-i', '0.05', c.hops[3]])
    .stdout.trim()
    .split('\n');
  assert.equal(
    csv[0],
    'Mtr_Version,Start_Time,Status,Host,Hop,Ip,Loss%,Snt, ,Last,Avg,Best,Wrst,StDev,',
  );
  assert.match(
    csv[4],
    new RegExp(
      `^MTR\\.0\\.95,\\d+,OK,${c.hops[3].replace(/\./g, '\\.')},4,${c.hops[3].replace(/\./g, '\\.')},0\\.00,2,0,[\\d.]+,`,
    ),
  );
  const wide = ours(c.src, [
    'mtr',
    '--report-wide',
    '-n',
    '-c',
    '2',
    '-i',
    '0.05',
    c.hops[3],
  ]).stdout.split('\n');
  assert.match(wide[1], /^HOST: \S+\s+Loss%/);
  assert.match(wide[5], new RegExp(`^  4\\.\\|-- ${c.hops[3].replace(/\./g, '\\.')}  0\\.0%`));
  for (const mode of ['-u', '-T']) {
    // hop 2 drops 40% of its time-exceeded: 8 rounds make an all-lost hop unlikely (0.4^8)
    const r = hubs(
      ours(c.src, ['mtr', mode, '-j', '-n', '-c', '8', '-i', '0.03', c.hops[3]]).stdout,
    );
    assert.deepEqual(
      r.map((h) => h.host),
      c.hops,
      mode,
    );
  }
});

test("-b (names and addresses) and -z (AS column, AS??? without lookups): mtr 0.95's report layout, narrow and wide", () => {
  // names for hop 1 and the destination from the namespace's own hosts file (ip netns exec binds
  // /etc/netns/<ns>/hosts over /etc/hosts); hop 2 and 3 stay nameless, so -b prints them bare
  const dir = `/etc/netns/${c.src}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    `${dir}/hosts`,
    `127.0.0.1 localhost\n${c.hops[0]} edge1.hb.test\n${c.hops[3]} target.hb.test\n`,
  );
  // mtr -z asks DNS for AS numbers: a resolver on the namespace's own loopback (nothing listens)
  // keeps those queries inside and fails them at once
  writeFileSync(`${dir}/resolv.conf`, 'nameserver 127.0.0.1\n');
  // the header exactly; each row's host part exactly, its fields (fixed width) as their length with the padding before them
  const mask = (s: string) =>
    s
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((r) => r.replace(/ *[\d.]+% +10( +[\d.]+){5}$/, (m) => `<${m.length}>`))
      .join('\n');
  try {
    for (const flags of ['-rwbzc', '-rbzc', '-rwbc', '-rzc']) {
      const args = [flags, '10', '-i', '0.05', c.hops[3]];
      const ref = inNs(c.src, ['mtr', ...args]);
      const me = ours(c.src, ['mtr', '--no-advice', ...args]);
      assert.equal(me.status, 0, me.stderr);
      assert.equal(mask(me.stdout), mask(ref.stdout), flags);
    }
    // hop 2 drops 40% of its time-exceeded: 3 cycles lost all of it 1 run in 16 (0.4^3); 10 make that 1e-4
    const wide = ours(c.src, [
      'mtr',
      '-rwbzc',
      '10',
      '-i',
      '0.05',
      '--no-advice',
      c.hops[3],
    ]).stdout.split('\n');
    assert.match(wide[2], /^  1\. AS\?\?\? {4}edge1\.hb\.test \(198\.18\.24\.2\)/);
    assert.match(wide[3], /^  2\. AS\?\?\? {4}198\.18\.24\.6 /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
