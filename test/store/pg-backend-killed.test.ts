// A PostgreSQL backend that dies in the middle of a transaction (a restart, a failover, an operator's
// pg_terminate_backend) must be an error the agent catches, never a crash. postgres 3.4.9 rolls
// the transaction back by writing to a socket it has already dropped, from a setImmediate, where no
// caller can catch it (porsager/postgres#1208); patches/postgres+3.4.9.patch guards that write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import postgres from 'postgres';
import { startPg } from './pg-cluster.js';

const CHILD = `
import { PgDriver } from './src/store/pg-driver.ts';
const d = new PgDriver(process.env.URL, { max: 2 });
try {
  await d.batch([['SELECT 1', []], ['SELECT pg_sleep(5)', []]]);
  console.log('batch: no error');
} catch (e) {
  console.log('batch: ' + (e.code ?? e.message));
}
// the pool must still answer: the dead connection is replaced, not left holding stale bytes
const r = await d.all('SELECT 41 + 1 AS x');
console.log('after: ' + r[0].x);
await d.close();
`;

test('a backend killed during a transaction is a caught error and the pool goes on answering', async () => {
  const pg = await startPg();
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      env: { ...process.env, URL: pg.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => {
      out += b;
    });
    child.stderr.on('data', (b) => {
      err += b;
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    // wait (bounded) for the sleep to be in flight, then end its backend as an operator would
    let killed = 0;
    for (let i = 0; i < 200 && !killed; i++) {
      const rows = await admin`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
        WHERE query LIKE 'SELECT pg_sleep(5)%' AND pid <> pg_backend_pid()`;
      killed = rows.filter((x) => x.ok).length;
      if (!killed) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(killed, 1, 'the transaction was seen in flight and its backend ended');
    const code = await exited;
    assert.equal(code, 0, `the process survives: ${err}`);
    assert.doesNotMatch(err, /TypeError/);
    assert.match(out, /^batch: (CONNECTION_CLOSED|57P01|CONNECTION_DESTROYED)/m);
    assert.match(out, /^after: 42$/m);
  } finally {
    await admin.end();
    pg.stop();
  }
});
