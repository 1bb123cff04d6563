/** nftables: one table, a set per customer interface and family, drop in prerouting at raw priority. */
import type { Bcp38Config } from '../config.js';
import type { Prefix } from '../../lib/ip.js';
import { header, ident, ownerOf } from './common.js';

export const NFT_TABLE = 'hostops_bcp38';

function elements(cfg: Bcp38Config, ifName: string | null, list: Prefix[]): string {
  if (list.length === 0) return '';
  const els = list.map((p) => {
    const txt =
      (p.family === 4 && p.len === 32) || (p.family === 6 && p.len === 128)
        ? p.text.replace(/\/\d+$/, '')
        : p.text;
    return ifName ? `${txt} comment "${ownerOf(cfg, ifName, p.text)}"` : txt;
  });
  return ` elements = {\n      ${els.join(',\n      ')}\n    }`;
}

export function renderNftables(cfg: Bcp38Config): string {
  const taken = new Set<string>();
  const out: string[] = [
    header(cfg, '#', 'nftables'),
    `# Load with: nft -f FILE (replaces table inet ${NFT_TABLE}; nothing else is touched).`,
    '',
    `table inet ${NFT_TABLE} {}`,
    `delete table inet ${NFT_TABLE}`,
    `table inet ${NFT_TABLE} {`,
  ];
  const rules: string[] = [];
  const ll = cfg.allowLinkLocal ? ' ip6 saddr != fe80::/10 ip6 saddr != ::' : '';
  for (const ifc of cfg.interfaces) {
    const id = ident(ifc.name, taken);
    out.push(
      `  # ${ifc.name}${ifc.description ? ` (${ifc.description})` : ''}: ${ifc.customers.map((c) => c.name).join(', ')}`,
    );
    if (ifc.macBound) {
      // shared segment: each customer may use its prefixes only from its own MAC address
      out.push('  # customers share this segment: sources are bound to their MAC addresses');
      for (const fam of [4, 6] as const) {
        const els = ifc.customers.flatMap((c) =>
          c.prefixes
            .filter((p) => p.family === fam)
            .map((p) => `${c.mac} . ${p.text} comment "${c.name}"`),
        );
        out.push(
          `  set ${id}_v${fam} {\n    type ether_addr . ipv${fam}_addr; flags interval;${els.length ? ` elements = {\n      ${els.join(',\n      ')}\n    }` : ''}\n  }`,
        );
      }
      rules.push(
        `    iifname "${ifc.name}" ether saddr . ip saddr != @${id}_v4 counter drop comment "bcp38 ${ifc.name}: spoofed IPv4 source or foreign MAC"`,
      );
      rules.push(
        `    iifname "${ifc.name}"${ll} ether saddr . ip6 saddr != @${id}_v6 counter drop comment "bcp38 ${ifc.name}: spoofed IPv6 source or foreign MAC"`,
      );
      continue;
    }
    out.push(
      `  set ${id}_v4 {\n    type ipv4_addr; flags interval;${elements(cfg, ifc.name, ifc.v4)}\n  }`,
    );
    out.push(
      `  set ${id}_v6 {\n    type ipv6_addr; flags interval;${elements(cfg, ifc.name, ifc.v6)}\n  }`,
    );
    rules.push(
      `    iifname "${ifc.name}" ip saddr != @${id}_v4 counter drop comment "bcp38 ${ifc.name}: spoofed IPv4 source"`,
    );
    rules.push(
      `    iifname "${ifc.name}"${ll} ip6 saddr != @${id}_v6 counter drop comment "bcp38 ${ifc.name}: spoofed IPv6 source"`,
    );
  }
  out.push(
    '  chain antispoof {',
    '    type filter hook prerouting priority raw; policy accept;',
    ...rules,
    '  }',
  );
  if (cfg.uplinks.length) {
    const v4 = cfg.egress.filter((p) => p.family === 4),
      v6 = cfg.egress.filter((p) => p.family === 6);
    out.push(
      `  # egress: only our own address space may be forwarded out of ${cfg.uplinks.join(', ')}`,
    );
    out.push(
      `  set egress_v4 {\n    type ipv4_addr; flags interval;${elements(cfg, null, v4)}\n  }`,
    );
    out.push(
      `  set egress_v6 {\n    type ipv6_addr; flags interval;${elements(cfg, null, v6)}\n  }`,
    );
    out.push('  chain egress {', '    type filter hook forward priority filter; policy accept;');
    for (const u of cfg.uplinks) {
      out.push(
        `    oifname "${u}" ip saddr != @egress_v4 counter drop comment "bcp38 egress ${u}: foreign IPv4 source"`,
      );
      out.push(
        `    oifname "${u}" ip6 saddr != @egress_v6 counter drop comment "bcp38 egress ${u}: foreign IPv6 source"`,
      );
    }
    out.push('  }');
  }
  out.push('}', '');
  return out.join('\n');
}
