import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { SpooledStore, type Store } from '../../src/store/index.js';
import { rounds, tempDir } from '../store/helpers.js';

/** An inner store whose writes wait until the test settles them: a database behind a silently dropped path. */
function silentDb() {
  const waiting: { resolve(): void; reject(e: Error): void; n: number }[] = [];
  const written: number[] = [];
  const inner = {
    kind: 'postgres',
    async migrate() {},
    writePings(rows: unknown[]) {
      return new Promise<void>((resolve, reject) =>
        waiting.push({
          resolve: () => {
            written.push(rows.length);
            resolve();
          },
          reject,
          n: rows.length,
        }),
      );
    },
    rollup() {
      return new Promise<void>(() => {});
    },
    async close() {},
  } as unknown as Store;
  return { inner, waiting, written };
}

test('a write the database does not answer is spooled after the timeout and the caller goes on; a late success removes the copy', async () => {
  const t = tempDir('hostops-spool-silent-');
  const db = silentDb();
  const s = new SpooledStore(db.inner, path.join(t.dir, 's.spool'), 1000, 200);
  try {
    await s.writePings(rounds('s3', 'edge1', 1000, 1)); // returns after 200 ms, not never
    assert.equal(s.stats().rows, 1);
    assert.match(s.stats().lastError ?? '', /no answer from the database within 0\.2 s/);
    await s.writePings(rounds('s3', 'edge1', 1020, 1)); // behind the backlog: spooled at once, not sent
    assert.equal(db.waiting.length, 1);
    assert.equal(s.stats().rows, 2);
    await assert.rejects(s.rollup('s3'), /rollup: no answer from the database within 0\.2 s/);
    // the first write lands after all: its copy goes, the rest is replayed once (no duplicates)
    db.waiting[0].resolve();
    for (let i = 0; i < 50 && db.waiting.length < 2; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(db.waiting.length, 2, 'the replay of the second write started');
    db.waiting[1].resolve();
    await s.flush();
    assert.equal(s.stats().rows, 0);
    assert.deepEqual(db.written, [1, 1]);
  } finally {
    t.cleanup();
  }
});

test('a write that fails after its timeout stays spooled and is replayed', async () => {
  const t = tempDir('hostops-spool-silent-');
  const db = silentDb();
  const s = new SpooledStore(db.inner, path.join(t.dir, 's.spool'), 1000, 200);
  try {
    await s.writePings(rounds('s3', 'edge1', 1000, 2));
    await s.flush(); // nothing is replayed while the first write may still land
    assert.equal(db.waiting.length, 1);
    db.waiting[0].reject(new Error('connection reset'));
    for (let i = 0; i < 50 && db.waiting.length < 2; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(db.waiting.length, 2);
    db.waiting[1].resolve();
    await s.flush();
    assert.equal(s.stats().rows, 0);
    assert.deepEqual(db.written, [2]);
  } finally {
    t.cleanup();
  }
});
