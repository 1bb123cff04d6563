/**
 * "The nearest N PoPs" of a customer target: the N sites with the lowest measured latency to it
 * (median of the 5-minute medians over the last day, across the target's names), then, for sites
 * without data, by great-circle distance from site and target coordinates, then by name.
 *
 * Resolved by the fleet's owner (`hostops fleet assign --nearest`, `hostops fleet resolve-nearest`),
 * because only the owner sees every site's latency (a site role sees its own rows); the result is
 * stored in fleet_nearest.sites and reaches agents by NOTIFY like any inventory change.
 */
import type postgres from 'postgres';
import { usageError } from '../lib/errors.js';

const DAY = 86400;

/** Great-circle distance in km (haversine). */
export function distanceKm(
  a: { lat: number; lon: number },
  b: { lat: number; lon: number },
): number {
  const r = Math.PI / 180;
  const h =
    Math.sin(((b.lat - a.lat) * r) / 2) ** 2 +
    Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(((b.lon - a.lon) * r) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

export interface SiteFacts {
  name: string;
  lat: number | null;
  lon: number | null;
  rtt: number | null;
}

/** The n chosen sites and why: latency first, then distance, then name. */
export function pickNearest(
  sites: SiteFacts[],
  target: { lat: number | null; lon: number | null },
  n: number,
): { sites: string[]; basis: string } {
  const measured = sites
    .filter((s) => s.rtt != null)
    .sort((a, b) => a.rtt! - b.rtt! || a.name.localeCompare(b.name));
  const placed =
    target.lat != null && target.lon != null
      ? sites
          .filter((s) => s.rtt == null && s.lat != null && s.lon != null)
          .map((s) => ({
            s,
            d: distanceKm({ lat: s.lat!, lon: s.lon! }, { lat: target.lat!, lon: target.lon! }),
          }))
          .sort((a, b) => a.d - b.d || a.s.name.localeCompare(b.s.name))
          .map((x) => x.s)
      : [];
  const rest = sites
    .filter((s) => !measured.includes(s) && !placed.includes(s))
    .sort((a, b) => a.name.localeCompare(b.name));
  const chosen = [...measured, ...placed, ...rest].slice(0, n);
  const count = (xs: SiteFacts[]) => chosen.filter((c) => xs.includes(c)).length;
  const basis = [
    ['latency', count(measured)],
    ['coordinates', count(placed)],
    ['name', count(rest)],
  ]
    .filter(([, k]) => k)
    .map(([b, k]) => `${b} ${k}`)
    .join(', ');
  return { sites: chosen.map((s) => s.name), basis };
}

/** Set a location (degrees) for a site or a target of that name. */
export async function locate(
  sql: postgres.Sql,
  name: string,
  at: string,
): Promise<'site' | 'target'> {
  const m = /^(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/.exec(at.replace(/\s+/g, ''));
  const lat = m ? Number(m[1]) : NaN;
  const lon = m ? Number(m[2]) : NaN;
  if (!m || Math.abs(lat) > 90 || Math.abs(lon) > 180)
    throw usageError('FLEET_BAD_LOCATION', `"${at}" is not LAT,LON in degrees`, 'e.g. 51.5,-0.12');
  const s = await sql.unsafe('UPDATE fleet_sites SET lat = $2, lon = $3 WHERE name = $1', [
    name,
    lat,
    lon,
  ]);
  const t = await sql.unsafe('UPDATE fleet_targets SET lat = $2, lon = $3 WHERE name = $1', [
    name,
    lat,
    lon,
  ]);
  if (s.count && t.count)
    throw usageError(
      'FLEET_AMBIGUOUS',
      `"${name}" is both a site and a target`,
      'rename the target',
    );
  if (!s.count && !t.count)
    throw usageError(
      'FLEET_NO_TARGET',
      `no site or target named "${name}"`,
      'hostops fleet list shows them',
    );
  return s.count ? 'site' : 'target';
}

/** Store "probed by its n nearest sites" for these targets (names or group:G) and resolve them now. */
export async function setNearest(
  sql: postgres.Sql,
  targets: string[],
  n: number,
  now = Date.now() / 1000,
): Promise<Resolved[]> {
  if (!Number.isInteger(n) || n < 1)
    throw usageError(
      'FLEET_BAD_NEAREST',
      `--nearest ${n}: needs a whole number of sites, at least 1`,
    );
  const ids: number[] = [];
  for (const name of targets) {
    const g = /^group:(.+)$/.exec(name);
    const rows = g
      ? await sql.unsafe('SELECT id FROM fleet_targets WHERE $1 = ANY(groups)', [g[1]])
      : await sql.unsafe('SELECT id FROM fleet_targets WHERE name = $1', [name]);
    if (!rows.length)
      throw usageError(
        'FLEET_NO_TARGET',
        g ? `no target in group "${g[1]}"` : `no target named "${name}"`,
        'hostops fleet list shows the targets and groups',
      );
    ids.push(...rows.map((r) => Number(r.id)));
  }
  return sql.begin(async (tx) => {
    for (const id of ids)
      await tx.unsafe(
        'INSERT INTO fleet_nearest (target_id, n) VALUES ($1, $2) ON CONFLICT (target_id) DO UPDATE SET n = EXCLUDED.n',
        [id, n],
      );
    return resolveIn(tx, now, ids);
  }) as Promise<Resolved[]>;
}

export interface Resolved {
  target: string;
  n: number;
  sites: string[];
  basis: string;
}

/** Re-resolve every nearest rule from the latest data (run it periodically, e.g. hourly from cron). */
export async function resolveNearest(
  sql: postgres.Sql,
  now = Date.now() / 1000,
): Promise<Resolved[]> {
  return sql.begin((tx) => resolveIn(tx, now, null)) as Promise<Resolved[]>;
}

async function resolveIn(
  tx: postgres.TransactionSql,
  now: number,
  only: number[] | null,
): Promise<Resolved[]> {
  const sites = await tx.unsafe('SELECT name, lat, lon FROM fleet_sites ORDER BY name');
  const rules = await tx.unsafe(
    `SELECT r.target_id, r.n, r.sites, t.name, t.lat, t.lon FROM fleet_nearest r JOIN fleet_targets t ON t.id = r.target_id
    ${only ? 'WHERE r.target_id = ANY($1)' : ''} ORDER BY t.name`,
    only ? [only as never] : [],
  );
  const out: Resolved[] = [];
  for (const r of rules) {
    // the median of the pair's 5-minute medians over the last day, under any of the target's names
    const rtt = new Map(
      (
        await tx.unsafe(
          `SELECT p.site, percentile_cont(0.5) WITHIN GROUP (ORDER BY p.rtt_median) AS rtt
      FROM ping_5m p JOIN fleet_target_names n ON n.name = p.target
      WHERE n.target_id = $1 AND p.ts >= $2 AND p.rtt_median IS NOT NULL GROUP BY p.site`,
          [r.target_id, now - DAY],
        )
      ).map((x) => [x.site as string, Number(x.rtt)]),
    );
    const facts = sites.map((s) => ({
      name: s.name as string,
      lat: s.lat as number | null,
      lon: s.lon as number | null,
      rtt: rtt.get(s.name as string) ?? null,
    }));
    const pick = pickNearest(
      facts,
      { lat: r.lat as number | null, lon: r.lon as number | null },
      Number(r.n),
    );
    // unchanged picks are not rewritten: no NOTIFY, no reload on every agent
    if (JSON.stringify(pick.sites) !== JSON.stringify(r.sites)) {
      await tx.unsafe(
        'UPDATE fleet_nearest SET sites = $2, basis = $3, resolved_at = $4 WHERE target_id = $1',
        [r.target_id, pick.sites as never, pick.basis, now],
      );
    }
    out.push({ target: r.name as string, n: Number(r.n), ...pick });
  }
  return out;
}
