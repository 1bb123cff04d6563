import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateRules, parseConfig, parsePrefix, NFT_TABLE } from '../../src/bcp38/index.js';
import { HostopsError } from '../../src/lib/errors.js';
import { Topology } from '../lib/netns.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hostops-bcp38-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

export const SAMPLE = `# customers behind the border router
interfaces:
  - name: e0
    description: shared customer VLAN
    customers:
      - name: acme
        prefixes: [198.18.10.2/32, 2001:db8:10::/48]
      - name: globex
        prefixes: [198.18.10.3, 198.18.12.0/24]
  - name: e2.100
    customers:
      - name: initech
        prefixes: [198.18.13.0/25]
uplinks: [e1]
infrastructure: [198.18.11.0/30]
`;

function configError(text: string, name = 'c.yaml'): HostopsError {
  try {
    parseConfig(text, name);
  } catch (e) {
    assert.ok(e instanceof HostopsError);
    return e;
  }
  assert.fail('expected an error');
}

test('CIDR parsing: canonical forms and precise errors', () => {
  assert.equal(parsePrefix('198.18.10.2').text, '198.18.10.2/32');
  assert.equal(parsePrefix('2001:DB8:0:0::/32').text, '2001:db8::/32');
  assert.equal(parsePrefix('::ffff:198.18.0.0/112').text, '::ffff:c612:0/112');
  assert.throws(
    () => parsePrefix('198.18.1.7/24'),
    /host bits set: the prefix is 198\.18\.1\.0\/24/,
  );
  assert.throws(() => parsePrefix('198.18.1.0/33'), /exceeds 32/);
  assert.throws(() => parsePrefix('198.18.1/24'), /not an IPv4 or IPv6 prefix/);
  assert.throws(() => parsePrefix('fe80::1%eth0/64'), /not an IPv4 or IPv6 prefix/);
});

test('config errors name the file, line and field', () => {
  let e = configError(SAMPLE.replace('198.18.12.0/24', '198.18.12.1/24'));
  assert.equal(e.code, 'BCP38_CONFIG_INVALID');
  assert.equal(e.where, 'c.yaml:9');
  assert.match(
    e.message,
    /interfaces\[0\]\.customers\[1\]\.prefixes\[1\]: '198\.18\.12\.1\/24' has host bits set/,
  );
  e = configError(SAMPLE.replace('name: initech', 'name: "bad name;rm"'));
  assert.equal(e.where, 'c.yaml:12');
  assert.match(e.message, /interfaces\[1\]\.customers\[0\]\.name/);
  e = configError(SAMPLE.replace('uplinks: [e1]', 'uplinks: [e1]\nupstreams: [e9]'));
  assert.match(e.message, /upstreams|Unrecognized/i);
  e = configError('interfaces:\n  - name: e0\n    customers: [\n');
  assert.equal(e.code, 'BCP38_CONFIG_SYNTAX');
  e = configError(SAMPLE.replace('uplinks: [e1]', 'uplinks: [e0]'));
  assert.match(e.message, /uplinks\[0\]: e0 is also a customer interface/);
  // JSON is accepted and located the same way
  const json = JSON.stringify(
    {
      interfaces: [
        { name: 'e0', customers: [{ name: 'a', prefixes: ['198.18.0.0/16', 'nonsense'] }] },
      ],
    },
    null,
    2,
  );
  e = configError(json, 'c.json');
  assert.match(e.where!, /^c\.json:\d+$/);
  assert.equal(e.where, `c.json:${json.split('\n').findIndex((l) => l.includes('nonsense')) + 1}`);
});

test('rules hold exactly the customer prefixes per interface in all four formats', () => {
  const cfg = parseConfig(SAMPLE, 'sample.yaml');
  const nft = generateRules(cfg, 'nftables');
  assert.match(
    nft,
    /set e0_v4 \{[^}]*198\.18\.10\.2 comment "acme",\s*198\.18\.10\.3 comment "globex",\s*198\.18\.12\.0\/24 comment "globex"/,
  );
  assert.match(nft, /iifname "e0" ip saddr != @e0_v4 counter drop/);
  assert.match(nft, /oifname "e1" ip saddr != @egress_v4 counter drop/);
  assert.match(nft, /uRPF alone is not enough/);
  const ipt = generateRules(cfg, 'iptables');
  assert.match(ipt, /ipset add hob38-e0-4 198\.18\.10\.3\/32 comment "globex"/);
  assert.match(
    ipt,
    /iptables -t raw -A HOSTOPS-BCP38 -i e0 -m set ! --match-set hob38-e0-4 src -j DROP/,
  );
  assert.match(ipt, /ip6tables -t raw -A HOSTOPS-BCP38 -i e0 -s fe80::\/10 -j RETURN/);
  const per = generateRules(cfg, 'iptables', { iptablesMode: 'rules' });
  assert.match(per, /iptables -t raw -A HOB38-e2-100 -s 198\.18\.13\.0\/25 -j RETURN/);
  const sh = spawnSync('sh', ['-n'], { input: ipt });
  assert.equal(sh.status, 0, 'the iptables script parses as sh');
  const ios = generateRules(cfg, 'ios');
  assert.match(
    ios,
    /ip access-list extended HOSTOPS-BCP38-IN-E0\n remark acme\n permit ip host 198\.18\.10\.2 any/,
  );
  assert.match(ios, /permit ip 198\.18\.13\.0 0\.0\.0\.127 any/);
  assert.match(ios, /interface e2\.100\n ip access-group HOSTOPS-BCP38-IN-E2-100 in/);
  const junos = generateRules(cfg, 'junos');
  assert.match(junos, /set policy-options prefix-list hostops-bcp38-e0-v4 198\.18\.12\.0\/24/);
  assert.match(
    junos,
    /set interfaces e2 unit 100 family inet filter input hostops-bcp38-in-e2-100-v4/,
  );
  assert.match(junos, /term spoofed then discard/);
});

test('nftables output passes `nft -c` and loads in a namespace', () => {
  const cfg = parseConfig(SAMPLE, 'sample.yaml');
  const file = path.join(dir, 'r.nft');
  writeFileSync(file, generateRules(cfg, 'nftables'));
  const c = spawnSync('nft', ['-c', '-f', file], { encoding: 'utf8' });
  assert.equal(c.error, undefined, 'nft is required (apt-get install nftables)');
  assert.equal(c.status, 0, c.stderr);
  const t = new Topology('bru');
  try {
    const ns = t.ns('r');
    t.exec(ns, ['nft', '-f', file]);
    t.exec(ns, ['nft', '-f', file]); // loading twice replaces, it does not fail or duplicate
    const listed = t.exec(ns, ['nft', 'list', 'table', 'inet', NFT_TABLE]);
    assert.match(listed, /198\.18\.12\.0\/24 comment "globex"/);
    assert.equal(listed.match(/iifname "e0" ip saddr != @e0_v4/g)?.length, 1);
  } finally {
    t.destroy();
  }
});

test('CLI: bcp38 rules prints rules, warnings on stderr, errors with file:line', () => {
  const file = path.join(dir, 'c.yaml');
  writeFileSync(file, SAMPLE.replace('198.18.12.0/24', '198.18.12.0/24, 198.18.12.128/25'));
  const r = spawnSync(
    process.execPath,
    ['bin/hostops.js', 'bcp38', 'rules', file, '--format', 'ios'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /HOSTOPS-BCP38-IN-E0/);
  assert.doesNotMatch(
    r.stdout,
    /198\.18\.12\.128/,
    'a prefix inside another of the same interface is merged',
  );
  const bad = path.join(dir, 'bad.yaml');
  writeFileSync(bad, SAMPLE.replace('198.18.13.0/25', '198.18.13.0/255'));
  const b = spawnSync(process.execPath, ['bin/hostops.js', 'bcp38', 'rules', bad], {
    encoding: 'utf8',
  });
  assert.equal(b.status, 2);
  assert.match(
    b.stderr,
    /prefixes\[0\]: '198\.18\.13\.0\/255': prefix length 255 exceeds 32 \(.*bad\.yaml:13\)/,
  );
  const f = spawnSync(
    process.execPath,
    ['bin/hostops.js', 'bcp38', 'rules', file, '--format', 'pf'],
    { encoding: 'utf8' },
  );
  assert.equal(f.status, 2);
  assert.match(f.stderr, /BCP38_BAD_FORMAT/);
  // -o into a missing directory or onto a directory: a named error, not "internal error" with exit 1
  for (const out of [path.join(dir, 'missing', 'x.nft'), dir]) {
    const o = spawnSync(process.execPath, ['bin/hostops.js', 'bcp38', 'rules', file, '-o', out], {
      encoding: 'utf8',
    });
    assert.equal(o.status, 2, o.stderr);
    assert.match(
      o.stderr,
      /cannot write the rules to .* \(E(NOENT|ISDIR)\)|code: BCP38_OUTPUT_FAILED/,
    );
    assert.doesNotMatch(o.stderr, /internal error/);
  }
});

test('MAC binding on shared segments: all customers of the interface need a mac; rules pair MAC and prefix', () => {
  const bound = SAMPLE.replace(
    '      - name: acme\n',
    '      - name: acme\n        mac: 02:00:00:00:10:02\n',
  );
  const e = configError(bound);
  assert.match(e.message, /interfaces\[0\]\.customers\[1\]: customer globex has no mac/);
  assert.equal(e.where, 'c.yaml:9');
  const both = bound.replace(
    '      - name: globex\n',
    '      - name: globex\n        mac: 02-00-00-00-10-0A\n',
  );
  const cfg = parseConfig(both, 'c.yaml');
  const nft = generateRules(cfg, 'nftables');
  assert.match(nft, /type ether_addr \. ipv4_addr; flags interval;/);
  assert.match(nft, /02:00:00:00:10:0a \. 198\.18\.12\.0\/24 comment "globex"/);
  assert.match(nft, /iifname "e0" ether saddr \. ip saddr != @e0_v4 counter drop/);
  const c = spawnSync('nft', ['-c', '-f', '-'], { input: nft, encoding: 'utf8' });
  assert.equal(c.status, 0, c.stderr);
  assert.match(
    generateRules(cfg, 'iptables'),
    /-m mac --mac-source 02:00:00:00:10:02 -s 198\.18\.10\.2\/32 -j RETURN/,
  );
  assert.match(
    configError(SAMPLE.replace('      - name: acme\n', '      - name: acme\n        mac: zz:00\n'))
      .message,
    /MAC address looks like/,
  );
});

test('generateRules also takes a plain object in the file shape and validates it', () => {
  const text = generateRules(
    { interfaces: [{ name: 'e0', customers: [{ name: 'a', prefixes: ['198.18.0.0/24'] }] }] },
    'nftables',
  );
  assert.match(text, /198\.18\.0\.0\/24 comment "a"/);
  assert.throws(
    () =>
      generateRules(
        { interfaces: [{ name: 'e0', customers: [{ name: 'a', prefixes: ['198.18.0.1/24'] }] }] },
        'ios',
      ),
    (e: unknown) =>
      e instanceof HostopsError &&
      e.code === 'BCP38_CONFIG_INVALID' &&
      /prefixes\[0\]/.test(e.message),
  );
});

test('a YAML alias bomb is a named syntax error (exit 2), not an internal error', () => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  assert.throws(
    () => parseConfig([...lines, 'interfaces: *a8'].join('\n'), 'bomb.yaml'),
    (e: unknown) =>
      e instanceof HostopsError &&
      e.code === 'BCP38_CONFIG_SYNTAX' &&
      e.exitCode === 2 &&
      e.where === 'bomb.yaml' &&
      /alias/i.test(e.message),
  );
});

test('a customer prefix wider than /8 (IPv6 /16) is warned about: it filters almost nothing', () => {
  const cfg = parseConfig(
    `interfaces:
  - name: e0
    customers:
      - { name: a, prefixes: [0.0.0.0/0] }
      - { name: b, prefixes: ['2000::/3', 198.18.20.0/24] }
`,
    'w.yaml',
  );
  const wide = cfg.warnings.filter((w) => /filters almost nothing/.test(w));
  assert.deepEqual(wide, [
    "e0: a's 0.0.0.0/0 is so wide that it filters almost nothing: a may forge nearly any source",
    "e0: b's 2000::/3 is so wide that it filters almost nothing: b may forge nearly any source",
  ]);
  assert.ok(
    !parseConfig(
      'interfaces: [{ name: e0, customers: [{ name: a, prefixes: [10.0.0.0/8] }] }]\n',
      'ok.yaml',
    ).warnings.some((w) => /wide/.test(w)),
  );
});
