/**
 * The SLA of a site x target pair from the inventory, the same whichever agent asks. Precedence,
 * most specific first: this site + this target, any site + this target, this site + one of the
 * target's groups, any site + the group. Rows written under a target's old name resolve through
 * its name history.
 */
import type postgres from 'postgres';
import { parseLossBound, parseRttBound } from '../config/index.js';
import type { PairSla, SlaLookup } from '../serve/overview.js';
import type { Store } from '../store/index.js';
import { SpooledStore, SqlStore, PgDriver } from '../store/index.js';
import { hasFleet } from './schema.js';
import { readInventory, type Inventory } from './inventory.js';

function toSla(rtt: string | null, loss: string | null): PairSla | null {
  const s: PairSla = {};
  const r = rtt ? parseRttBound(rtt) : null;
  if (r) s.rtt = r;
  const l = loss ? parseLossBound(loss) : null;
  if (l) s.loss = l;
  return s.rtt || s.loss ? s : null;
}

export function slaLookup(inv: Inventory, aliases: Map<string, string>): SlaLookup {
  const byName = new Map(inv.targets.map((t) => [t.name, t]));
  const rows = new Map(
    inv.sla.map((r) => [`${r.site}\u0000${r.target ?? ''}\u0000${r.group ?? ''}`, r]),
  );
  return (site, name) => {
    const t = byName.get(aliases.get(name) ?? name);
    if (!t) return null;
    const keys = [
      `${site}\u0000${t.name}\u0000`,
      `*\u0000${t.name}\u0000`,
      ...t.groups.map((g) => `${site}\u0000\u0000${g}`),
      ...t.groups.map((g) => `*\u0000\u0000${g}`),
    ];
    for (const k of keys) {
      const r = rows.get(k);
      if (r) return toSla(r.rtt, r.loss);
    }
    return null;
  };
}

/** Old and current names to the current name. */
export async function nameAliases(sql: postgres.Sql): Promise<Map<string, string>> {
  const rows = await sql.unsafe(
    'SELECT n.name AS alias, t.name FROM fleet_target_names n JOIN fleet_targets t ON t.id = n.target_id',
  );
  return new Map(rows.map((r) => [r.alias as string, r.name as string]));
}

/** The PostgreSQL connection behind a store, if it is one. */
export function pgOf(store: Store): postgres.Sql | null {
  const inner = store instanceof SpooledStore ? store.inner : store;
  return inner instanceof SqlStore && inner.driver instanceof PgDriver ? inner.driver.sql : null;
}

/** The inventory's SLA lookup, or null when this store holds no inventory (then the local config rules). */
export async function inventorySla(store: Store): Promise<SlaLookup | null> {
  const sql = pgOf(store);
  if (!sql || !(await hasFleet(sql))) return null;
  const inv = await readInventory(sql);
  if (!inv.targets.length) return null;
  return slaLookup(inv, await nameAliases(sql));
}

/** Every name the target at this address has carried (current first): its rows under any of them are its history. */
export async function namesOfAddress(sql: postgres.Sql, address: string): Promise<string[]> {
  const rows = await sql.unsafe(
    `SELECT n.name, n.name = t.name AS current FROM fleet_target_names n JOIN fleet_targets t ON t.id = n.target_id
    WHERE t.address = $1 ORDER BY current DESC, n.name`,
    [address],
  );
  return rows.map((r) => r.name as string);
}

/** Raw round timestamps of a site's probes of one address, across the target's renames. */
export async function roundsByAddress(
  sql: postgres.Sql,
  site: string,
  address: string,
  from: number,
  to: number,
): Promise<number[]> {
  const names = await namesOfAddress(sql, address);
  const rows = await sql.unsafe(
    'SELECT ts FROM ping WHERE site = $1 AND target = ANY($2) AND ts >= $3 AND ts < $4 ORDER BY ts',
    [site, names as never, from, to],
  );
  return rows.map((r) => Number(r.ts));
}
