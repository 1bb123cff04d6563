/**
 * The customer-prefix file for `bcp38 rules` (YAML or JSON, one schema). Every error names the
 * file, line and field, e.g. `customers.yaml:7: interfaces[0].customers[1].prefixes[2]: ...`.
 */
import { readFile } from 'node:fs/promises';
import { isNode } from 'yaml';
import { z } from 'zod';
import { HostopsError } from '../lib/errors.js';
import { formatPath, parseYaml } from '../lib/yaml.js';
import { parsePrefix } from './cidr.js';
import { aggregate, contains, type Prefix } from '../lib/ip.js';

const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

const schema = z
  .object({
    interfaces: z
      .array(
        z
          .object({
            name: z
              .string()
              .regex(IFNAME, 'interface names use letters, digits and _ . : / - (at most 64)'),
            description: z.string().max(200).optional(),
            customers: z
              .array(
                z
                  .object({
                    name: z
                      .string()
                      .regex(NAME, 'customer names use letters, digits and _ . @ - (at most 64)'),
                    prefixes: z.array(z.string()).min(1, 'a customer needs at least one prefix'),
                    mac: z
                      .string()
                      .regex(
                        /^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$/,
                        'a MAC address looks like 02:00:5e:10:00:01',
                      )
                      .optional(),
                  })
                  .strict(),
              )
              .min(1, 'an interface needs at least one customer'),
          })
          .strict(),
      )
      .min(1, 'at least one customer interface is needed'),
    uplinks: z
      .array(
        z.string().regex(IFNAME, 'interface names use letters, digits and _ . : / - (at most 64)'),
      )
      .optional(),
    infrastructure: z.array(z.string()).optional(),
    allowLinkLocal: z.boolean().optional(),
  })
  .strict();

export interface Customer {
  name: string;
  prefixes: Prefix[] /** Bind the prefixes to this source MAC (shared segments). */;
  mac?: string;
}
export interface CustomerInterface {
  name: string;
  description?: string;
  customers: Customer[];
  /** Aggregated allowed sources of all customers on the interface. */
  v4: Prefix[];
  v6: Prefix[];
  /** True when customers are bound to MACs: rules match (source MAC, source prefix) pairs. */
  macBound: boolean;
}
export interface Bcp38Config {
  source: string;
  interfaces: CustomerInterface[];
  /** Interfaces toward upstreams: only our own space may leave through them. */
  uplinks: string[];
  /** Everything allowed out through the uplinks (customers + infrastructure), aggregated. */
  egress: Prefix[];
  allowLinkLocal: boolean;
  warnings: string[];
}

type Path = (string | number)[];

export async function loadConfig(file: string): Promise<Bcp38Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new HostopsError(
      'BCP38_CONFIG_UNREADABLE',
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { where: file },
    );
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, source = 'config'): Bcp38Config {
  // alias bombs ("Excessive alias count ...") have no line: the file is named alone
  const { doc, value, lineOf } = parseYaml(text, (p) => {
    throw new HostopsError('BCP38_CONFIG_SYNTAX', `invalid YAML/JSON: ${p.message}`, {
      where: p.line ? `${source}:${p.line}` : source,
    });
  });
  const at = (p: Path): number => {
    for (let i = p.length; i >= 0; i--) {
      const n = doc.getIn(p.slice(0, i), true);
      if (isNode(n) && n.range) return lineOf(n.range[0]);
    }
    return 1;
  };
  const fail = (p: Path, msg: string): never => {
    const line = at(p);
    throw new HostopsError('BCP38_CONFIG_INVALID', `${formatPath(p) || '(top)'}: ${msg}`, {
      where: `${source}:${line}`,
    });
  };
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(issue.path as Path, issue.message);
  }
  const raw = parsed.data!;
  const warnings: string[] = [];
  const prefix = (p: Path, s: string): Prefix => {
    try {
      return parsePrefix(s);
    } catch (e) {
      return fail(p, (e as Error).message);
    }
  };
  const seenIf = new Map<string, number>();
  const owner = new Map<string, string>();
  const interfaces: CustomerInterface[] = raw.interfaces.map((ifc, i) => {
    if (seenIf.has(ifc.name))
      fail(
        ['interfaces', i, 'name'],
        `interface ${ifc.name} is listed twice (also interfaces[${seenIf.get(ifc.name)}])`,
      );
    seenIf.set(ifc.name, i);
    const customers: Customer[] = ifc.customers.map((c, j) => ({
      name: c.name,
      prefixes: aggregate(
        c.prefixes.map((s, k) => prefix(['interfaces', i, 'customers', j, 'prefixes', k], s)),
      ),
      ...(c.mac ? { mac: c.mac.toLowerCase().replace(/-/g, ':') } : {}),
    }));
    const bound = customers.filter((c) => c.mac).length;
    if (bound > 0 && bound < customers.length) {
      const j = customers.findIndex((c) => !c.mac);
      fail(
        ['interfaces', i, 'customers', j],
        `customer ${customers[j].name} has no mac: once one customer of ${ifc.name} is bound to a MAC, all must be`,
      );
    }
    const all = customers.flatMap((c) => c.prefixes.map((p) => ({ p, c: c.name })));
    for (const x of all)
      for (const y of all) {
        if (x !== y && x.c !== y.c && contains(x.p, y.p))
          warnings.push(
            `${ifc.name}: ${y.c}'s ${y.p.text} lies inside ${x.c}'s ${x.p.text}: ${x.c} may use ${y.c}'s addresses`,
          );
      }
    for (const x of all) {
      // no customer holds a /7 or an IPv6 /15; a prefix that wide (0.0.0.0/0 above all) lets it forge nearly any source
      if (x.p.len < (x.p.family === 4 ? 8 : 16))
        warnings.push(
          `${ifc.name}: ${x.c}'s ${x.p.text} is so wide that it filters almost nothing: ${x.c} may forge nearly any source`,
        );
      const prev = owner.get(x.p.text);
      if (prev && !prev.startsWith(`${ifc.name}:`))
        warnings.push(
          `${x.p.text} is allowed on ${prev.split(':')[0]} and on ${ifc.name} (multihomed customer?)`,
        );
      owner.set(x.p.text, `${ifc.name}:${x.c}`);
    }
    const agg = aggregate(all.map((x) => x.p));
    return {
      name: ifc.name,
      description: ifc.description,
      customers,
      v4: agg.filter((p) => p.family === 4),
      v6: agg.filter((p) => p.family === 6),
      macBound: bound > 0,
    };
  });
  const uplinks = raw.uplinks ?? [];
  uplinks.forEach((u, i) => {
    if (seenIf.has(u)) fail(['uplinks', i], `${u} is also a customer interface`);
  });
  const infra = (raw.infrastructure ?? []).map((s, i) => prefix(['infrastructure', i], s));
  const egress = aggregate([...interfaces.flatMap((i) => [...i.v4, ...i.v6]), ...infra]);
  if (uplinks.length && !raw.infrastructure)
    warnings.push(
      'uplinks without infrastructure prefixes: only customer sources may leave; router addresses are not affected (the egress filter applies to forwarded packets only)',
    );
  return {
    source,
    interfaces,
    uplinks,
    egress,
    allowLinkLocal: raw.allowLinkLocal ?? true,
    warnings,
  };
}
