/**
 * customer -- border -- upstream (IPv4 and IPv6), with the spoof-test listener upstream. Spoofed
 * probes from the customer pass the border with no filter, strict uRPF still passes the
 * same-subnet (neighbour) spoof, and the generated nftables rules drop every forged source while
 * real traffic flows; on a shared segment only MAC binding stops the neighbour spoof.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { generateRules, parseConfig, type SpoofTestResult } from '../../src/bcp38/index.js';
import { Topology } from '../lib/netns.js';

const cli = path.resolve('bin/hostops.js');

function arrived(r: SpoofTestResult): string[] {
  return r.probes.filter((p) => p.received > 0).map((p) => p.label).sort();
}

test('spoofs pass before the generated nftables rules and are dropped after; real traffic flows', async () => {
  const t = new Topology('bsp');
  let listener: ChildProcess | null = null;
  try {
    const cust = t.ns('c');
    const border = t.ns('b', { router: true });
    const up = t.ns('u');
    const custLink = t.link(cust, '198.18.10.2/24', border, '198.18.10.1/24');
    const upLink = t.link(border, '198.18.11.1/30', up, '198.18.11.2/30');
    t.route(cust, 'default', '198.18.10.1');
    t.route(up, 'default', '198.18.11.1');
    for (const ns of [border, up]) for (const k of ['all', 'default']) t.exec(ns, ['sysctl', '-qw', `net.ipv4.conf.${k}.rp_filter=0`]);
    for (const ifn of [custLink.bIf, upLink.aIf]) t.exec(border, ['sysctl', '-qw', `net.ipv4.conf.${ifn}.rp_filter=0`]);
    t.exec(up, ['sysctl', '-qw', `net.ipv4.conf.${upLink.bIf}.rp_filter=0`]);
    // IPv6 on the same links (nodad: usable at once)
    for (const [ns, ifn, a] of [[cust, custLink.aIf, 'fd00:10::2'], [border, custLink.bIf, 'fd00:10::1'],
      [border, upLink.aIf, 'fd00:11::1'], [up, upLink.bIf, 'fd00:11::2']]) t.exec(ns, ['ip', '-6', 'addr', 'add', `${a}/64`, 'dev', ifn, 'nodad']);
    t.exec(cust, ['ip', '-6', 'route', 'add', 'default', 'via', 'fd00:10::1']);
    t.exec(up, ['ip', '-6', 'route', 'add', 'default', 'via', 'fd00:11::1']);

    listener = t.spawn(up, [process.execPath, cli, 'bcp38', 'listen', '--port', '3838', '--json', '--duration', '60']);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      listener!.stdout!.on('data', (d) => { out += d; if (out.includes('"listening"')) resolve(); });
      listener!.on('exit', (c) => reject(new Error(`listener exited ${c}`)));
      setTimeout(() => reject(new Error(`listener did not start: ${out}`)), 10_000);
    });

    const spooftest = (to = '198.18.11.2', other = '198.18.12.5'): { status: number | null; result: SpoofTestResult } => {
      const r = spawnSync('ip', ['netns', 'exec', cust, process.execPath, cli, 'bcp38', 'spooftest', '--to', to,
        '--other', other, '--count', '2', '--wait', '400', '--json'], { encoding: 'utf8', timeout: 20_000 });
      assert.ok(r.stdout, `spooftest printed nothing: ${r.stderr}`);
      return { status: r.status, result: JSON.parse(r.stdout) };
    };

    // 1. no filter: every forged source reaches the upstream host
    const open = spooftest();
    assert.equal(open.result.verdict, 'spoofable');
    assert.equal(open.status, 1);
    assert.equal(open.result.localAddress, '198.18.10.2');
    const all = open.result.probes.map((p) => p.label).sort();
    assert.deepEqual(arrived(open.result), all);
    const nb = open.result.probes.find((p) => p.kind === 'neighbour')!;
    assert.equal(nb.address, '198.18.10.3');
    assert.deepEqual(nb.seenAs, ['198.18.10.3'], 'the listener saw the forged source itself');
    const open6 = spooftest('fd00:11::2', 'fd00:12::5');
    assert.equal(open6.result.localAddress, 'fd00:10::2');
    assert.deepEqual(arrived(open6.result), open6.result.probes.map((p) => p.label).sort());

    // 2. strict uRPF on the border: off-prefix spoofs dropped, the same-subnet neighbour passes
    for (const k of ['all', custLink.bIf]) t.exec(border, ['sysctl', '-qw', `net.ipv4.conf.${k}.rp_filter=1`]);
    const urpf = spooftest();
    assert.deepEqual(arrived(urpf.result), ['control', 'neighbour']);
    for (const k of ['all', custLink.bIf]) t.exec(border, ['sysctl', '-qw', `net.ipv4.conf.${k}.rp_filter=0`]);

    // 3. the generated rules: exact customer sets per interface
    const cfg = parseConfig(`interfaces:
  - name: ${custLink.bIf}
    customers:
      - name: acme
        prefixes: [198.18.10.2/32, fd00:10::2/128]
  - name: ${custLink.bIf.slice(0, -1)}x
    customers:
      - name: globex
        prefixes: [198.18.12.0/24, fd00:12::/48]
uplinks: [${upLink.aIf}]
infrastructure: [198.18.11.0/30]
`, 'topology.yaml');
    t.nft(border, generateRules(cfg, 'nftables'));
    const filtered = spooftest();
    assert.equal(filtered.result.verdict, 'filtered', JSON.stringify(filtered.result.probes));
    assert.equal(filtered.status, 0);
    assert.deepEqual(arrived(filtered.result), ['control']);
    const counters = t.exec(border, ['nft', 'list', 'chain', 'inet', 'hostops_bcp38', 'antispoof']);
    const dropped = Number(/ip saddr != @\w+ counter packets (\d+)/.exec(counters)![1]);
    assert.equal(dropped, 2 * (all.length - 1), 'every forged probe was counted by the rule');
    // IPv6 through the same rules: neighbour discovery keeps working (the control and its TCP
    // exchange arrive), every forged IPv6 source is dropped
    const filtered6 = spooftest('fd00:11::2', 'fd00:12::5');
    assert.deepEqual(arrived(filtered6.result), ['control'], JSON.stringify(filtered6.result.probes));
    // real traffic still flows both ways: ping over both families, and the TCP control exchanges above
    for (const a of ['198.18.11.2', 'fd00:11::2']) {
      const ping = spawnSync('ip', ['netns', 'exec', cust, 'ping', '-c', '2', '-i', '0.2', '-W', '2', a], { encoding: 'utf8' });
      assert.equal(ping.status, 0, ping.stdout + ping.stderr);
    }

    // 4. a shared segment: the neighbour 198.18.10.3 is another customer on the same interface.
    // Per-interface sets then let acme forge globex's address; binding sources to MACs stops it.
    const shared = (macs: boolean) => {
      const mac = /link\/ether ([0-9a-f:]{17})/.exec(t.exec(cust, ['ip', 'link', 'show', custLink.aIf]))![1];
      return parseConfig(`interfaces:
  - name: ${custLink.bIf}
    customers:
      - name: acme
        prefixes: [198.18.10.2/32]${macs ? `\n        mac: ${mac}` : ''}
      - name: globex
        prefixes: [198.18.10.3/32]${macs ? '\n        mac: 02:00:00:00:10:03' : ''}
`, 'shared.yaml');
    };
    t.nft(border, generateRules(shared(false), 'nftables'));
    assert.deepEqual(arrived(spooftest().result), ['control', 'neighbour']);
    t.nft(border, generateRules(shared(true), 'nftables'));
    const bound = spooftest();
    assert.deepEqual(arrived(bound.result), ['control']);
    assert.equal(bound.result.verdict, 'filtered');
  } finally {
    listener?.kill('SIGTERM');
    t.destroy();
  }
});
