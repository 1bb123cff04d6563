/** Cisco IOS: an extended ACL and an IPv6 ACL per customer interface, applied inbound. */
import type { Bcp38Config } from '../config.js';
import { addrOf, wildcard4, type Prefix } from '../../lib/ip.js';
import { header, ident, ownerOf } from './common.js';

const v4entry = (p: Prefix) =>
  p.len === 32 ? `host ${addrOf(p)}` : p.len === 0 ? 'any' : `${addrOf(p)} ${wildcard4(p.len)}`;
const v6entry = (p: Prefix) =>
  p.len === 128 ? `host ${addrOf(p).toUpperCase()}` : `${addrOf(p).toUpperCase()}/${p.len}`;

const macDotted = (m: string) => m.replace(/:/g, '').replace(/(.{4})(?=.)/g, '$1.');

export function renderIos(cfg: Bcp38Config): string {
  const taken = new Set<string>();
  const out: string[] = [header(cfg, '!', 'Cisco IOS'), '!'];
  const apply: string[] = [];
  for (const ifc of cfg.interfaces) {
    const id = ident(ifc.name, taken, '-').toUpperCase();
    const a4 = `HOSTOPS-BCP38-IN-${id}`,
      a6 = `HOSTOPS-BCP38-V6-IN-${id}`;
    out.push(`ip access-list extended ${a4}`);
    for (const p of ifc.v4)
      out.push(` remark ${ownerOf(cfg, ifc.name, p.text)}`, ` permit ip ${v4entry(p)} any`);
    out.push(' deny ip any any log', '!');
    out.push(`ipv6 access-list ${a6}`);
    for (const p of ifc.v6)
      out.push(` remark ${ownerOf(cfg, ifc.name, p.text)}`, ` permit ipv6 ${v6entry(p)} any`);
    if (cfg.allowLinkLocal)
      out.push(
        ' remark neighbour discovery and link-local',
        ' permit ipv6 FE80::/10 any',
        ' permit icmp host :: any nd-ns',
      );
    out.push(' deny ipv6 any any log', '!');
    apply.push(
      `interface ${ifc.name}`,
      ` ip access-group ${a4} in`,
      ` ipv6 traffic-filter ${a6} in`,
      ...(ifc.macBound
        ? [
            ' ! customers share this segment: bind addresses to MACs with IP Source Guard (DHCP snooping or static bindings):',
            ...ifc.customers.flatMap((c) =>
              c.prefixes
                .filter((p) => p.family === 4 && p.len === 32)
                .map(
                  (p) =>
                    ` !   ip source binding ${macDotted(c.mac!)} vlan <vlan> ${addrOf(p)} interface ${ifc.name}`,
                ),
            ),
            ' ! ip verify source port-security',
          ]
        : []),
      ' ! uRPF may be added as a second layer; it does not replace the ACL (same-subnet spoofs pass it):',
      ' ! ip verify unicast source reachable-via rx',
      '!',
    );
  }
  if (cfg.uplinks.length) {
    out.push('ip access-list extended HOSTOPS-BCP38-OUT');
    for (const p of cfg.egress.filter((x) => x.family === 4))
      out.push(` permit ip ${v4entry(p)} any`);
    out.push(' deny ip any any log', '!', 'ipv6 access-list HOSTOPS-BCP38-V6-OUT');
    for (const p of cfg.egress.filter((x) => x.family === 6))
      out.push(` permit ipv6 ${v6entry(p)} any`);
    out.push(' permit ipv6 FE80::/10 any', ' deny ipv6 any any log', '!');
    for (const u of cfg.uplinks)
      apply.push(
        `interface ${u}`,
        ' ip access-group HOSTOPS-BCP38-OUT out',
        ' ipv6 traffic-filter HOSTOPS-BCP38-V6-OUT out',
        '!',
      );
  }
  out.push(...apply, 'end', '');
  return out.join('\n');
}
