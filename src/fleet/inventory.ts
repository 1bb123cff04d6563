/**
 * Fleet inventory operations: sites (each with its own login role), targets by address, which
 * sites probe which targets, SLAs per pair or per group, and retention. Data in, data out; the CLI
 * formats it.
 */
import { randomBytes } from 'node:crypto';
import type postgres from 'postgres';
import { usageError } from '../lib/errors.js';
import { parseLossBound, parseRttBound } from '../config/index.js';
import { AGENT_GROUP } from './schema.js';

type Sql = postgres.Sql | postgres.TransactionSql;
export const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface FleetTarget {
  id: number;
  name: string;
  address: string;
  groups: string[];
}
export interface FleetSla {
  site: string;
  target: string | null;
  group: string | null;
  rtt: string | null;
  loss: string | null;
}
export interface Retention {
  raw?: string;
  fiveMinute?: string;
  hourly?: string;
  /** How long a new site that has not declared its own retention holds dropping back (default 2d). */
  grace?: string;
}
export interface Inventory {
  sites: { name: string; role: string | null }[];
  targets: FleetTarget[];
  mode: 'mesh' | 'explicit';
  assignments: Record<string, string[]>;
  sla: FleetSla[];
  retention: Retention;
  /** Targets probed by their n nearest sites: the rule and the sites it resolved to. */
  nearest: Record<string, { n: number; sites: string[]; basis: string }>;
}

/** Run f in a transaction (one NOTIFY, no half-applied change seen by agents), or in the caller's. */
async function inTx<T>(sql: Sql, f: (tx: Sql) => Promise<T>): Promise<T> {
  return 'begin' in sql ? (sql.begin((tx) => f(tx)) as Promise<T>) : f(sql);
}

function checkName(kind: string, v: string): void {
  if (!NAME.test(v)) throw usageError('FLEET_BAD_NAME', `${kind} name "${v}" is not a name`);
}

/** Role names are identifiers: the site name, lower-cased, with anything else as "_". */
export const roleFor = (site: string) =>
  `hostops_site_${site.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;

export interface AddedSite {
  site: string;
  role: string;
  password: string;
  url: string;
  tls: boolean;
}

/** Add a site and its login role with a fresh random password; the URL is `dbUrl` with that login. */
export async function addSite(sql: postgres.Sql, site: string, dbUrl: string): Promise<AddedSite> {
  checkName('site', site);
  const role = roleFor(site);
  const password = randomBytes(18).toString('base64url');
  await sql.begin(async (tx) => {
    const taken = await tx.unsafe('SELECT name FROM fleet_sites WHERE role = $1 AND name <> $2', [
      role,
      site,
    ]);
    if (taken.length)
      throw usageError(
        'FLEET_ROLE_TAKEN',
        `site "${site}" maps to role ${role}, already used by site "${taken[0].name}"`,
      );
    await tx.unsafe(
      'INSERT INTO fleet_sites (name, role, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role',
      [site, role, Date.now() / 1000],
    );
    const exists =
      (await tx.unsafe('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).length > 0;
    // a password is not a bind parameter in DDL: quote it as a literal (base64url has no quotes)
    await tx.unsafe(`${exists ? 'ALTER' : 'CREATE'} ROLE ${role} LOGIN PASSWORD '${password}'`);
    await tx.unsafe(`GRANT ${AGENT_GROUP} TO ${role}`);
  });
  const u = new URL(dbUrl);
  u.username = role;
  u.password = password;
  // the owner's client certificate is the owner's, never the site's
  u.searchParams.delete('sslcert');
  u.searchParams.delete('sslkey');
  // a fleet whose server runs TLS gets verify-full in every site's URL (the CA path is the agent's to fill in)
  const tls = String((await sql.unsafe('SHOW ssl'))[0]?.ssl) === 'on';
  if (tls && !u.searchParams.has('sslmode')) u.searchParams.set('sslmode', 'verify-full');
  return { site, role, password, url: u.toString(), tls };
}

export async function addTarget(
  db: Sql,
  name: string,
  address: string,
  groups: string[] = [],
): Promise<FleetTarget> {
  checkName('target', name);
  return inTx(db, (sql) => upsertTarget(sql, name, address, groups));
}

async function upsertTarget(
  sql: Sql,
  name: string,
  address: string,
  groups: string[],
): Promise<FleetTarget> {
  for (const g of groups) checkName('group', g);
  if (!address.trim())
    throw usageError('FLEET_BAD_ADDRESS', `target "${name}" has an empty address`);
  const byAddr = await sql.unsafe('SELECT id, name FROM fleet_targets WHERE address = $1', [
    address,
  ]);
  const byName = await sql.unsafe('SELECT id, address FROM fleet_targets WHERE name = $1', [name]);
  if (byName.length && byName[0].address !== address)
    throw usageError('FLEET_NAME_TAKEN', `target name "${name}" is already ${byName[0].address}`);
  let id: number;
  if (byAddr.length) {
    // same address, new name: a rename that keeps the history (old name stays an alias)
    id = Number(byAddr[0].id);
    await sql.unsafe('UPDATE fleet_targets SET name = $2, groups = $3 WHERE id = $1', [
      id,
      name,
      groups as never,
    ]);
  } else {
    id = Number(
      (
        await sql.unsafe(
          'INSERT INTO fleet_targets (name, address, groups) VALUES ($1, $2, $3) RETURNING id',
          [name, address, groups as never],
        )
      )[0].id,
    );
  }
  await sql.unsafe(
    'INSERT INTO fleet_target_names (name, target_id) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET target_id = EXCLUDED.target_id',
    [name, id],
  );
  return { id, name, address, groups };
}

export async function renameTarget(sql: Sql, from: string, to: string): Promise<FleetTarget> {
  const t = await sql.unsafe('SELECT address, groups FROM fleet_targets WHERE name = $1', [from]);
  if (!t.length)
    throw usageError(
      'FLEET_NO_TARGET',
      `no target named "${from}"`,
      'hostops fleet list shows the targets',
    );
  return addTarget(sql, to, t[0].address as string, t[0].groups as string[]);
}

async function targetIds(sql: Sql, names: string[]): Promise<number[]> {
  const ids: number[] = [];
  for (const n of names) {
    const g = /^group:(.+)$/.exec(n);
    const rows = g
      ? await sql.unsafe('SELECT id FROM fleet_targets WHERE $1 = ANY(groups)', [g[1]])
      : await sql.unsafe('SELECT id FROM fleet_targets WHERE name = $1', [n]);
    if (!rows.length)
      throw usageError(
        'FLEET_NO_TARGET',
        g ? `no target in group "${g[1]}"` : `no target named "${n}"`,
        'hostops fleet list shows the targets and groups',
      );
    ids.push(...rows.map((r) => Number(r.id)));
  }
  return ids;
}

async function requireSite(sql: Sql, site: string): Promise<void> {
  if (!(await sql.unsafe('SELECT 1 FROM fleet_sites WHERE name = $1', [site])).length)
    throw usageError(
      'FLEET_NO_SITE',
      `no site named "${site}"`,
      `hostops fleet add-site ${site} first`,
    );
}

/** Full mesh: every site probes every target. */
export async function setMesh(sql: Sql): Promise<void> {
  await sql.unsafe(
    `INSERT INTO fleet_settings (key, value) VALUES ('assign.mode', 'mesh') ON CONFLICT (key) DO UPDATE SET value = 'mesh'`,
  );
}

/** Explicit: this site probes these targets (names or group:G), in addition to what it has. */
export async function assign(db: Sql, site: string, targets: string[]): Promise<void> {
  await inTx(db, (sql) => assignIn(sql, site, targets));
}

async function assignIn(sql: Sql, site: string, targets: string[]): Promise<void> {
  await requireSite(sql, site);
  const ids = await targetIds(sql, targets);
  await sql.unsafe(
    `INSERT INTO fleet_settings (key, value) VALUES ('assign.mode', 'explicit') ON CONFLICT (key) DO UPDATE SET value = 'explicit'`,
  );
  for (const id of ids)
    await sql.unsafe(
      'INSERT INTO fleet_assignments (site, target_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [site, id],
    );
}

export async function setSla(
  sql: Sql,
  s: { site?: string; target?: string; group?: string; rtt?: string; loss?: string },
): Promise<void> {
  if (s.target && s.group)
    throw usageError('FLEET_SLA_SCOPE', 'an SLA is for a target or a group, not both');
  if (!s.rtt && !s.loss)
    throw usageError('FLEET_SLA_EMPTY', 'an SLA needs --rtt or --loss (or both)');
  if (s.rtt && !parseRttBound(s.rtt))
    throw usageError('FLEET_SLA_RTT', `rtt "${s.rtt}" is not a bound`);
  if (s.loss && !parseLossBound(s.loss))
    throw usageError('FLEET_SLA_LOSS', `loss "${s.loss}" is not a bound`);
  if (s.site && s.site !== '*') await requireSite(sql, s.site);
  const tid = s.target ? (await targetIds(sql, [s.target]))[0] : 0;
  await sql.unsafe(
    `INSERT INTO fleet_sla (site, target_id, grp, rtt, loss) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (site, target_id, grp) DO UPDATE SET rtt = EXCLUDED.rtt, loss = EXCLUDED.loss`,
    [s.site ?? '*', tid, s.group ?? '', s.rtt ?? null, s.loss ?? null],
  );
}

export async function setRetention(sql: Sql, r: Retention): Promise<void> {
  for (const [k, v] of Object.entries(r)) {
    if (v === undefined) continue;
    await sql.unsafe(
      'INSERT INTO fleet_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
      [`retention.${k}`, v],
    );
  }
}

export async function readInventory(sql: Sql): Promise<Inventory> {
  const sites = (await sql.unsafe('SELECT name, role FROM fleet_sites ORDER BY name')).map((r) => ({
    name: r.name as string,
    role: (r.role as string) ?? null,
  }));
  const targets = (
    await sql.unsafe('SELECT id, name, address, groups FROM fleet_targets ORDER BY name')
  ).map((r) => ({
    id: Number(r.id),
    name: r.name as string,
    address: r.address as string,
    groups: [...(r.groups as string[])].sort(),
  }));
  const settings = new Map(
    (await sql.unsafe('SELECT key, value FROM fleet_settings')).map((r) => [
      r.key as string,
      r.value as string,
    ]),
  );
  const byId = new Map(targets.map((t) => [t.id, t.name]));
  const assignments: Record<string, string[]> = {};
  for (const r of await sql.unsafe('SELECT site, target_id FROM fleet_assignments ORDER BY site')) {
    (assignments[r.site as string] ??= []).push(byId.get(Number(r.target_id))!);
  }
  for (const v of Object.values(assignments)) v.sort();
  const sla = (
    await sql.unsafe(
      'SELECT site, target_id, grp, rtt, loss FROM fleet_sla ORDER BY site, grp, target_id',
    )
  ).map((r) => ({
    site: r.site as string,
    target: Number(r.target_id) ? (byId.get(Number(r.target_id)) ?? null) : null,
    group: (r.grp as string) || null,
    rtt: (r.rtt as string) ?? null,
    loss: (r.loss as string) ?? null,
  }));
  const retention: Retention = {};
  for (const k of ['raw', 'fiveMinute', 'hourly', 'grace'] as const) {
    const v = settings.get(`retention.${k}`);
    if (v) retention[k] = v;
  }
  const nearest: Inventory['nearest'] = {};
  for (const r of await sql.unsafe('SELECT target_id, n, sites, basis FROM fleet_nearest')) {
    const name = byId.get(Number(r.target_id));
    if (name)
      nearest[name] = {
        n: Number(r.n),
        sites: [...(r.sites as string[])],
        basis: r.basis as string,
      };
  }
  return {
    sites,
    targets,
    mode: settings.get('assign.mode') === 'explicit' ? 'explicit' : 'mesh',
    assignments,
    sla,
    retention,
    nearest,
  };
}

/** The targets a site probes: every target in a mesh, its assigned ones otherwise. */
export function targetsOf(inv: Inventory, site: string): FleetTarget[] {
  const near = inv.nearest ?? {};
  // a target under a nearest-N rule goes to the sites it resolved to, whatever the mode
  const ruled = (t: FleetTarget) => (near[t.name] ? near[t.name].sites.includes(site) : null);
  if (inv.mode === 'mesh') return inv.targets.filter((t) => ruled(t) ?? true);
  const mine = new Set(inv.assignments[site] ?? []);
  return inv.targets.filter((t) => ruled(t) ?? mine.has(t.name));
}
