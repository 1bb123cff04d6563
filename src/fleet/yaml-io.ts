/**
 * fleet.yaml: the inventory as a file to review in git. Export writes it; import makes the
 * database match it (targets keyed by address, so a changed name is a rename with history).
 * Sites are only added: removing one would drop its role, which is left to a person. Coordinates
 * (`fleet locate`) and "nearest N" rules travel with their site or target, the rule with the sites
 * it resolved to, so an import reproduces the assignment without re-resolving on another database.
 */
import { readFileSync } from 'node:fs';
import type postgres from 'postgres';
import { parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import { HostopsError, usageError } from '../lib/errors.js';
import { parseDuration, parseLossBound, parseRttBound } from '../config/index.js';
import { NAME, addTarget, readInventory, setRetention, type Inventory } from './inventory.js';

const name = z.string().regex(NAME, 'not a name (letters, digits, "_", "." and "-")');
const rtt = z
  .string()
  .refine((v) => parseRttBound(v) != null, 'not an RTT bound such as "< 80 ms"');
const loss = z.string().refine((v) => parseLossBound(v) != null, 'not a loss bound such as "< 1%"');
const duration = z.string().refine((v) => parseDuration(v) != null, 'not a duration such as "7d"');

const lat = z.number().min(-90).max(90).optional();
const lon = z.number().min(-180).max(180).optional();
const nearest = z.strictObject({
  n: z.number().int().min(1),
  sites: z.array(name).default([]),
  basis: z.string().default(''),
});

export const fleetFileSchema = z.strictObject({
  // a plain name, or the name with its coordinates
  sites: z.array(z.union([name, z.strictObject({ name, lat, lon })])).default([]),
  targets: z
    .array(
      z.strictObject({
        name,
        address: z.string().min(1),
        groups: z.array(name).default([]),
        lat,
        lon,
        nearest: nearest.optional(),
      }),
    )
    .default([]),
  assignments: z
    .strictObject({
      mode: z.enum(['mesh', 'explicit']),
      sites: z.record(name, z.array(name)).default({}),
    })
    .default({ mode: 'mesh', sites: {} }),
  sla: z
    .array(
      z.strictObject({
        site: z.union([name, z.literal('*')]).default('*'),
        target: name.optional(),
        group: name.optional(),
        rtt: rtt.optional(),
        loss: loss.optional(),
      }),
    )
    .default([]),
  retention: z
    .strictObject({
      raw: duration.optional(),
      fiveMinute: duration.optional(),
      hourly: duration.optional(),
      grace: duration.optional(),
    })
    .default({}),
});
export type FleetFile = z.infer<typeof fleetFileSchema>;

type Coordinates = Map<string, { lat: number; lon: number }>;
const at = (c: Coordinates | undefined, n: string) => {
  const p = c?.get(n);
  return p ? { lat: p.lat, lon: p.lon } : {};
};

export function toFile(
  inv: Inventory,
  coords: { sites?: Coordinates; targets?: Coordinates } = {},
): FleetFile {
  return {
    sites: inv.sites.map((s) =>
      coords.sites?.has(s.name) ? { name: s.name, ...at(coords.sites, s.name) } : s.name,
    ),
    targets: inv.targets.map((t) => ({
      name: t.name,
      address: t.address,
      groups: t.groups,
      ...at(coords.targets, t.name),
      ...(inv.nearest[t.name] ? { nearest: inv.nearest[t.name] } : {}),
    })),
    assignments: { mode: inv.mode, sites: inv.assignments },
    sla: inv.sla.map((s) => ({
      site: s.site,
      ...(s.target ? { target: s.target } : {}),
      ...(s.group ? { group: s.group } : {}),
      ...(s.rtt ? { rtt: s.rtt } : {}),
      ...(s.loss ? { loss: s.loss } : {}),
    })),
    retention: inv.retention,
  };
}

async function coordinates(sql: postgres.Sql, table: string): Promise<Coordinates> {
  const rows = await sql.unsafe(
    `SELECT name, lat, lon FROM ${table} WHERE lat IS NOT NULL AND lon IS NOT NULL`,
  );
  return new Map(rows.map((r) => [r.name as string, { lat: Number(r.lat), lon: Number(r.lon) }]));
}

export async function exportYaml(sql: postgres.Sql): Promise<string> {
  const inv = await readInventory(sql);
  const coords = {
    sites: await coordinates(sql, 'fleet_sites'),
    targets: await coordinates(sql, 'fleet_targets'),
  };
  return (
    '# hostops fleet inventory (hostops fleet export); apply with: hostops fleet import FILE\n' +
    stringify(toFile(inv, coords))
  );
}

const siteName = (s: FleetFile['sites'][number]) => (typeof s === 'string' ? s : s.name);

/** Parse and validate; errors name the file, the field path and the line. */
export function parseFleetFile(file: string): FleetFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw usageError('FLEET_FILE', `cannot read ${file}: ${(e as Error).message}`);
  }
  const doc = parseDocument(text, { keepSourceTokens: true });
  if (doc.errors.length)
    throw new HostopsError('FLEET_YAML', `${file}: ${doc.errors[0].message.split('\n')[0]}`, {
      where: file,
    });
  const r = fleetFileSchema.safeParse(doc.toJS() ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    const field =
      i.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, '') || '(top level)';
    const node = doc.getIn(i.path as (string | number)[], true) as
      | { range?: [number, number] }
      | undefined;
    const line = node?.range ? text.slice(0, node.range[0]).split('\n').length : undefined;
    throw new HostopsError('FLEET_FIELD', `${file}: ${field}: ${i.message}`, {
      where: line ? `${file}:${line}` : file,
      hint: 'hostops fleet export shows the expected shape',
    });
  }
  const f = r.data;
  const known = new Set(f.targets.map((t) => t.name));
  const sites = new Set(f.sites.map(siteName));
  type Placed = [string, { lat?: number; lon?: number }];
  const placed: Placed[] = [
    ...f.sites.flatMap((s, i): Placed[] => (typeof s === 'string' ? [] : [[`sites[${i}]`, s]])),
    ...f.targets.map((t, i): Placed => [`targets[${i}]`, t]),
  ];
  for (const [where, p] of placed)
    if ((p.lat == null) !== (p.lon == null))
      throw usageError('FLEET_FIELD', `${file}: ${where}: lat and lon go together`);
  for (const [i, t] of f.targets.entries())
    for (const s of t.nearest?.sites ?? [])
      if (!sites.has(s))
        throw usageError(
          'FLEET_FIELD',
          `${file}: targets[${i}].nearest.sites: no site named "${s}"`,
        );
  for (const [i, s] of f.sla.entries()) {
    if (s.target && s.group)
      throw usageError('FLEET_FIELD', `${file}: sla[${i}]: a target or a group, not both`);
    if (!s.rtt && !s.loss) throw usageError('FLEET_FIELD', `${file}: sla[${i}]: needs rtt or loss`);
    if (s.target && !known.has(s.target))
      throw usageError('FLEET_FIELD', `${file}: sla[${i}].target: no target named "${s.target}"`);
    if (s.site !== '*' && !sites.has(s.site))
      throw usageError('FLEET_FIELD', `${file}: sla[${i}].site: no site named "${s.site}"`);
  }
  for (const [site, ts] of Object.entries(f.assignments.sites)) {
    if (!sites.has(site))
      throw usageError(
        'FLEET_FIELD',
        `${file}: assignments.sites.${site}: no site named "${site}"`,
      );
    for (const t of ts)
      if (!known.has(t))
        throw usageError(
          'FLEET_FIELD',
          `${file}: assignments.sites.${site}: no target named "${t}"`,
        );
  }
  return f;
}

/** Make the inventory match the file, in one transaction. Sites without a role get none here. */
export async function importFleet(
  sql: postgres.Sql,
  f: FleetFile,
): Promise<{ targets: number; sla: number }> {
  await sql.begin(async (tx) => {
    for (const s of f.sites) {
      const p = typeof s === 'string' ? { name: s } : s;
      await tx.unsafe(
        'INSERT INTO fleet_sites (name, role, created_at) VALUES ($1, NULL, $2) ON CONFLICT (name) DO NOTHING',
        [p.name, Date.now() / 1000],
      );
      await tx.unsafe('UPDATE fleet_sites SET lat = $2, lon = $3 WHERE name = $1', [
        p.name,
        p.lat ?? null,
        p.lon ?? null,
      ]);
    }
    for (const t of f.targets) {
      await addTarget(tx, t.name, t.address, t.groups);
      await tx.unsafe('UPDATE fleet_targets SET lat = $2, lon = $3 WHERE name = $1', [
        t.name,
        t.lat ?? null,
        t.lon ?? null,
      ]);
    }
    await tx.unsafe('DELETE FROM fleet_targets WHERE NOT (address = ANY($1))', [
      f.targets.map((t) => t.address) as never,
    ]);
    // the rules as they were resolved: `resolve-nearest` on this database re-decides later
    await tx.unsafe('DELETE FROM fleet_nearest');
    for (const t of f.targets)
      if (t.nearest)
        await tx.unsafe(
          `INSERT INTO fleet_nearest (target_id, n, sites, basis, resolved_at)
           SELECT id, $2, $3, $4, $5 FROM fleet_targets WHERE name = $1`,
          [t.name, t.nearest.n, t.nearest.sites as never, t.nearest.basis, Date.now() / 1000],
        );
    await tx.unsafe('DELETE FROM fleet_assignments');
    for (const [site, ts] of Object.entries(f.assignments.sites)) {
      for (const t of ts)
        await tx.unsafe(
          'INSERT INTO fleet_assignments (site, target_id) SELECT $1, id FROM fleet_targets WHERE name = $2',
          [site, t],
        );
    }
    await tx.unsafe(
      `INSERT INTO fleet_settings (key, value) VALUES ('assign.mode', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [f.assignments.mode],
    );
    await tx.unsafe('DELETE FROM fleet_sla');
    for (const s of f.sla) {
      await tx.unsafe(
        `INSERT INTO fleet_sla (site, target_id, grp, rtt, loss) VALUES ($1, COALESCE((SELECT id FROM fleet_targets WHERE name = $2), 0), $3, $4, $5)`,
        [s.site, s.target ?? null, s.group ?? '', s.rtt ?? null, s.loss ?? null],
      );
    }
    await tx.unsafe(`DELETE FROM fleet_settings WHERE key LIKE 'retention.%'`);
    await setRetention(tx, f.retention);
  });
  return { targets: f.targets.length, sla: f.sla.length };
}
