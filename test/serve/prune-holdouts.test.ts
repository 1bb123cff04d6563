import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pruneJob } from '../../src/serve/jobs/maintenance.js';
import type { JobContext } from '../../src/serve/jobs/context.js';
import type { Store } from '../../src/store/index.js';

/** The prune job with a store whose fleet has these holdouts; the lines it logs. */
async function pruneLogs(held: { site: string; until: number }[] | undefined): Promise<string[]> {
  const logs: string[] = [];
  const store = {
    async prune() {},
    async maintain() {},
    ...(held ? { retentionHoldouts: async () => held } : {}),
  } as unknown as Store;
  const ctx = {
    cfg: { site: 'ldn', store: { retention: { raw: 1, fiveMinute: 1, hourly: 1 } } },
    site: 'ldn',
    store,
    now: () => 1_700_000_000,
    log: (m: string) => logs.push(m),
  } as unknown as JobContext;
  await pruneJob(ctx).run(new AbortController().signal);
  return logs;
}

test('the prune job says which inventory sites hold the fleet raw retention back, and nothing when none does', async () => {
  assert.deepEqual(await pruneLogs([{ site: 'ghost', until: 1_700_086_400 }]), [
    'raw retention held back by site(s) that have not declared theirs: ghost (until 2023-11-15T22:13:20.000Z)',
  ]);
  assert.deepEqual(await pruneLogs([]), []);
  assert.deepEqual(await pruneLogs(undefined), [], 'a store without a fleet (SQLite)');
});
