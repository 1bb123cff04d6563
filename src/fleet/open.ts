/** Open the fleet database as its owner: the measurement schema, then the inventory and roles. */
import { envError } from '../lib/errors.js';
import { redactUrl } from '../lib/redact-url.js';
import { PgDriver } from '../store/index.js';
import { ensureFleetSchema } from './schema.js';
import { pgTlsError } from '../store/pg-tls.js';

export async function openFleet(url: string | undefined): Promise<PgDriver> {
  const db = url ?? process.env.HOSTOPS_FLEET_DB;
  if (!db) throw envError('FLEET_NO_DB', 'no fleet database given');
  const d = new PgDriver(db, { max: 1 });
  try {
    await d.migrate();
    await ensureFleetSchema(d.sql);
  } catch (e) {
    await d.close().catch(() => {});
    const tlsErr = pgTlsError(e, db);
    if (tlsErr) throw tlsErr;
    const err = e as { code?: string; message: string };
    if (err.code === '42501') throw envError('FLEET_NOT_OWNER', `${redactUrl(db)}: ${err.message}`);
    throw envError('FLEET_DB', `PostgreSQL at ${redactUrl(db)}: ${err.message}`);
  }
  return d;
}
