/** Shared wording and naming for the rule renderers. */
import type { Bcp38Config } from '../config.js';

/** Why exact per-customer sets and not uRPF alone; printed as a comment block in every format. */
export const WHY = [
  'BCP 38 (RFC 2827) anti-spoofing: each customer interface accepts only the source prefixes',
  'assigned to the customers behind it. uRPF alone is not enough: loose mode passes any routable',
  'source (everything, with a default route), strict mode drops legitimate traffic on asymmetric',
  'or multihomed paths, and neither stops a customer spoofing a neighbour on the same subnet.',
];

export function header(cfg: Bcp38Config, comment: string, format: string): string {
  const n = cfg.interfaces.reduce((s, i) => s + i.customers.length, 0);
  return [
    `${comment} hostops bcp38 rules (${format}) from ${cfg.source}: ${cfg.interfaces.length} customer interface(s), ${n} customer(s)` +
      (cfg.uplinks.length ? `, egress filter on ${cfg.uplinks.join(', ')}` : ''),
    ...WHY.map((l) => `${comment} ${l}`),
  ].join('\n');
}

/** A name fragment made only of [A-Za-z0-9_], unique among `taken`. */
export function ident(name: string, taken: Set<string>, sep = '_'): string {
  let base =
    name.replace(/[^A-Za-z0-9]+/g, sep).replace(new RegExp(`^\\${sep}+|\\${sep}+$`, 'g'), '') ||
    'if';
  if (/^[0-9]/.test(base)) base = `if${sep}${base}`;
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}${sep}${i}`;
  taken.add(id);
  return id;
}

/** Which customer a prefix of an interface belongs to (first listed), for comments. */
export function ownerOf(cfg: Bcp38Config, ifName: string, text: string): string {
  const ifc = cfg.interfaces.find((i) => i.name === ifName)!;
  return (
    ifc.customers.find((c) => c.prefixes.some((p) => p.text === text))?.name ?? 'covering prefix'
  );
}
