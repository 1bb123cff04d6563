/**
 * PostgreSQL driver (the `postgres` package) for many agents writing one database. Migrations run
 * under an advisory lock so agents starting together apply each one exactly once.
 */
import postgres from 'postgres';
import type { Driver, Param, Row } from './driver.js';
import { MIGRATIONS, MIGRATIONS_TABLE, renderSql } from './migrations.js';
import { pgConnection } from './pg-tls.js';

const MIGRATION_LOCK = 0x686f7374; // "host"

/** A statement refused for want of a grant (42501) or a table (42P01): a site role or database
 *  older than a feature, which then takes the slower path or has nothing to do. */
export const lacksGrantOrTable = (e: unknown): boolean => {
  const code = (e as { code?: string } | null)?.code;
  return code === '42501' || code === '42P01';
};

export class PgDriver implements Driver {
  readonly dialect = 'postgres' as const;
  readonly sql: postgres.Sql;

  /** prepare: false sends every query unnamed (parsed each time), for poolers that cannot keep named statements. */
  constructor(
    url: string,
    opts: { max?: number; connectTimeout?: number; prepare?: boolean } = {},
  ) {
    const c = pgConnection(url); // sslmode, sslrootcert, sslcert, sslkey as in libpq (pg-tls.ts)
    this.sql = postgres(c.url, {
      ...(c.ssl !== undefined ? { ssl: c.ssl as never } : {}),
      max: opts.max ?? 4,
      prepare: opts.prepare ?? true,
      connect_timeout: opts.connectTimeout ?? 5,
      idle_timeout: 30,
      onnotice: () => {},
      // int8 and numeric (counts, sums, ids) as JS numbers: every value here fits in a double
      types: {
        num: {
          to: 20,
          from: [20, 1700],
          serialize: (x: number) => String(x),
          parse: (x: string) => Number(x),
        },
      },
    });
  }

  async all<T = Row>(sql: string, params: Param[] = []): Promise<T[]> {
    return (await this.sql.unsafe(sql, params as never[])) as unknown as T[];
  }

  async batch(statements: [string, Param[]][]): Promise<void> {
    await this.sql.begin(async (tx) => {
      for (const [s, p] of statements) await tx.unsafe(s, p as never[]);
    });
  }

  async migrate(): Promise<void> {
    // a fleet's site roles may not create tables: when every migration is in, touch no DDL at all
    const have = await this.sql.unsafe(
      `SELECT to_regclass('schema_migrations') IS NOT NULL AS yes`,
    );
    if (have[0]?.yes) {
      const done = new Set(
        (await this.sql.unsafe('SELECT version FROM schema_migrations')).map((r) =>
          Number(r.version),
        ),
      );
      if (MIGRATIONS.every((m) => done.has(m.version))) return;
    }
    await this.sql.begin(async (tx) => {
      await tx.unsafe('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await tx.unsafe(renderSql(MIGRATIONS_TABLE, 'postgres'));
      const done = new Set(
        (await tx.unsafe('SELECT version FROM schema_migrations')).map((r) => Number(r.version)),
      );
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        for (const s of [...m.sql, ...(m.pg ?? [])]) await tx.unsafe(renderSql(s, 'postgres'));
        await tx.unsafe(
          'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
          [m.version, m.name, Date.now() / 1000],
        );
      }
    });
  }

  async maintain(): Promise<void> {
    /* autovacuum analyzes */
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 2 });
  }
}
