/**
 * ICMP extensions (RFC 4884) with an MPLS label stack (RFC 4950) in traceroute -e and mtr -e,
 * against traceroute 2.1 and mtr 0.95 through the same path. Linux routers never send them, so
 * the "router" namespace answers TTL-expired echo and UDP probes itself (test/net/fixtures/
 * mpls-responder.py, Debian's python3: a crafted time exceeded with the extension), while the
 * destination behind it is a plain kernel answering echo requests.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Topology } from '../lib/netns.js';
import { inNs, ours, requireTool, root } from './helpers.js';

const t = new Topology('mpls');
let cli = '';
let rtr = '';
let rif = '';
const ROUTER = '198.18.44.2';
const DEST = '198.18.45.1';
const STACK = '100/0/0/1,1048575/5/1/255';
const responders: ChildProcess[] = [];

before(() => {
  requireTool('mtr');
  requireTool('traceroute');
  cli = t.ns('c');
  rtr = t.ns('r');
  rif = t.link(cli, '198.18.44.1/30', rtr, `${ROUTER}/30`).bIf;
  t.exec(rtr, ['ip', 'addr', 'add', `${DEST}/32`, 'dev', 'lo']);
  t.route(cli, '198.18.45.0/24', ROUTER);
  // the kernel must not answer the TTL 1 probes itself (they are addressed to a local address)
  t.nft(
    rtr,
    'table ip mpls {\n chain pre {\n  type filter hook prerouting priority -300; policy accept;\n' +
      '  ip ttl 1 icmp type echo-request drop\n  ip ttl 1 udp dport 33434-33534 drop\n }\n}\n',
  );
});
after(() => {
  for (const r of responders) r.kill('SIGKILL');
  t.destroy();
});

/** Start the responder for `count` probes with the length field set (rfc4884) or 0 (compat). */
async function responder(mode: 'rfc4884' | 'compat', count: number): Promise<ChildProcess> {
  const p = t.spawn(rtr, [
    'timeout',
    '120',
    '/usr/bin/python3',
    path.join(root, 'test/net/fixtures/mpls-responder.py'),
    rif,
    ROUTER,
    STACK,
    mode,
    String(count),
  ]);
  responders.push(p);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    p.once('exit', (c) => reject(new Error(`responder exited (${c}) before it was ready: ${out}`)));
  });
  return p;
}

/** Stop a responder and wait until it is gone (a late one would answer the next test's probes too). */
async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((resolve) => p.once('exit', resolve));
  p.kill('SIGTERM'); // timeout passes it on to the responder and exits after it
  await gone;
}

const rttFree = (s: string) => s.replace(/\d+\.\d+ ms/g, 'X ms');
/** The header and hop 1 (the labelled one) byte for byte, RTTs masked; hop 2 must be the destination in ours. */
function sameHop1(me: string, ref: string): void {
  const [m, r] = [rttFree(me).split('\n'), rttFree(ref).split('\n')];
  assert.deepEqual(m.slice(0, 2), r.slice(0, 2));
  // -w 5,0,0 everywhere: the responder answers slower than the kernel, and traceroute's HERE/NEAR
  // rule would give up on its later answers; hop 2 is the kernel's own echo reply
  assert.match(m[2], new RegExp(`^ 2  ${DEST.replace(/\./g, '\\.')}  X ms  X ms  X ms$`));
}

for (const mode of ['rfc4884', 'compat'] as const) {
  test(`traceroute -I -e: the same MPLS text as traceroute 2.1 (extension ${mode === 'rfc4884' ? 'after the RFC 4884 length' : 'at 128 bytes, length 0'})`, async () => {
    const r = await responder(mode, 50);
    const ref = inNs(cli, ['traceroute', '-I', '-e', '-n', '-q', '3', '-w', '5,0,0', DEST]);
    const me = ours(cli, ['traceroute', '-I', '-e', '-n', '-q', '3', '-w', '5,0,0', DEST]);
    await stop(r);
    assert.equal(me.status, 0, me.stderr);
    assert.match(ref.stdout, /<MPLS:L=100,E=0,S=0,T=1\/L=1048575,E=5,S=1,T=255>/);
    sameHop1(me.stdout, ref.stdout);
    // without -e no extension is shown
    const r2 = await responder(mode, 50);
    const plain = ours(cli, ['traceroute', '-I', '-n', '-q', '3', '-w', '5,0,0', DEST]);
    await stop(r2);
    assert.doesNotMatch(plain.stdout, /MPLS/);
  });
}

test('traceroute -e with UDP probes (the default): labels read from the error queue, as traceroute 2.1 shows them', async () => {
  const r = await responder('rfc4884', 50);
  const ref = inNs(cli, ['traceroute', '-e', '-n', '-q', '3', '-w', '5,0,0', DEST]);
  const me = ours(cli, ['traceroute', '-e', '-n', '-q', '3', '-w', '5,0,0', DEST]);
  await stop(r);
  assert.equal(me.status, 0, me.stderr);
  assert.match(ref.stdout, /<MPLS:L=100,E=0,S=0,T=1\/L=1048575,E=5,S=1,T=255>/);
  sameHop1(me.stdout, ref.stdout);
});

test('mtr -e -r: the label lines of mtr 0.95 (its -z layout, S printed as a digit), none without -e', async () => {
  const r = await responder('rfc4884', 50);
  const ref = inNs(cli, ['mtr', '-e', '-z', '-r', '-n', '-c', '2', '-i', '0.2', DEST]);
  const me = ours(cli, ['mtr', '-e', '-z', '-r', '-n', '-c', '2', '-i', '0.2', DEST]);
  await stop(r);
  assert.equal(me.status, 0, me.stderr);
  // mtr 0.95 prints the S bit with "%cu": a raw 0x00/0x01 byte and a "u"
  // biome-ignore lint/suspicious/noControlCharactersInRegex: mtr prints a raw 0x00/0x01 byte there
  const rawS = / S [\x00\x01]u /g;
  const refLines = ref.stdout.replace(rawS, (m) => ` S ${m.charCodeAt(3)} `).split('\n');
  const mpls = (lines: string[]) => lines.filter((l) => l.includes('[MPLS'));
  assert.deepEqual(mpls(me.stdout.split('\n')), [
    '       [MPLS: Lbl 100 TC 0 S 0 TTL 1]',
    '       [MPLS: Lbl 1048575 TC 5 S 1 TTL 255]',
  ]);
  assert.deepEqual(mpls(me.stdout.split('\n')), mpls(refLines));
  // the lines sit under hop 1's row in both
  const hopOf = (lines: string[]) =>
    lines[lines.findIndex((l) => l.includes('[MPLS')) - 1].slice(0, 26);
  assert.equal(hopOf(me.stdout.split('\n')), hopOf(refLines));
  assert.match(hopOf(refLines), /^ {2}1\. AS\?\?\? {4}198\.18\.44\.2/);
  // without -z mtr 0.95 (built with IPINFO) prints no label line; hostops prints them whenever -e is given
  const r2 = await responder('rfc4884', 50);
  const me2 = ours(cli, ['mtr', '-e', '-r', '-n', '-c', '2', '-i', '0.2', DEST]);
  const none = ours(cli, ['mtr', '-r', '-n', '-c', '2', '-i', '0.2', DEST]);
  await stop(r2);
  const l2 = me2.stdout.split('\n');
  assert.deepEqual(mpls(l2), mpls(me.stdout.split('\n')));
  assert.match(l2[l2.findIndex((l) => l.includes('[MPLS')) - 1], /^ {2}1\.\|-- 198\.18\.44\.2 /);
  assert.doesNotMatch(none.stdout, /MPLS/);
});
