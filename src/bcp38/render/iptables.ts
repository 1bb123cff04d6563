/**
 * iptables/ip6tables as a POSIX sh script: ipset sets per interface (default) or one RETURN rule
 * per prefix; drops in the raw table's PREROUTING (before conntrack), egress in FORWARD.
 */
import type { Bcp38Config } from '../config.js';
import type { Prefix } from '../../lib/ip.js';
import { header, ident, ownerOf } from './common.js';

export type IptablesMode = 'ipset' | 'rules';

export function renderIptables(cfg: Bcp38Config, mode: IptablesMode = 'ipset'): string {
  const taken = new Set<string>();
  const out: string[] = [
    '#!/bin/sh',
    header(cfg, '#', `iptables, ${mode}`),
    '# Run as root; re-running replaces what an earlier run installed. Needs iptables' +
      (mode === 'ipset' ? ' and ipset.' : '.'),
    'set -e',
    '',
  ];
  /** Create or flush a chain and hook it in once. */
  const chain = (ipt: string, table: string, name: string, hook: string) => {
    out.push(`${ipt} -t ${table} -N ${name} 2>/dev/null || ${ipt} -t ${table} -F ${name}`);
    out.push(
      `${ipt} -t ${table} -C ${hook} -j ${name} 2>/dev/null || ${ipt} -t ${table} -I ${hook} 1 -j ${name}`,
    );
  };
  chain('iptables', 'raw', 'HOSTOPS-BCP38', 'PREROUTING');
  chain('ip6tables', 'raw', 'HOSTOPS-BCP38', 'PREROUTING');
  const ll = (ifName: string) =>
    cfg.allowLinkLocal
      ? [
          `ip6tables -t raw -A HOSTOPS-BCP38 -i ${ifName} -s fe80::/10 -j RETURN`,
          `ip6tables -t raw -A HOSTOPS-BCP38 -i ${ifName} -s ::/128 -j RETURN`,
        ]
      : [];
  for (const ifc of cfg.interfaces) {
    const id = ident(ifc.name, taken, '-');
    out.push('', `# ${ifc.name}: ${ifc.customers.map((c) => c.name).join(', ')}`);
    for (const [fam, list, ipt] of [
      [4, ifc.v4, 'iptables'],
      [6, ifc.v6, 'ip6tables'],
    ] as [4 | 6, Prefix[], string][]) {
      if (fam === 6) out.push(...ll(ifc.name));
      if (ifc.macBound) {
        // shared segment: (MAC, prefix) pairs; ipset has no MAC+net type, so one rule per pair
        const c = `HOB38-${id}`.slice(0, 28);
        out.push(`${ipt} -t raw -N ${c} 2>/dev/null || ${ipt} -t raw -F ${c}`);
        for (const cu of ifc.customers)
          for (const p of cu.prefixes.filter((x) => x.family === fam)) {
            out.push(
              `${ipt} -t raw -A ${c} -m mac --mac-source ${cu.mac} -s ${p.text} -j RETURN -m comment --comment "${cu.name}"`,
            );
          }
        out.push(`${ipt} -t raw -A ${c} -j DROP`);
        out.push(`${ipt} -t raw -A HOSTOPS-BCP38 -i ${ifc.name} -j ${c}`);
      } else if (mode === 'ipset') {
        const set = `hob38-${id}-${fam}`.slice(0, 31);
        out.push(
          `ipset create -exist ${set} hash:net family ${fam === 4 ? 'inet' : 'inet6'} comment`,
        );
        out.push(`ipset flush ${set}`);
        for (const p of list)
          out.push(`ipset add ${set} ${p.text} comment "${ownerOf(cfg, ifc.name, p.text)}"`);
        out.push(
          `${ipt} -t raw -A HOSTOPS-BCP38 -i ${ifc.name} -m set ! --match-set ${set} src -j DROP`,
        );
      } else {
        const c = `HOB38-${id}`.slice(0, 28);
        out.push(`${ipt} -t raw -N ${c} 2>/dev/null || ${ipt} -t raw -F ${c}`);
        for (const p of list)
          out.push(
            `${ipt} -t raw -A ${c} -s ${p.text} -j RETURN -m comment --comment "${ownerOf(cfg, ifc.name, p.text)}"`,
          );
        out.push(`${ipt} -t raw -A ${c} -j DROP`);
        out.push(`${ipt} -t raw -A HOSTOPS-BCP38 -i ${ifc.name} -j ${c}`);
      }
    }
  }
  if (cfg.uplinks.length) {
    out.push(
      '',
      `# egress: only our own address space may be forwarded out of ${cfg.uplinks.join(', ')}`,
    );
    chain('iptables', 'filter', 'HOSTOPS-BCP38-OUT', 'FORWARD');
    chain('ip6tables', 'filter', 'HOSTOPS-BCP38-OUT', 'FORWARD');
    for (const [fam, ipt] of [
      [4, 'iptables'],
      [6, 'ip6tables'],
    ] as [4 | 6, string][]) {
      const list = cfg.egress.filter((p) => p.family === fam);
      for (const u of cfg.uplinks) {
        const c = `HOB38-OUT-${ident(u, taken, '-')}`.slice(0, 28);
        out.push(`${ipt} -N ${c} 2>/dev/null || ${ipt} -F ${c}`);
        for (const p of list) out.push(`${ipt} -A ${c} -s ${p.text} -j RETURN`);
        out.push(`${ipt} -A ${c} -j DROP`);
        out.push(`${ipt} -A HOSTOPS-BCP38-OUT -o ${u} -j ${c}`);
      }
    }
  }
  out.push('');
  return out.join('\n');
}
