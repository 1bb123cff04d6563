import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Topology } from '../lib/netns.js';
import { ampTopology, startResponder, cliIn, ROOT } from './topo.js';
import { rulesFor, ip, replyBytes, type Rule } from './fixtures/replies.js';
import { PROTOCOLS } from '../../src/amp/protocols.js';

const ALL = PROTOCOLS.map((p) => p.name);
const probeLen = (name: string) =>
  PROTOCOLS.find((p) => p.name === name)!.build({ tx16: 1, tx32: 1 }).length;

function rules(): Rule[] {
  const junk = Buffer.from([...Array(200).keys()].map((i) => (i * 37) & 0xff));
  const smallDns = Buffer.alloc(28);
  smallDns[2] = 0x81;
  smallDns[3] = 0x80;
  const smallRv = Buffer.from('d682000100000000000000000000000000', 'hex').subarray(0, 12);
  return [
    ...rulesFor('198.18.64.10', '198.18.64.10', ALL),
    // reflectors: answer, but no bigger than the probe
    { port: 53, lo: ip('198.18.64.11'), hi: ip('198.18.64.11'), replies: [smallDns], echo: 2 },
    {
      port: 123,
      lo: ip('198.18.64.11'),
      hi: ip('198.18.64.11'),
      replies: [smallRv],
      match: Buffer.from([0x16, 0x02]),
    },
    // hostile: garbage on 123, a DNS answer with the wrong transaction id
    { port: 123, lo: ip('198.18.64.12'), hi: ip('198.18.64.12'), replies: [junk] },
    {
      port: 53,
      lo: ip('198.18.64.12'),
      hi: ip('198.18.64.12'),
      replies: [Buffer.concat([Buffer.from([0, 0, 0x81, 0x80]), Buffer.alloc(900)])],
    },
    // mis-attribution traps: answer from another port, answer from an excluded address
    { ...rulesFor('198.18.64.13', '198.18.64.13', ['dns'])[0], fromPort: 5353 },
    {
      ...rulesFor('198.18.64.14', '198.18.64.14', ['memcached'])[0],
      fromAddr: ip('198.18.64.200'),
    },
    ...rulesFor('198.18.64.20', '198.18.64.29', ['memcached']),
    ...rulesFor('198.18.64.200', '198.18.64.200', ALL),
    ...rulesFor('198.18.64.100', '198.18.64.100', ['ntp-monlist']),
  ];
}

test('amp scan finds every responder, measures factors, never mis-attributes', async () => {
  const t = new Topology('as');
  try {
    const { scanner, responder } = ampTopology(t, 40, '198.18.64.0/20');
    const resp = await startResponder(t, responder, rules());
    try {
      for (const engine of ['native', 'dgram']) {
        const out = t.exec(scanner, [
          process.execPath,
          '--import',
          'tsx',
          path.join(ROOT, 'test/amp/fixtures/run.ts'),
          JSON.stringify({
            rate: engine === 'native' ? 20000 : 5000,
            waitMs: 800,
            exclude: ['198.18.64.200'],
            engine,
          }),
          '198.18.64.0/24',
        ]);
        const r = JSON.parse(out);
        assert.equal(r.error, undefined, out);
        assert.equal(r.engine, engine);
        assert.equal(r.addresses, 255);
        assert.equal(r.probes, 255 * 12);
        assert.equal(r.aborted, false);
        // the rate limit holds: sending cannot finish sooner than probes / rate
        assert.ok(
          r.sendSeconds >= (r.probes / r.rate) * 0.9,
          `sent ${r.probes} in ${r.sendSeconds}s at limit ${r.rate}/s`,
        );
        const key = (f: { address: string; protocol: string }) => `${f.address} ${f.protocol}`;
        const amps = new Set(r.findings.filter((f: any) => f.verdict === 'amplifier').map(key));
        const want = new Set([
          ...ALL.map((p) => `198.18.64.10 ${p}`),
          ...[...Array(10).keys()].map((i) => `198.18.64.${20 + i} memcached`),
          '198.18.64.100 ntp-monlist',
        ]);
        assert.deepEqual([...amps].sort(), [...want].sort(), engine);
        for (const f of r.findings.filter((x: any) => x.address === '198.18.64.10')) {
          assert.equal(f.replyBytes, replyBytes(f.protocol), `${f.protocol} bytes`);
          assert.equal(
            f.factor,
            Math.round((replyBytes(f.protocol) / f.requestBytes) * 100) / 100,
            f.protocol,
          );
          if (f.protocol !== 'cldap' && f.protocol !== 'snmp')
            assert.equal(f.requestBytes, probeLen(f.protocol), f.protocol);
        }
        const monlist = r.findings.find((f: any) => f.address === '198.18.64.100');
        assert.deepEqual(
          [monlist.replyPackets, monlist.replyBytes, monlist.factor, monlist.frameFactor],
          [100, 44000, 916.67, 535.56],
        );
        const refl = r.findings
          .filter((f: any) => f.verdict === 'reflector')
          .map(key)
          .sort();
        assert.deepEqual(refl, ['198.18.64.11 dns', '198.18.64.11 ntp-mode6']);
        const bad = r.findings
          .filter((f: any) => f.verdict === 'invalid')
          .map(key)
          .sort();
        assert.deepEqual(bad, ['198.18.64.12 dns', '198.18.64.12 ntp-monlist']);
        assert.ok(
          !r.findings.some((f: any) =>
            ['198.18.64.13', '198.18.64.14', '198.18.64.200'].includes(f.address),
          ),
          'mis-attributed reply',
        );
        assert.ok(r.unsolicited.packets >= 2, JSON.stringify(r.unsolicited));
      }
      // CLI: table, --csv, --json and exit code 1 when amplifiers exist
      const table = cliIn(scanner, [
        'amp',
        'scan',
        '198.18.64.0/27',
        '--rate',
        '10000',
        '--wait',
        '500',
      ]);
      assert.equal(table.status, 1, table.stderr);
      assert.match(
        table.stdout,
        /198\.18\.64\.10\s+ntp-monlist\s+123\s+48B\s+100p\/44000B\s+916\.67x/,
      );
      const csv = cliIn(scanner, [
        'amp',
        'scan',
        '198.18.64.20-198.18.64.29',
        '-P',
        'memcached,dns',
        '--csv',
        '--wait',
        '500',
      ]);
      const lines = csv.stdout.trim().split('\n');
      assert.equal(
        lines[0],
        'address,protocol,port,request_bytes,reply_packets,reply_bytes,factor_payload,factor_frame,invalid_packets,verdict',
      );
      assert.equal(lines.length, 11);
      assert.match(lines[1], /^198\.18\.64\.2\d,memcached,11211,15,1,1400,93\.33,/);
      const none = cliIn(scanner, ['amp', 'scan', '198.18.64.40/29', '--json', '--wait', '300']);
      assert.equal(none.status, 0);
      assert.deepEqual(JSON.parse(none.stdout).findings, []);
      const refused = cliIn(scanner, ['amp', 'scan', '198.18.0.0/15']);
      assert.equal(refused.status, 2);
      assert.match(refused.stderr, /--force/);
    } finally {
      const stats = await resp.stop();
      assert.ok(stats && stats.received > 0);
    }
  } finally {
    t.destroy();
  }
});
