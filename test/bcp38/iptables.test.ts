/** The generated iptables/ip6tables scripts (ipset and per-prefix modes, MAC binding) run for real in a namespace. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateRules, parseConfig } from '../../src/bcp38/index.js';
import { arrived, borderTopology, cli } from './lib/border.js';

for (const tool of ['iptables', 'ip6tables', 'ipset']) {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  if (r.error)
    throw new Error(
      `${tool} is required for test/bcp38/iptables.test.ts (scripts/setup.d/bcp38.sh installs it): ${r.error.message}`,
    );
}

test('iptables scripts drop forged sources in the border namespace, re-runnable, real traffic flows', async () => {
  const b = await borderTopology('bip');
  try {
    const cfg = (extra = '') =>
      parseConfig(
        `interfaces:
  - name: ${b.custBorderIf}
    customers:
      - name: acme
        prefixes: [198.18.10.2/32, fd00:10::2/128]${extra}
uplinks: [${b.upBorderIf}]
infrastructure: [198.18.11.0/30, fd00:11::/64]
`,
        'ipt.yaml',
      );
    const run = (script: string) => b.t.exec(b.border, ['sh', '-s'], script);
    assert.equal(
      arrived(b.spooftest().result).length,
      b.spooftest().result.probes.length,
      'all pass before',
    );

    for (const mode of ['ipset', 'rules'] as const) {
      const script = generateRules(cfg(), 'iptables', { iptablesMode: mode });
      run(script);
      run(script); // a second run replaces, it does not duplicate
      const v4 = b.spooftest();
      assert.deepEqual(
        arrived(v4.result),
        ['control'],
        `${mode}: ${JSON.stringify(v4.result.probes)}`,
      );
      const v6 = b.spooftest('fd00:11::2', 'fd00:12::5');
      assert.deepEqual(
        arrived(v6.result),
        ['control'],
        `${mode} v6: ${JSON.stringify(v6.result.probes)}`,
      );
      const listing = b.t.exec(b.border, ['iptables', '-t', 'raw', '-S', 'HOSTOPS-BCP38']);
      assert.equal(
        listing.split('\n').filter((l) => l.startsWith('-A HOSTOPS-BCP38 ')).length,
        1,
        listing,
      );
    }
    // MAC binding: acme's real MAC passes, a foreign MAC with acme's address would not
    const mac = /link\/ether ([0-9a-f:]{17})/.exec(
      b.t.exec(b.cust, ['ip', 'link', 'show', b.custIf]),
    )![1];
    run(generateRules(cfg(`\n        mac: ${mac}`), 'iptables'));
    assert.deepEqual(arrived(b.spooftest().result), ['control']);
    run(generateRules(cfg('\n        mac: 02:00:00:00:00:99'), 'iptables'));
    // with the wrong MAC even acme's real address is dropped: the TCP control exchange cannot start
    const wrong = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        b.cust,
        process.execPath,
        cli,
        'bcp38',
        'spooftest',
        '--to',
        '198.18.11.2',
        '--json',
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    assert.equal(wrong.status, 3);
    assert.match(JSON.parse(wrong.stderr).error.code, /^BCP38_CONTROL_(TIMEOUT|UNREACHABLE)$/);
    run(generateRules(cfg(), 'iptables'));
    for (const a of ['198.18.11.2', 'fd00:11::2']) {
      const ping = spawnSync(
        'ip',
        ['netns', 'exec', b.cust, 'ping', '-c', '2', '-i', '0.2', '-W', '2', a],
        { encoding: 'utf8' },
      );
      assert.equal(ping.status, 0, ping.stdout + ping.stderr);
    }
  } finally {
    b.destroy();
  }
});
