// The prune job drops a site's kept open buckets (ping_5m_open) of pairs no longer measured: its
// own site's rows over an hour old, nobody else's, and the rollup that later needs one of them
// recomputes the bucket from raw rounds, to the same rows as a database where nothing was pruned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgDriver, SqlStore } from '../../src/store/index.js';
import { ensureFleetSchema } from '../../src/fleet/schema.js';
import { addSite } from '../../src/fleet/inventory.js';
import { pgForFile } from './pg-cluster.js';
import { rounds } from './helpers.js';

const { newDb } = pgForFile();
const D0 = 19675 * 86400; // 2023-11-14 00:00 UTC
const KEEP = { raw: 30 * 86400, fiveMinute: 30 * 86400, hourly: 30 * 86400 };

const open = (d: PgDriver) =>
  d
    .all<{ k: string }>(`SELECT site || '/' || target AS k FROM ping_5m_open ORDER BY 1`)
    .then((r) => r.map((x) => x.k));
const rollups = (d: PgDriver) =>
  Promise.all(
    ['ping_5m', 'ping_1h'].map((t) =>
      d.all(
        `SELECT site, target, ts, rounds, sent, received, rtt_min, rtt_median, rtt_max, hist_b, hist_n FROM ${t} ORDER BY site, target, ts`,
      ),
    ),
  );

test('prune drops its own site kept open buckets over an hour old; a later pass recomputes them to the same rows', async () => {
  const urls = [await newDb('openprune'), await newDb('openprune_ref')];
  const owners = urls.map((u) => new SqlStore(new PgDriver(u)));
  const roles: SqlStore[] = [];
  try {
    for (const [i, o] of owners.entries()) {
      await o.migrate();
      await ensureFleetSchema((o.driver as PgDriver).sql);
      for (const site of ['ldn', 'nyc'])
        roles.push(
          new SqlStore(
            new PgDriver((await addSite((o.driver as PgDriver).sql, site, urls[i])).url),
          ),
        );
    }
    // per database: ldn's and nyc's stores; "quiet" measured up to 2 h ago, "live" until now
    const now = D0 + 4 * 3600;
    const write = async (k: number, from: number, n: number, targets: string[]) => {
      for (const [j, site] of ['ldn', 'nyc'].entries())
        for (const t of targets) {
          await roles[2 * k + j].writePings(rounds(site, t, from, n, 20, 5 + j));
          await roles[2 * k + j].rollup(site);
        }
    };
    for (const k of [0, 1]) {
      await write(k, now - 3 * 3600, 90, ['quiet']);
      await write(k, now - 1800, 80, ['live']);
    }
    const od = owners[0].driver as PgDriver;
    const all = ['ldn/live', 'ldn/quiet', 'nyc/live', 'nyc/quiet'];
    assert.deepEqual(await open(od), all, 'each pair keeps its newest bucket');

    await roles[0].prune(now, KEEP, 'ldn');
    assert.deepEqual(
      await open(od),
      ['ldn/live', 'nyc/live', 'nyc/quiet'],
      "ldn's bucket of 2 h ago went; its live one and nyc's (not ldn's to prune) stayed",
    );

    // "quiet" comes back with late rounds into its last bucket and new ones: same rows as the
    // database that pruned nothing
    for (const k of [0, 1]) await write(k, now - 2 * 3600 - 60, 6, ['quiet']);
    assert.deepEqual(await rollups(od), await rollups(owners[1].driver as PgDriver));

    // a role without the table's grant (fleet schema older than 6): the rest of the prune runs
    await od.all('REVOKE ALL ON ping_5m_open FROM hostops_agent');
    await roles[1].prune(now + 7200, KEEP, 'nyc');
  } finally {
    for (const s of [...roles, ...owners]) await s.close();
  }
});
