import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqlStore, SqliteDriver } from '../../src/store/index.js';
import { tempDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

test('kill -9 during writes loses no committed measurement (SQLite WAL, synchronous=FULL)', async () => {
  const t = tempDir();
  try {
    const file = path.join(t.dir, 'k.db');
    for (let round = 0; round < 3; round++) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(here, 'fixtures', 'writer.ts'), file],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const committed: number[] = [];
      let buf = '';
      await new Promise<void>((resolve, reject) => {
        child.on('error', reject);
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop() ?? '';
          for (const l of lines) if (/^\d+$/.test(l)) committed.push(Number(l));
          // kill in the middle of the write stream, after a varying number of commits
          if (committed.length >= 50 + round * 37 && !child.killed) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', () => resolve());
      });
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
      assert.equal(
        child.signalCode,
        'SIGKILL',
        'the writer must die by kill -9, not exit on its own',
      );
      const store = new SqlStore(new SqliteDriver(file));
      const rows = await store.driver.all<{ ts: number; n: number }>(
        'SELECT ts, COUNT(*) AS n FROM ping GROUP BY ts',
      );
      const have = new Map(rows.map((r) => [r.ts, r.n]));
      for (const ts of committed)
        assert.equal(
          have.get(ts),
          10,
          `batch ${ts} was reported committed but is missing or partial`,
        );
      for (const [, n] of have)
        assert.equal(n, 10, 'a batch is partially present (transaction torn)');
      await store.driver.all('DELETE FROM ping');
      await store.close();
    }
  } finally {
    t.cleanup();
  }
});
