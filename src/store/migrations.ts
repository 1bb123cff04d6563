/**
 * The schema, as numbered migrations shared by SQLite and PostgreSQL. `{id}` and `{real}` are the
 * only dialect differences; every other statement is the common subset both accept.
 */
import { PG_PARTITION_SQL } from './pg-partition-sql.js';
import { PG_ROLLUP_PARTITION_SQL } from './pg-rollup-partition-sql.js';
import { PG_RAW_RETENTION_SQL } from './pg-raw-retention-sql.js';
import { PG_RETENTION_GRACE_SQL } from './pg-retention-grace-sql.js';
import { PAIR_WINDOW_SQL } from './pg-pair-window.js';
import { OPEN_BUCKET_SQL } from './pg-history.js';

/** `pg`: statements only PostgreSQL runs (after `sql`); SQLite records the version and skips them. */
export interface Migration {
  version: number;
  name: string;
  sql: string[];
  pg?: string[];
}

const PCT =
  'rtt_min {real}, rtt_p10 {real}, rtt_p25 {real}, rtt_median {real}, rtt_p75 {real}, rtt_p90 {real}, rtt_max {real}';

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: [
      `CREATE TABLE IF NOT EXISTS ping (id {id}, site TEXT NOT NULL, target TEXT NOT NULL, ts {real} NOT NULL,
        sent INTEGER NOT NULL, received INTEGER NOT NULL, ${PCT}, rtts TEXT NOT NULL)`,
      'CREATE INDEX IF NOT EXISTS ping_pair_ts ON ping (site, target, ts)',
      'CREATE INDEX IF NOT EXISTS ping_ts ON ping (ts)',
      ...['ping_5m', 'ping_1h'].flatMap((t) => [
        `CREATE TABLE IF NOT EXISTS ${t} (site TEXT NOT NULL, target TEXT NOT NULL, ts {real} NOT NULL,
          rounds INTEGER NOT NULL, sent INTEGER NOT NULL, received INTEGER NOT NULL, ${PCT},
          PRIMARY KEY (site, target, ts))`,
        `CREATE INDEX IF NOT EXISTS ${t}_ts ON ${t} (ts)`,
      ]),
      `CREATE TABLE IF NOT EXISTS path (id {id}, site TEXT NOT NULL, target TEXT NOT NULL, ts {real} NOT NULL,
        hops TEXT NOT NULL, error TEXT)`,
      'CREATE INDEX IF NOT EXISTS path_pair_ts ON path (site, target, ts)',
      `CREATE TABLE IF NOT EXISTS throughput (id {id}, site TEXT NOT NULL, peer TEXT NOT NULL, ts {real} NOT NULL,
        protocol TEXT NOT NULL, direction TEXT NOT NULL, bits_per_second {real}, bytes {real}, retransmits INTEGER,
        jitter {real}, lost_ratio {real}, error TEXT)`,
      'CREATE INDEX IF NOT EXISTS throughput_ts ON throughput (ts)',
      `CREATE TABLE IF NOT EXISTS mailq (id {id}, site TEXT NOT NULL, ts {real} NOT NULL, messages INTEGER NOT NULL,
        frozen INTEGER NOT NULL, bytes {real} NOT NULL, oldest_age {real}, summary TEXT NOT NULL)`,
      'CREATE INDEX IF NOT EXISTS mailq_site_ts ON mailq (site, ts)',
      `CREATE TABLE IF NOT EXISTS checks (id {id}, site TEXT NOT NULL, ts {real} NOT NULL, kind TEXT NOT NULL,
        target TEXT NOT NULL, ok INTEGER NOT NULL, value {real}, data TEXT NOT NULL)`,
      'CREATE INDEX IF NOT EXISTS checks_kind_ts ON checks (kind, site, target, ts)',
      `CREATE TABLE IF NOT EXISTS job_state (site TEXT NOT NULL, job TEXT NOT NULL, last_run {real}, next_run {real},
        failures INTEGER NOT NULL, last_error TEXT, PRIMARY KEY (site, job))`,
      'CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
    ],
  },
  {
    version: 2,
    name: 'covering index for the overview matrix',
    // the overview reads these five columns of every 5-minute row in the last day: an index that
    // holds them all answers it without touching the table
    sql: [
      'CREATE INDEX IF NOT EXISTS ping_5m_overview ON ping_5m (ts, site, target, sent, received, rtt_median)',
    ],
  },
  {
    version: 3,
    name: 'path advice',
    sql: ['ALTER TABLE path ADD COLUMN advice TEXT'],
  },
  {
    version: 4,
    name: 'partitioned ping history (PostgreSQL)',
    sql: [],
    pg: PG_PARTITION_SQL,
  },
  {
    version: 5,
    name: 'service probe results',
    // one row per run of a probes: entry; phases (seconds) as JSON, data holds the small extras
    sql: [
      `CREATE TABLE IF NOT EXISTS probe (id {id}, site TEXT NOT NULL, probe TEXT NOT NULL, prober TEXT NOT NULL, target TEXT NOT NULL,
        ts {real} NOT NULL, success INTEGER NOT NULL, failure TEXT, duration {real}, phases TEXT NOT NULL, status INTEGER, rcode TEXT,
        cert_expiry {real}, data TEXT)`,
      'CREATE INDEX IF NOT EXISTS probe_pair_ts ON probe (site, probe, ts)',
    ],
  },
  {
    version: 6,
    name: 'transit feed of raw pings and paths',
    // the series of a target measured through a feed is `target@feed` (rollups key on it); the raw
    // rows also say the feed on its own. '' for every older row and every target without feeds
    sql: [
      "ALTER TABLE ping ADD COLUMN feed TEXT NOT NULL DEFAULT ''",
      "ALTER TABLE path ADD COLUMN feed TEXT NOT NULL DEFAULT ''",
    ],
  },
  {
    version: 7,
    name: 'one index for ping ids per site (PostgreSQL)',
    // the primary key (id, ts) served no reader and ping_site_id (site, id) served the rollup
    // watermark: one key (site, id, ts) does both, one index less to update for every raw round
    sql: [],
    pg: [
      'ALTER TABLE ping DROP CONSTRAINT IF EXISTS ping_pkey',
      'ALTER TABLE ping ADD CONSTRAINT ping_pkey PRIMARY KEY (site, id, ts)',
      'DROP INDEX IF EXISTS ping_site_id',
    ],
  },
  {
    version: 8,
    name: 'overview SLA window kept at rollup time (PostgreSQL)',
    // per-pair and per-hour counts the rollup maintains (pg-pair-window.ts); SQLite overviews
    // keep reading ping_5m
    sql: [],
    pg: PAIR_WINDOW_SQL,
  },
  {
    version: 9,
    name: 'rollups partitioned by day, fleet retention for them (PostgreSQL)',
    sql: [],
    pg: [...PG_ROLLUP_PARTITION_SQL, ...PG_RAW_RETENTION_SQL],
  },
  {
    version: 10,
    name: 'a site that never declares its retention holds it back only for a grace period (PostgreSQL)',
    sql: [],
    pg: PG_RETENTION_GRACE_SQL,
  },
  {
    version: 11,
    name: 'open 5-minute buckets kept between rollup passes, room for HOT updates of rollup rows (PostgreSQL)',
    // a new cache table (pg-history.ts): nothing to convert, a bucket without a row is recomputed;
    // fillfactors only change where rows go from now on
    sql: [],
    pg: OPEN_BUCKET_SQL,
  },
];

export type Dialect = 'sqlite' | 'postgres';

export function renderSql(sql: string, dialect: Dialect): string {
  return sql
    .replaceAll('{id}', dialect === 'sqlite' ? 'INTEGER PRIMARY KEY' : 'BIGSERIAL PRIMARY KEY')
    .replaceAll('{real}', dialect === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION');
}

export const MIGRATIONS_TABLE =
  'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at {real} NOT NULL)';
