/**
 * The fleet inventory: PostgreSQL-only tables next to the measurement schema (SQLite agents have
 * no fleet). Created idempotently under the migration advisory lock by whoever manages the fleet
 * (`hostops fleet ...`, as the database owner); agents only read it.
 */
import type postgres from 'postgres';

const FLEET_LOCK = 0x666c7474; // "fltt"

/** The measurement tables that carry a site column: row-level security applies to each. */
export const SITE_TABLES = [
  'ping',
  'ping_5m',
  'ping_1h',
  'path',
  'throughput',
  'mailq',
  'checks',
  'job_state',
  'probe',
  'ping_pair_hour',
  'ping_pair',
  'ping_pair_site',
  'ping_5m_open',
] as const;
/** Ping history's retention drops whole days (owner's functions): agents never delete from it, not
 *  even their own site's rows, and raw rounds are append-only (a taken agent cannot rewrite its
 *  record); the rollups are upserted. */
const APPEND_ONLY = ['ping'] as const;
const ROLLUPS = ['ping_5m', 'ping_1h'] as const;
export const INVENTORY_TABLES = [
  'fleet_sites',
  'fleet_targets',
  'fleet_target_names',
  'fleet_assignments',
  'fleet_sla',
  'fleet_settings',
  'fleet_nearest',
] as const;
export const AGENT_GROUP = 'hostops_agent';
/** The policies' own site as a scalar subquery: evaluated once per statement (an init plan), where a bare hostops_site() ran its lookup for every row a batch inserts. */
const OWN_SITE = '(SELECT hostops_site())';
export const DASHBOARD_ROLE = 'hostops_dashboard';

const DDL = [
  `CREATE TABLE IF NOT EXISTS fleet_sites (name TEXT PRIMARY KEY, role TEXT UNIQUE, created_at DOUBLE PRECISION NOT NULL)`,
  // a target is its address: the name is a label that can change (history follows the id)
  `CREATE TABLE IF NOT EXISTS fleet_targets (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, address TEXT NOT NULL UNIQUE,
     groups TEXT[] NOT NULL DEFAULT '{}')`,
  // every name a target has carried, so rows written under an old name stay its history
  `CREATE TABLE IF NOT EXISTS fleet_target_names (name TEXT PRIMARY KEY, target_id BIGINT NOT NULL REFERENCES fleet_targets (id) ON DELETE CASCADE)`,
  `CREATE TABLE IF NOT EXISTS fleet_assignments (site TEXT NOT NULL REFERENCES fleet_sites (name) ON DELETE CASCADE,
     target_id BIGINT NOT NULL REFERENCES fleet_targets (id) ON DELETE CASCADE, PRIMARY KEY (site, target_id))`,
  // scope: site ('*' = any), target_id (0 = any), grp ('' = any); the most specific row wins
  `CREATE TABLE IF NOT EXISTS fleet_sla (site TEXT NOT NULL DEFAULT '*', target_id BIGINT NOT NULL DEFAULT 0, grp TEXT NOT NULL DEFAULT '',
     rtt TEXT, loss TEXT, PRIMARY KEY (site, target_id, grp))`,
  `CREATE TABLE IF NOT EXISTS fleet_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  // where sites and targets are (degrees), for "the nearest N sites" before any latency is measured
  `ALTER TABLE fleet_sites ADD COLUMN IF NOT EXISTS lat DOUBLE PRECISION, ADD COLUMN IF NOT EXISTS lon DOUBLE PRECISION`,
  `ALTER TABLE fleet_targets ADD COLUMN IF NOT EXISTS lat DOUBLE PRECISION, ADD COLUMN IF NOT EXISTS lon DOUBLE PRECISION`,
  // "probed by the n nearest sites": the rule, and the sites it resolved to (by the owner, who alone
  // sees every site's latency) with the basis of the choice
  `CREATE TABLE IF NOT EXISTS fleet_nearest (target_id BIGINT PRIMARY KEY REFERENCES fleet_targets (id) ON DELETE CASCADE,
     n INTEGER NOT NULL CHECK (n > 0), sites TEXT[] NOT NULL DEFAULT '{}', basis TEXT NOT NULL DEFAULT '', resolved_at DOUBLE PRECISION)`,
  // the site a login role may write (agents read fleet_sites anyway; not SECURITY DEFINER, under
  // which current_user would be the function's owner)
  `CREATE OR REPLACE FUNCTION hostops_site() RETURNS TEXT LANGUAGE sql STABLE SET search_path = public
     AS $$ SELECT name FROM fleet_sites WHERE role = current_user $$`,
  `CREATE OR REPLACE FUNCTION fleet_notify() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN PERFORM pg_notify('hostops_fleet', TG_TABLE_NAME); RETURN NULL; END $$`,
];

async function roleExists(tx: postgres.TransactionSql, role: string): Promise<boolean> {
  return (await tx.unsafe('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).length > 0;
}

/** Create the inventory, the agent group and dashboard roles, and the row-level security policies. */
export async function ensureFleetSchema(sql: postgres.Sql): Promise<void> {
  // every `hostops fleet` command comes here: on a live fleet the DDL below (triggers, policies on
  // the measurement tables) would take exclusive locks that deadlock with agents' inserts, whose
  // policy reads fleet_sites. So it runs once per schema version, never again.
  if (await fleetSchemaCurrent(sql)) return;
  await sql.begin(async (tx) => {
    await tx.unsafe('SELECT pg_advisory_xact_lock($1)', [FLEET_LOCK]);
    if (await fleetSchemaCurrent(tx)) return;
    for (const s of DDL) await tx.unsafe(s);
    for (const t of INVENTORY_TABLES) {
      await tx.unsafe(`DROP TRIGGER IF EXISTS ${t}_notify ON ${t}`);
      await tx.unsafe(
        `CREATE TRIGGER ${t}_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION fleet_notify()`,
      );
    }
    if (!(await roleExists(tx, AGENT_GROUP))) await tx.unsafe(`CREATE ROLE ${AGENT_GROUP} NOLOGIN`);
    if (!(await roleExists(tx, DASHBOARD_ROLE)))
      await tx.unsafe(`CREATE ROLE ${DASHBOARD_ROLE} NOLOGIN`);
    await tx.unsafe(
      `GRANT SELECT ON ${INVENTORY_TABLES.join(', ')}, schema_migrations TO ${AGENT_GROUP}, ${DASHBOARD_ROLE}`,
    );
    // a database whose measurement schema is older than this code lacks the newer tables: they get
    // their policies the next time the owner runs this (after the agents' migrations made them)
    const present = await tx.unsafe<{ t: string }[]>(
      'SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NOT NULL',
      [[...SITE_TABLES]],
    );
    const tables = present.map((r) => r.t);
    await tx.unsafe(`GRANT SELECT ON ${tables.join(', ')} TO ${DASHBOARD_ROLE}`);
    // agents roll up, upsert job state and prune their own rows: all four, limited by the policy;
    // but ping history's retention is whole days dropped by the owner's function, so no DELETE
    // there, and raw rounds are only ever inserted
    const among = (list: readonly string[]) => tables.filter((t) => list.includes(t));
    const appendOnly = among(APPEND_ONLY);
    const rollups = among(ROLLUPS);
    const deletable = tables.filter((t) => !appendOnly.includes(t) && !rollups.includes(t));
    await tx.unsafe(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ${deletable.join(', ')} TO ${AGENT_GROUP}`,
    );
    if (rollups.length) {
      await tx.unsafe(`GRANT SELECT, INSERT, UPDATE ON ${rollups.join(', ')} TO ${AGENT_GROUP}`);
      await tx.unsafe(`REVOKE DELETE, TRUNCATE ON ${rollups.join(', ')} FROM ${AGENT_GROUP}`);
    }
    if (appendOnly.length) {
      await tx.unsafe(`GRANT SELECT, INSERT ON ${appendOnly.join(', ')} TO ${AGENT_GROUP}`);
      await tx.unsafe(
        `REVOKE UPDATE, DELETE, TRUNCATE ON ${appendOnly.join(', ')} FROM ${AGENT_GROUP}`,
      );
    }
    await tx.unsafe(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${AGENT_GROUP}`);
    // the SLAs whose counts rollups keep (store/pg-pair-window.ts): any reader may add one
    if ((await tx.unsafe(`SELECT to_regclass('sla_spec') AS t`))[0].t)
      await tx.unsafe(`GRANT SELECT, INSERT ON sla_spec TO ${AGENT_GROUP}, ${DASHBOARD_ROLE}`);
    await tx.unsafe(`REVOKE ALL ON FUNCTION hostops_site() FROM PUBLIC`);
    await tx.unsafe(`GRANT EXECUTE ON FUNCTION hostops_site() TO ${AGENT_GROUP}`);
    for (const t of tables) {
      await tx.unsafe(`ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`);
      await tx.unsafe(`DROP POLICY IF EXISTS own_site ON ${t}`);
      await tx.unsafe(
        `CREATE POLICY own_site ON ${t} TO ${AGENT_GROUP} USING (site = ${OWN_SITE}) WITH CHECK (site = ${OWN_SITE})`,
      );
      await tx.unsafe(`DROP POLICY IF EXISTS read_all ON ${t}`);
      await tx.unsafe(
        `CREATE POLICY read_all ON ${t} FOR SELECT TO ${DASHBOARD_ROLE} USING (true)`,
      );
    }
    // meta holds each site's rollup watermark under "rollup:<site>": an agent keeps only its own
    await tx.unsafe(`GRANT SELECT, INSERT, UPDATE ON meta TO ${AGENT_GROUP}`);
    await tx.unsafe('ALTER TABLE meta ENABLE ROW LEVEL SECURITY');
    await tx.unsafe('DROP POLICY IF EXISTS own_site ON meta');
    await tx.unsafe(
      `CREATE POLICY own_site ON meta TO ${AGENT_GROUP} USING (key = 'rollup:' || ${OWN_SITE}) WITH CHECK (key = 'rollup:' || ${OWN_SITE})`,
    );
    // only complete when every site table had its policy: else the next command applies it again
    const version = tables.length === SITE_TABLES.length ? String(FLEET_SCHEMA_VERSION) : 'partial';
    await tx.unsafe(
      `INSERT INTO meta (key, value) VALUES ('fleet_schema', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [version],
    );
  });
}

/** Bump when the DDL above changes: the next `hostops fleet` command then applies it once. */
const FLEET_SCHEMA_VERSION = 6; // 3: the probe table joined the site tables; 4: no DELETE on rollups; 5: OWN_SITE once per statement; 6: ping_5m_open, raw ping append-only

async function fleetSchemaCurrent(sql: postgres.Sql | postgres.TransactionSql): Promise<boolean> {
  const r = await sql.unsafe(`SELECT value FROM meta WHERE key = 'fleet_schema'`);
  return r[0]?.value === String(FLEET_SCHEMA_VERSION);
}

/** Whether this database holds a fleet inventory (any agent's store may be asked). */
export async function hasFleet(sql: postgres.Sql): Promise<boolean> {
  const r = await sql.unsafe(`SELECT to_regclass('fleet_sites') IS NOT NULL AS yes`);
  return Boolean(r[0]?.yes);
}
