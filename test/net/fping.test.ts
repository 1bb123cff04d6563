/**
 * hostops ping's fping habits (-g -f -a -u -C -p -q -s) against Debian's fping 5.1 on the same
 * targets: a /28 behind a router namespace where only .1-.3 exist (the rest are dropped silently,
 * so fping and we both see timeouts, never ICMP errors), and loopback addresses.
 * Layout and counts are compared byte for byte with RTT figures masked.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Topology } from '../lib/netns.js';
import { generateTargets, parseTargetFile } from '../../src/net/targets.js';
import { hostops, inNs, ours, requireTool, type Ran } from './helpers.js';

const t = new Topology('fpg');
let a: string;

before(() => {
  requireTool('fping');
  a = t.ns('a');
  const b = t.ns('b');
  t.link(a, '198.18.140.1/30', b, '198.18.140.2/30');
  for (const h of [1, 2, 3]) t.exec(b, ['ip', 'addr', 'add', `198.18.141.${h}/32`, 'dev', 'lo']);
  // b does not forward: packets to the other addresses of the /28 vanish without an ICMP error
  t.exec(b, ['sysctl', '-qw', 'net.ipv4.ip_forward=0']);
  t.route(a, '198.18.141.0/24', '198.18.140.2');
});
after(() => t.destroy());

/** RTTs and elapsed seconds (a number with exactly one dot, so never an address) become T. */
const mask = (s: string) => s.replace(/(?<![\d.])\d+\.\d+(?![\d.])/g, 'T');
const sorted = (s: string) => mask(s).split('\n').sort().join('\n');

function both(args: string[], input?: string, ns: string | null = a): [Ran, Ran] {
  const run = (argv: string[]): Ran => {
    const full = ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv;
    const r = spawnSync(full[0], full.slice(1), { encoding: 'utf8', input, timeout: 60000 });
    return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status ?? -1 };
  };
  return [run(['fping', ...args]), run([process.execPath, hostops, 'ping', ...args])];
}

/** Same exit code, same stdout lines (replies interleave by timing: compared as a sorted set), same stderr. */
function same(args: string[], input?: string, ns: string | null = a): [Ran, Ran] {
  const [ref, me] = both(args, input, ns);
  assert.equal(
    me.status,
    ref.status,
    `${args.join(' ')}: exit ${me.status}, fping ${ref.status}\n${me.stderr}`,
  );
  assert.equal(sorted(me.stdout), sorted(ref.stdout), args.join(' '));
  assert.equal(mask(me.stderr), mask(ref.stderr), args.join(' '));
  return [ref, me];
}

test('-g: CIDR blocks and start/end ranges give the targets fping gives', () => {
  assert.deepEqual(generateTargets(['198.18.141.0/30']), ['198.18.141.1', '198.18.141.2']);
  assert.deepEqual(generateTargets(['198.18.141.5/31']), ['198.18.141.4', '198.18.141.5']);
  assert.deepEqual(generateTargets(['198.18.141.9/32']), ['198.18.141.9']);
  assert.deepEqual(generateTargets(['198.18.141.6', '198.18.141.4']), []);
  assert.throws(() => generateTargets(['10.0.0.0/8']), /at most 65536/);
  // the prefix is read by lib/ip as amp, bcp38 and ddos read it: /024 is /24, IPv6 is refused
  assert.equal(generateTargets(['198.18.141.0/024']).length, 254);
  assert.throws(() => generateTargets(['198.18.141.0/33']), /prefix length \/33 is above 32/);
  assert.throws(() => generateTargets(['2001:db8::/24']), /"2001:db8::" is not an IPv4 address/);
  assert.throws(() => generateTargets(['198.18.141.0/']), /neither a CIDR block/);
  assert.throws(() => generateTargets(['198.18.141.0/2a']), /neither a CIDR block/);
  assert.deepEqual(
    parseTargetFile('# c\n198.18.141.1\n\n  198.18.141.2  # x\n198.18.141.9 more\n\t#y\n'),
    ['198.18.141.1', '198.18.141.2', '198.18.141.9'],
  );
  // in the namespace, against fping (default mode: alive / unreachable)
  const [ref] = same(['-g', '198.18.141.0/28']);
  assert.equal(ref.stdout.split('\n').filter((l) => l.endsWith(' is alive')).length, 3);
  assert.equal(ref.stdout.split('\n').filter((l) => l.endsWith(' is unreachable')).length, 11);
  same(['-g', '198.18.141.0/31']);
  same(['-g', '198.18.141.2/32']);
  same(['-g', '198.18.141.6', '198.18.141.4']); // nothing, exit 1
});

test('-a and -u list alive or unreachable targets only; -q prints nothing', () => {
  same(['-a', '-g', '198.18.141.0/29']);
  same(['-u', '-g', '198.18.141.1', '198.18.141.5']);
  const [, me] = same(['-q', '-g', '198.18.141.0/30']);
  assert.equal(me.stdout + me.stderr, '');
  assert.equal(me.status, 0);
});

test('-C N: per-probe lines, "timed out" lines and the per-target RTT list as fping prints them', () => {
  const [ref, me] = same(['-C', '3', '-p', '100', '-g', '198.18.141.0/29']);
  assert.match(me.stderr, /^198\.18\.141\.1 : [\d.]+ [\d.]+ [\d.]+$/m);
  assert.match(me.stderr, /^198\.18\.141\.5 : - - -$/m);
  assert.equal(
    me.stdout.split('\n').filter((l) => l.includes('timed out (NaN avg, 100% loss)')).length,
    9,
    ref.stdout,
  );
  same(['-q', '-C', '2', '-p', '50', '198.18.141.1', '198.18.141.9']);
});

test('-c to a neighbour that never answers ARP: ICMP errors on stderr and a "timed out" line for every probe, the last too', () => {
  // a /28 on a's own link: .5 is not there, so the kernel answers Host Unreachable after ARP fails
  t.exec(a, ['ip', 'addr', 'add', '198.18.142.1/28', 'dev', `${t.prefix.slice(0, 8)}a0`]);
  const [ref, me] = both(['-c', '4', '-p', '1000', '198.18.142.5', '198.18.142.1']);
  assert.equal(me.status, ref.status);
  assert.equal(sorted(me.stdout), sorted(ref.stdout));
  assert.equal(
    me.stdout.split('\n').filter((l) => /^198\.18\.142\.5 : \[\d\], timed out/.test(l)).length,
    4,
    me.stdout,
  );
  const icmp = /^ICMP Host Unreachable from 198\.18\.142\.1 for ICMP Echo sent to 198\.18\.142\.5$/;
  const rest = (x: string) =>
    mask(x)
      .split('\n')
      .filter((l) => !icmp.test(l))
      .join('\n');
  assert.equal(rest(me.stderr), rest(ref.stderr));
  assert.ok(
    me.stderr.split('\n').some((l) => icmp.test(l)),
    me.stderr,
  );
});

test('-f (file and stdin) with -c, -p, -s: per-target and global statistics', () => {
  const file = '# hosts\n198.18.141.1\n\n  198.18.141.2  # comment\n198.18.141.9 extra words\n';
  same(['-s', '-c', '2', '-p', '100', '-f', '-'], file);
  same(['-s', '-q', '-f', '-'], file);
});

test('loopback addresses from the root namespace; unknown names exit 2', () => {
  const [, me] = same(
    ['-s', '-C', '2', '-p', '50', '127.0.0.1', '127.0.0.2', '127.0.0.3'],
    undefined,
    null,
  );
  assert.equal(me.status, 0);
  const [ref, mine] = both(['198.18.141.1', 'nosuch.invalid']);
  assert.equal(ref.status, 2);
  assert.equal(mine.status, 2);
  assert.equal(mine.stdout, ref.stdout);
  assert.match(mine.stderr, /^nosuch\.invalid: (?!nosuch)\S/); // the name once, as fping
  // -s counts an unknown name apart from the targets; -q hides its message
  const [r2, m2] = same(['-s', '-q', '198.18.141.1', 'nosuch.invalid']);
  assert.equal(m2.status, 2);
  assert.match(
    r2.stderr,
    /^ {7}1 targets\n {7}1 alive\n {7}0 unreachable\n {7}1 unknown addresses$/m,
  );
  // a bare -s before the targets is fping's; -s with a number stays iputils' payload size
  const s = ours(a, ['ping', '-s', '198.18.141.1']);
  assert.equal(s.stdout, '198.18.141.1 is alive\n');
  assert.match(s.stderr, /^ {7}1 targets$/m);
  const sz = inNs(a, [process.execPath, hostops, 'ping', '-c', '1', '-s', '100', '198.18.141.1']);
  assert.match(sz.stdout, /^108 bytes from 198\.18\.141\.1/m);
});
