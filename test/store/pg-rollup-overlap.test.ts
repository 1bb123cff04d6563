import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import postgres from 'postgres';
import { PgDriver, SpooledStore, SqlStore } from '../../src/store/index.js';
import { pgForFile } from './pg-cluster.js';
import { rounds, tempDir } from './helpers.js';

const { newDb } = pgForFile();
const T0 = 1_700_000_000 - (1_700_000_000 % 3600);

const one = async (d: PgDriver, q: string, p: (string | number)[] = []) =>
  Number(Object.values((await d.all<Record<string, unknown>>(q, p))[0])[0]);
const watermark = (d: PgDriver, site: string) =>
  one(d, `SELECT coalesce((SELECT value::bigint FROM meta WHERE key = $1), 0)`, [`rollup:${site}`]);

/** Poll (bounded in count) until check() is true; false if it never was. */
async function until(check: () => Promise<boolean>, tries = 400): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

/**
 * A site rolled up once, then an hour of new rounds, and another connection holding the site's
 * watermark row: the next pass computes its buckets and then waits, mid-transaction, on that row.
 */
async function blockedSite(db: string) {
  const d = new PgDriver(db);
  await new SqlStore(d).migrate();
  const s = new SqlStore(d);
  await s.writePings(rounds('ldn', 'fra', T0, 180, 20));
  await s.rollup('ldn');
  const wm0 = await watermark(d, 'ldn');
  await s.writePings(rounds('ldn', 'fra', T0 + 3600, 180, 20));
  const holder = postgres(db, { max: 1, onnotice: () => {} });
  let release = () => {};
  const held = new Promise<void>((r) => {
    release = r;
  });
  let locked = () => {};
  const isLocked = new Promise<void>((r) => {
    locked = r;
  });
  const tx = holder
    .begin(async (t) => {
      await t.unsafe('SELECT value FROM meta WHERE key = $1 FOR UPDATE', ['rollup:ldn']);
      locked();
      await held;
      throw new Error('rollback');
    })
    .catch(() => {});
  await isLocked;
  const waitingOnMeta = async () =>
    (await one(
      d,
      `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO meta%'`,
    )) > 0;
  const stop = async () => {
    release();
    await tx;
    await holder.end();
  };
  return { d, wm0, release, stop, waitingOnMeta };
}

test('two rollups of one site at once: the agent runs one pass (the second call joins it), a second connection skips, and the rows and watermark are right', async () => {
  const db = await newDb('overlap');
  const b = await blockedSite(db);
  const t = tempDir('hostops-rollup-overlap-');
  const other = new SqlStore(new PgDriver(db)); // another agent configured with the same site
  const spooled = new SpooledStore(
    new SqlStore(new PgDriver(db)),
    path.join(t.dir, 's.spool'),
    1000,
    600_000,
  );
  try {
    const first = spooled.rollup('ldn');
    assert.ok(await until(b.waitingOnMeta), 'the first pass reached the watermark row');
    // the same agent's next tick: no second pass is started, in this process or the database
    const second = spooled.rollup('ldn');
    // another connection for the same site: skipped and reported, nothing written
    const skipped = other.rollup('ldn').then(
      () => 'ran',
      (e: { code?: string }) => e.code ?? 'error',
    );
    const passes = async () =>
      one(
        b.d,
        `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'WITH fresh%'`,
      );
    // a second pass would wait on the first one's uncommitted 5-minute rows: never see it
    const settled = await Promise.race([
      skipped,
      until(async () => (await passes()) > 0).then((seen) =>
        seen ? 'a second pass overlaps' : 'neither',
      ),
    ]);
    assert.equal(settled, 'STORE_ROLLUP_BUSY');
    b.release();
    const [n1, n2] = await Promise.all([first, second]);
    assert.equal(n1, n2, 'the second call got the first pass');
    assert.ok(n1 > 0);
    const maxId = await one(b.d, `SELECT max(id) FROM ping WHERE site = 'ldn'`);
    assert.equal(await watermark(b.d, 'ldn'), maxId);
    // 2 hours of rounds every 20 s: 24 5-minute buckets, 2 hours, each counting its rounds once
    assert.deepEqual(
      [
        ...(await b.d.all(
          `SELECT count(*)::int AS n, sum(rounds)::int AS rounds FROM ping_5m WHERE site = 'ldn'`,
        )),
      ],
      [{ n: 24, rounds: 360 }],
    );
    assert.deepEqual(
      [
        ...(await b.d.all(
          `SELECT count(*)::int AS n, sum(rounds)::int AS rounds FROM ping_1h WHERE site = 'ldn'`,
        )),
      ],
      [{ n: 2, rounds: 360 }],
    );
  } finally {
    await b.stop();
    await spooled.close();
    await other.close();
    await b.d.close();
    t.cleanup();
  }
});

// the test timeout only ends a run where the pass is never cancelled (before the bound existed)
test('a rollup of every site skips the one another connection is rolling up, rolls up the rest, then names it', async () => {
  const db = await newDb('overlapall');
  const b = await blockedSite(db);
  const s = new SqlStore(new PgDriver(db));
  try {
    await s.writePings(rounds('par', 'fra', T0, 30, 20));
    const first = new SqlStore(new PgDriver(db));
    const held = first.rollup('ldn');
    assert.ok(await until(b.waitingOnMeta), 'the ldn pass reached the watermark row');
    await assert.rejects(s.rollup(), (e: { code?: string; message: string }) => {
      assert.equal(e.code, 'STORE_ROLLUP_BUSY');
      assert.match(e.message, /rollup of site ldn skipped/);
      return true;
    });
    // sites go in name order: par, after the busy ldn, was still rolled up
    assert.equal(
      await watermark(b.d, 'par'),
      await one(b.d, `SELECT max(id) FROM ping WHERE site = 'par'`),
    );
    b.release();
    assert.ok((await held) > 0);
    await first.close();
  } finally {
    await b.stop();
    await s.close();
    await b.d.close();
  }
});

test('a rollup pass that runs over its bound is cancelled by the database and rolled back; the next one succeeds', {
  timeout: 120_000,
}, async () => {
  const db = await newDb('bound');
  const b = await blockedSite(db);
  const store = new SqlStore(new PgDriver(db), { rollupTimeoutMs: 1500 });
  try {
    const fiveBefore = await one(b.d, `SELECT count(*) FROM ping_5m WHERE site = 'ldn'`);
    await assert.rejects(store.rollup('ldn'), /statement timeout/);
    // cancelled, not orphaned: no statement of the pass still runs or waits, no lock is held
    assert.equal(
      await one(
        b.d,
        `SELECT count(*) FROM pg_stat_activity WHERE state <> 'idle' AND (query LIKE 'INSERT INTO meta%' OR query LIKE 'WITH fresh%')`,
      ),
      0,
    );
    assert.equal(await one(b.d, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'`), 0);
    assert.equal(await watermark(b.d, 'ldn'), b.wm0, 'watermark unchanged');
    assert.equal(
      await one(b.d, `SELECT count(*) FROM ping_5m WHERE site = 'ldn'`),
      fiveBefore,
      'no 5-minute row of the cancelled pass',
    );
    await b.stop();
    assert.ok((await store.rollup('ldn')) > 0);
    assert.equal(
      await watermark(b.d, 'ldn'),
      await one(b.d, `SELECT max(id) FROM ping WHERE site = 'ldn'`),
    );
    assert.deepEqual(
      [
        ...(await b.d.all(
          `SELECT count(*)::int AS n, sum(rounds)::int AS rounds FROM ping_5m WHERE site = 'ldn'`,
        )),
      ],
      [{ n: 24, rounds: 360 }],
    );
  } finally {
    await b.stop();
    await store.close();
    await b.d.close();
  }
});
