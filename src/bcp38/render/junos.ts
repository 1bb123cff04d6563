/** Juniper Junos: prefix-lists and inet/inet6 input filters per customer interface, set commands. */
import type { Bcp38Config } from '../config.js';
import { header, ident, ownerOf } from './common.js';

function unitOf(name: string): { ifd: string; unit: string } {
  const m = /^(.*)\.(\d+)$/.exec(name);
  return m ? { ifd: m[1], unit: m[2] } : { ifd: name, unit: '0' };
}

export function renderJunos(cfg: Bcp38Config): string {
  const taken = new Set<string>();
  const out: string[] = [
    header(cfg, '#', 'Junos'),
    '# Paste in configuration mode, then commit check.',
  ];
  for (const ifc of cfg.interfaces) {
    const id = ident(ifc.name, taken, '-');
    const { ifd, unit } = unitOf(ifc.name);
    out.push('', `# ${ifc.name}: ${ifc.customers.map((c) => c.name).join(', ')}`);
    for (const fam of [4, 6] as const) {
      const list = fam === 4 ? ifc.v4 : ifc.v6;
      const family = fam === 4 ? 'inet' : 'inet6';
      const pl = `hostops-bcp38-${id}-v${fam}`,
        f = `hostops-bcp38-in-${id}-v${fam}`;
      const F = `set firewall family ${family} filter ${f}`;
      out.push(`delete firewall family ${family} filter ${f}`);
      if (list.length) {
        out.push(`delete policy-options prefix-list ${pl}`);
        for (const p of list) out.push(`set policy-options prefix-list ${pl} ${p.text}`);
        out.push(
          `${F} term customers from source-prefix-list ${pl}`,
          `${F} term customers then accept`,
        );
        out.push(
          `# ${pl}: ${[...new Set(list.map((p) => ownerOf(cfg, ifc.name, p.text)))].join(', ')}`,
        );
      }
      if (fam === 6 && cfg.allowLinkLocal) {
        out.push(
          `${F} term link-local from source-address fe80::/10`,
          `${F} term link-local from source-address ::/128`,
          `${F} term link-local then accept`,
        );
      }
      out.push(`${F} term spoofed then count ${f}-spoofed`, `${F} term spoofed then discard`);
      out.push(`set interfaces ${ifd} unit ${unit} family ${family} filter input ${f}`);
    }
    if (ifc.macBound) {
      out.push(
        `# customers share ${ifc.name}: add MAC binding on the access switch (DHCP snooping + IP source guard:`,
        '#   set ethernet-switching-options secure-access-port vlan <vlan> ip-source-guard); the filters above stop off-prefix spoofs only',
      );
    }
    out.push(
      '# rpf-check (strict by default) may be added as a second layer; it does not stop same-subnet spoofs:',
      `# set interfaces ${ifd} unit ${unit} family inet rpf-check`,
    );
  }
  if (cfg.uplinks.length) {
    for (const fam of [4, 6] as const) {
      const family = fam === 4 ? 'inet' : 'inet6';
      const list = cfg.egress.filter((p) => p.family === fam);
      const pl = `hostops-bcp38-egress-v${fam}`,
        f = `hostops-bcp38-out-v${fam}`;
      const F = `set firewall family ${family} filter ${f}`;
      out.push('', `delete firewall family ${family} filter ${f}`);
      if (list.length) {
        out.push(`delete policy-options prefix-list ${pl}`);
        for (const p of list) out.push(`set policy-options prefix-list ${pl} ${p.text}`);
        out.push(`${F} term ours from source-prefix-list ${pl}`, `${F} term ours then accept`);
      }
      if (fam === 6)
        out.push(
          `${F} term link-local from source-address fe80::/10`,
          `${F} term link-local then accept`,
        );
      out.push(`${F} term foreign then count ${f}-foreign`, `${F} term foreign then discard`);
      for (const u of cfg.uplinks) {
        const { ifd, unit } = unitOf(u);
        out.push(`set interfaces ${ifd} unit ${unit} family ${family} filter output ${f}`);
      }
    }
  }
  out.push('');
  return out.join('\n');
}
