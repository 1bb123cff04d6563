import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgDriver, SqlStore } from '../../src/store/index.js';
import { ensureFleetSchema } from '../../src/fleet/schema.js';
import { addSite, setRetention } from '../../src/fleet/inventory.js';
import { retentionStatus } from '../../src/fleet/retention-status.js';
import { pgForFile } from './pg-cluster.js';
import { rounds } from './helpers.js';

const DAY = 86400;
const D0 = 19675 * DAY; // 2023-11-14 00:00 UTC
const { newDb } = pgForFile();

const count = async (d: PgDriver, table: string, where: string) =>
  Number((await d.all<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0].n);
/** Rows per day (from D0) of a table for a site, days 0..9. */
const perDay = async (d: PgDriver, table: string, site: string) => {
  const out: number[] = [];
  for (let day = 0; day < 10; day++)
    out.push(
      await count(
        d,
        table,
        `site = '${site}' AND ts >= ${D0 + day * DAY} AND ts < ${D0 + (day + 1) * DAY}`,
      ),
    );
  return out;
};

test('a site of the inventory that never declares its retention holds dropping back only for its grace after it was added', async () => {
  const url = await newDb('grace');
  const owner = new SqlStore(new PgDriver(url));
  const od = owner.driver as PgDriver;
  await owner.migrate();
  await ensureFleetSchema(od.sql);
  const sites = {
    ldn: await addSite(od.sql, 'ldn', url),
    nyc: await addSite(od.sql, 'nyc', url),
    ghost: await addSite(od.sql, 'ghost', url), // its agent never starts
  };
  const ldn = new SqlStore(new PgDriver(sites.ldn.url));
  const nyc = new SqlStore(new PgDriver(sites.nyc.url));
  try {
    await od.all('SELECT hostops_rollup_partitions($1, $2)', [D0, D0 + 7 * DAY]);
    for (const [site, store] of [
      ['ldn', ldn],
      ['nyc', nyc],
    ] as const) {
      await store.writePings(rounds(site, 'fra', D0, 240, 3600)); // one round an hour, 10 days
      await store.rollup(site);
    }
    const at = D0 + 10 * DAY + 3600;
    const addedAt = async (site: string, t: number) =>
      od.all('UPDATE fleet_sites SET created_at = $2 WHERE name = $1', [site, t]);
    const full = Array(10).fill(24);
    const prune = async () => {
      await ldn.prune(at, { raw: 3 * DAY, fiveMinute: 2 * DAY, hourly: 2 * DAY }, 'ldn');
      await nyc.prune(at, { raw: 5 * DAY, fiveMinute: 4 * DAY, hourly: 6 * DAY }, 'nyc');
    };

    // ghost was added a day before "now": within its grace (2 days), nothing is dropped
    await addedAt('ghost', at - DAY);
    await prune();
    for (const site of ['ldn', 'nyc'])
      for (const t of ['ping', 'ping_5m', 'ping_1h'])
        assert.deepEqual(await perDay(od, t, site), full, `${t} ${site}: ghost may keep longer`);
    assert.deepEqual(await ldn.retentionHoldouts(at), [{ site: 'ghost', until: at + DAY }]);
    let st = await retentionStatus(od.sql, at);
    assert.deepEqual(
      [st.holding.map((s) => s.site), st.lapsed.map((s) => s.site)],
      [['ghost'], []],
    );

    // a longer grace in the inventory keeps a site added 3 days ago holding back
    await addedAt('ghost', at - 3 * DAY);
    await setRetention(od.sql, { grace: '1w' });
    await prune();
    assert.deepEqual(await perDay(od, 'ping', 'ldn'), full, 'within a 1w grace');
    await od.all(`DELETE FROM fleet_settings WHERE key = 'retention.grace'`);

    // past the default grace: the sites that declared decide (the longest: raw 5d, 5-minute 4d,
    // hourly 6d); whole days before the cutoff go, nothing newer
    await prune();
    for (const site of ['ldn', 'nyc']) {
      assert.deepEqual(await perDay(od, 'ping', site), [0, 0, 0, 0, 0, 24, 24, 24, 24, 24]);
      assert.deepEqual(await perDay(od, 'ping_5m', site), [0, 0, 0, 0, 0, 0, 24, 24, 24, 24]);
      assert.deepEqual(await perDay(od, 'ping_1h', site), [0, 0, 0, 0, 24, 24, 24, 24, 24, 24]);
    }
    assert.deepEqual(await nyc.retentionHoldouts(at), []);
    st = await retentionStatus(od.sql, at);
    assert.deepEqual(
      [st.holding.map((s) => s.site), st.lapsed.map((s) => s.site)],
      [[], ['ghost']],
    );
  } finally {
    await ldn.close();
    await nyc.close();
    await owner.close();
  }
});
