import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgDriver, SqlStore } from '../../src/store/index.js';
import { parseConfig } from '../../src/config/load.js';
import { pgForFile } from './pg-cluster.js';
import { rounds } from './helpers.js';

const { newDb } = pgForFile();

/** Named statements the driver's one connection holds after a write and a read with parameters. */
async function namedStatements(url: string, prepare?: boolean): Promise<number> {
  const d = new PgDriver(url, { max: 1, ...(prepare === undefined ? {} : { prepare }) });
  const s = new SqlStore(d);
  try {
    await s.migrate();
    await s.writePings(rounds('ldn', 'fra', 1_700_000_000, 5));
    assert.equal(await s.pingCount('ldn'), 5);
    for (let i = 0; i < 3; i++) await d.all('SELECT count(*) FROM ping WHERE site = $1', ['ldn']);
    const [r] = await d.all<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_prepared_statements WHERE from_sql = false',
    );
    return r.n;
  } finally {
    await s.close();
  }
}

test('store.prepare: false makes the PostgreSQL driver send no named prepared statement (PgBouncer transaction pooling before 1.21)', async () => {
  assert.ok((await namedStatements(await newDb('prep_default'))) > 0, 'default: prepared');
  assert.equal(await namedStatements(await newDb('prep_off'), false), 0);
});

test('store.prepare in hostops.yaml: a boolean, true by default', () => {
  assert.equal(parseConfig('site: a\n').store.prepare, true);
  const off = parseConfig(
    'site: a\nstore:\n  kind: postgres\n  url: postgres://x@127.0.0.1/h\n  prepare: false\n',
  );
  assert.equal(off.store.prepare, false);
  assert.throws(
    () => parseConfig('site: a\nstore:\n  prepare: "no"\n'),
    (e: { code?: string; message: string }) =>
      e.code === 'CONFIG_INVALID' && /store\.prepare/.test(e.message),
  );
});
