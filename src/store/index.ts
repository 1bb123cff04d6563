/** Storage for `hostops serve`: embedded SQLite by default, PostgreSQL (+ local spool) for fleets. */
import { SqliteDriver } from './sqlite-driver.js';
import { PgDriver } from './pg-driver.js';
import { SqlStore } from './sql-store.js';
import { SpooledStore } from './spool.js';
import type { Store } from './types.js';
import { pgTlsError } from './pg-tls.js';

export * from './types.js';
export { SqlStore, pickResolution } from './sql-store.js';
export { SqliteDriver } from './sqlite-driver.js';
export { SqliteReadDriver } from './sqlite-read-driver.js';
export { PgDriver } from './pg-driver.js';
export { SpooledStore, type SpoolStats } from './spool.js';
export { quantiles, median, bucketStart } from './stats.js';
export { MIGRATIONS } from './migrations.js';
export { specKey } from './pg-pair-window.js';

export interface StoreOptions {
  kind: 'sqlite' | 'postgres';
  path: string;
  url?: string;
  /** PostgreSQL: named prepared statements (off behind a pooler that cannot keep them). */
  prepare?: boolean;
  spool: { path: string; maxRows: number };
}

/**
 * Open (and migrate) the configured store. With PostgreSQL an unreachable database at start is
 * not fatal: the agent measures into the spool and migrates when the database comes back.
 */
export async function openStore(o: StoreOptions): Promise<Store> {
  if (o.kind === 'sqlite') {
    const s = new SqlStore(new SqliteDriver(o.path));
    await s.migrate();
    return s;
  }
  const store = new SpooledStore(
    new SqlStore(new PgDriver(o.url ?? 'postgres://localhost/hostops', { prepare: o.prepare })),
    o.spool.path,
    o.spool.maxRows,
  );
  try {
    await store.migrate();
  } catch (e) {
    // an untrusted certificate is a configuration error, not a database that is away
    const tlsErr = pgTlsError(e, o.url ?? '');
    if (tlsErr) {
      await store.close().catch(() => {});
      throw tlsErr;
    }
    process.emitWarning(
      `PostgreSQL not reachable yet (${(e as Error).message}); measuring into the local spool ${o.spool.path}`,
    );
  }
  return store;
}
