/**
 * customer -- border -- upstream (IPv4 and IPv6), with the spoof-test listener upstream. Spoofed
 * probes from the customer pass the border with no filter, strict uRPF still passes the
 * same-subnet (neighbour) spoof, and the generated nftables rules drop every forged source while
 * real traffic flows; on a shared segment only MAC binding stops the neighbour spoof.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateRules, parseConfig } from '../../src/bcp38/index.js';
import { arrived, borderTopology } from './lib/border.js';

test('spoofs pass before the generated nftables rules and are dropped after; real traffic flows', async () => {
  const b = await borderTopology('bsp');
  const { t, cust, border, spooftest } = b;
  const custLink = { aIf: b.custIf, bIf: b.custBorderIf };
  const upLink = { aIf: b.upBorderIf };
  try {
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
    for (const k of ['all', custLink.bIf])
      t.exec(border, ['sysctl', '-qw', `net.ipv4.conf.${k}.rp_filter=1`]);
    const urpf = spooftest();
    assert.deepEqual(arrived(urpf.result), ['control', 'neighbour']);
    for (const k of ['all', custLink.bIf])
      t.exec(border, ['sysctl', '-qw', `net.ipv4.conf.${k}.rp_filter=0`]);

    // 3. the generated rules: exact customer sets per interface
    const cfg = parseConfig(
      `interfaces:
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
`,
      'topology.yaml',
    );
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
    assert.deepEqual(
      arrived(filtered6.result),
      ['control'],
      JSON.stringify(filtered6.result.probes),
    );
    // real traffic still flows both ways: ping over both families, and the TCP control exchanges above
    for (const a of ['198.18.11.2', 'fd00:11::2']) {
      const ping = spawnSync(
        'ip',
        ['netns', 'exec', cust, 'ping', '-c', '2', '-i', '0.2', '-W', '2', a],
        { encoding: 'utf8' },
      );
      assert.equal(ping.status, 0, ping.stdout + ping.stderr);
    }

    // 4. a shared segment: the neighbour 198.18.10.3 is another customer on the same interface.
    // Per-interface sets then let acme forge globex's address; binding sources to MACs stops it.
    const shared = (macs: boolean) => {
      const mac = /link\/ether ([0-9a-f:]{17})/.exec(
        t.exec(cust, ['ip', 'link', 'show', custLink.aIf]),
      )![1];
      return parseConfig(
        `interfaces:
  - name: ${custLink.bIf}
    customers:
      - name: acme
        prefixes: [198.18.10.2/32]${macs ? `\n        mac: ${mac}` : ''}
      - name: globex
        prefixes: [198.18.10.3/32]${macs ? '\n        mac: 02:00:00:00:10:03' : ''}
`,
        'shared.yaml',
      );
    };
    t.nft(border, generateRules(shared(false), 'nftables'));
    assert.deepEqual(arrived(spooftest().result), ['control', 'neighbour']);
    t.nft(border, generateRules(shared(true), 'nftables'));
    const bound = spooftest();
    assert.deepEqual(arrived(bound.result), ['control']);
    assert.equal(bound.result.verdict, 'filtered');
  } finally {
    b.destroy();
  }
});
