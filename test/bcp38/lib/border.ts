/**
 * customer -- border -- upstream namespaces (IPv4 198.18.10.0/24 + 198.18.11.0/30, IPv6
 * fd00:10::/64 + fd00:11::/64), rp_filter off everywhere, a `bcp38 listen` upstream, and a
 * spooftest runner from the customer.
 */
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { SpoofTestResult } from '../../../src/bcp38/index.js';
import { Topology } from '../../lib/netns.js';

export const cli = path.resolve('bin/hostops.js');

export interface Border {
  t: Topology;
  cust: string;
  border: string;
  up: string;
  custIf: string;
  custBorderIf: string;
  upBorderIf: string;
  spooftest(to?: string, other?: string): { status: number | null; result: SpoofTestResult };
  destroy(): void;
}

export function arrived(r: SpoofTestResult): string[] {
  return r.probes
    .filter((p) => p.received > 0)
    .map((p) => p.label)
    .sort();
}

export async function borderTopology(prefix: string): Promise<Border> {
  const t = new Topology(prefix);
  let listener: ChildProcess | null = null;
  try {
    const cust = t.ns('c');
    const border = t.ns('b', { router: true });
    const up = t.ns('u');
    const custLink = t.link(cust, '198.18.10.2/24', border, '198.18.10.1/24');
    const upLink = t.link(border, '198.18.11.1/30', up, '198.18.11.2/30');
    t.route(cust, 'default', '198.18.10.1');
    t.route(up, 'default', '198.18.11.1');
    for (const ns of [border, up])
      for (const k of ['all', 'default'])
        t.exec(ns, ['sysctl', '-qw', `net.ipv4.conf.${k}.rp_filter=0`]);
    for (const ifn of [custLink.bIf, upLink.aIf])
      t.exec(border, ['sysctl', '-qw', `net.ipv4.conf.${ifn}.rp_filter=0`]);
    t.exec(up, ['sysctl', '-qw', `net.ipv4.conf.${upLink.bIf}.rp_filter=0`]);
    // IPv6 on the same links (nodad: usable at once)
    for (const [ns, ifn, a] of [
      [cust, custLink.aIf, 'fd00:10::2'],
      [border, custLink.bIf, 'fd00:10::1'],
      [border, upLink.aIf, 'fd00:11::1'],
      [up, upLink.bIf, 'fd00:11::2'],
    ])
      t.exec(ns, ['ip', '-6', 'addr', 'add', `${a}/64`, 'dev', ifn, 'nodad']);
    t.exec(cust, ['ip', '-6', 'route', 'add', 'default', 'via', 'fd00:10::1']);
    t.exec(up, ['ip', '-6', 'route', 'add', 'default', 'via', 'fd00:11::1']);

    const l = t.spawn(up, [
      process.execPath,
      cli,
      'bcp38',
      'listen',
      '--port',
      '3838',
      '--json',
      '--duration',
      '120',
    ]);
    listener = l;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      l.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('"listening"')) resolve();
      });
      l.on('exit', (c) => reject(new Error(`listener exited ${c}`)));
      setTimeout(() => reject(new Error(`listener did not start: ${out}`)), 10_000);
    });
    return {
      t,
      cust,
      border,
      up,
      custIf: custLink.aIf,
      custBorderIf: custLink.bIf,
      upBorderIf: upLink.aIf,
      spooftest(to = '198.18.11.2', other = '198.18.12.5') {
        const r = spawnSync(
          'ip',
          [
            'netns',
            'exec',
            cust,
            process.execPath,
            cli,
            'bcp38',
            'spooftest',
            '--to',
            to,
            '--other',
            other,
            '--count',
            '2',
            '--wait',
            '400',
            '--json',
          ],
          { encoding: 'utf8', timeout: 20_000 },
        );
        assert.ok(r.stdout, `spooftest printed nothing: ${r.stderr}`);
        return { status: r.status, result: JSON.parse(r.stdout) };
      },
      destroy() {
        l.kill('SIGTERM');
        t.destroy();
      },
    };
  } catch (e) {
    listener?.kill('SIGTERM');
    t.destroy();
    throw e;
  }
}
