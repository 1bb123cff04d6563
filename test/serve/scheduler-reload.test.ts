/** The scheduler side of a config reload: remove, replace and schedule on a running scheduler. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../src/store/index.js';
import { Scheduler, type JobEvent } from '../../src/serve/scheduler.js';
import { tempDir } from '../store/helpers.js';

async function sqlite(dir: string) {
  return openStore({
    kind: 'sqlite',
    path: path.join(dir, 's.db'),
    spool: { path: '', maxRows: 100 },
  });
}

async function until(f: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('remove() aborts a run in progress, which counts neither as a run nor a failure, and the job never fires again', async () => {
  const t = tempDir();
  const store = await sqlite(t.dir);
  const events: JobEvent[] = [];
  let started = 0;
  let aborted = 0;
  const s = new Scheduler({ store, site: 'a', firstRunSpread: 0, onRun: (e) => events.push(e) });
  s.add({
    name: 'long',
    interval: 0.02,
    jitter: 0,
    run: (signal) =>
      new Promise((_, reject) => {
        started++;
        signal.addEventListener('abort', () => {
          aborted++;
          reject(signal.reason);
        });
      }),
  });
  try {
    await s.start();
    await until(() => started === 1, 'the first run');
    await s.remove('long');
    assert.equal(aborted, 1);
    assert.equal(s.has('long'), false);
    await sleep(100);
    assert.equal(started, 1, 'not armed again');
    assert.deepEqual(events, []);
    assert.deepEqual(s.states(), []);
  } finally {
    await s.stop();
    await store.close();
    t.cleanup();
  }
});

test('replace() keeps the state, lets a run in progress finish, and a shorter interval brings the next run forward', async () => {
  const t = tempDir();
  const store = await sqlite(t.dir);
  const events: JobEvent[] = [];
  let release: (() => void) | null = null;
  const runs: string[] = [];
  const s = new Scheduler({
    store,
    site: 'a',
    firstRunSpread: 0,
    random: () => 0.5,
    onRun: (e) => events.push(e),
  });
  s.add({
    name: 'j',
    interval: 3600,
    jitter: 0,
    run: () =>
      new Promise<void>((r) => {
        runs.push('old');
        release = r;
      }),
  });
  try {
    await s.start();
    await until(() => release !== null, 'the first run');
    const waited = s.replace({
      name: 'j',
      interval: 0.05,
      jitter: 0,
      run: async () => {
        runs.push('new');
      },
    });
    release!();
    await waited;
    assert.equal(events.length, 1, 'the old run finished and counted');
    // the next run follows the new interval, not the hour
    await until(() => runs.length >= 3, 'runs of the new definition');
    assert.deepEqual(runs.slice(0, 3), ['old', 'new', 'new']);
    assert.ok(events.every((e) => e.ok));
  } finally {
    await s.stop();
    await store.close();
    t.cleanup();
  }
});

test('replace() of an idle hourly job with a short one re-plans it; schedule() arms a new job within the first-run spread', async () => {
  const t = tempDir();
  const store = await sqlite(t.dir);
  const ran: string[] = [];
  const s = new Scheduler({ store, site: 'a', firstRunSpread: 0.05, random: () => 0.5 });
  s.add({
    name: 'h',
    interval: 3600,
    jitter: 0,
    run: async () => {
      ran.push('h');
    },
  });
  try {
    await s.start();
    await until(() => ran.length === 1, 'the first run of h');
    const next = s.states()[0].nextRun!;
    assert.ok(next - Date.now() / 1000 > 3000, 'planned an hour out');
    await s.replace({
      name: 'h',
      interval: 0.05,
      jitter: 0,
      run: async () => {
        ran.push('h2');
      },
    });
    await s.schedule({
      name: 'n',
      interval: 3600,
      run: async () => {
        ran.push('n');
      },
    });
    await until(() => ran.includes('h2') && ran.includes('n'), 'the re-planned and the new job');
    assert.throws(
      () => s.add({ name: 'n', interval: 1, run: async () => {} }),
      /already scheduled/,
    );
  } finally {
    await s.stop();
    await store.close();
    t.cleanup();
  }
});
