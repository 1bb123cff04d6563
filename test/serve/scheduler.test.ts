import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../src/store/index.js';
import { Scheduler, backoffDelay, type JobEvent } from '../../src/serve/scheduler.js';
import { tempDir } from '../store/helpers.js';

async function sqlite(dir: string) {
  return openStore({
    kind: 'sqlite',
    path: path.join(dir, 's.db'),
    spool: { path: '', maxRows: 100 },
  });
}

test('a job never overlaps itself, even when a run outlasts its interval', async () => {
  const t = tempDir();
  const store = await sqlite(t.dir);
  let active = 0;
  let maxActive = 0;
  let runs = 0;
  const s = new Scheduler({ store, site: 'a', firstRunSpread: 0 });
  s.add({
    name: 'slow',
    interval: 0.02,
    jitter: 0,
    run: async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      await sleep(120);
      active--;
    },
  });
  await s.start();
  await sleep(500);
  await s.stop();
  await store.close();
  t.cleanup();
  assert.equal(maxActive, 1);
  assert.ok(runs >= 3 && runs <= 6, `runs ${runs}`);
});

test('failures back off exponentially and a success resets the counter', async () => {
  const t = tempDir();
  const store = await sqlite(t.dir);
  const events: JobEvent[] = [];
  let n = 0;
  const s = new Scheduler({
    store,
    site: 'a',
    firstRunSpread: 0,
    random: () => 0,
    onRun: (e) => events.push(e),
  });
  s.add({
    name: 'flaky',
    interval: 0.02,
    jitter: 0,
    maxBackoff: 10,
    run: async () => {
      if (++n <= 4) throw new Error(`down ${n}`);
    },
  });
  await s.start();
  for (let i = 0; i < 100 && events.length < 5; i++) await sleep(20);
  await s.stop();
  const st = await store.jobStates('a');
  await store.close();
  t.cleanup();
  assert.deepEqual(
    events.slice(0, 5).map((e) => [e.ok, e.failures]),
    [
      [false, 1],
      [false, 2],
      [false, 3],
      [false, 4],
      [true, 0],
    ],
  );
  const waits = events.slice(0, 4).map((e) => e.nextRun - (e.start + e.duration));
  for (let i = 1; i < 4; i++)
    assert.ok(Math.abs(waits[i] - 2 * waits[i - 1]) < 1e-6, `waits double: ${waits.join(', ')}`);
  assert.equal(events[0].error, 'down 1');
  assert.equal(st[0].failures, 0);
  assert.equal(backoffDelay({ name: 'x', interval: 60, run: async () => {} }, 10), 900);
});

test('a restart resumes the schedule from the persisted last and next run times', async () => {
  const t = tempDir();
  let store = await sqlite(t.dir);
  const ran: string[] = [];
  const jobs = () => [
    {
      name: 'hourly',
      interval: 3600,
      run: async () => {
        ran.push('hourly');
      },
    },
    {
      name: 'often',
      interval: 0.1,
      jitter: 0,
      run: async () => {
        ran.push('often');
      },
    },
  ];
  let s = new Scheduler({ store, site: 'r', firstRunSpread: 0.05 });
  for (const j of jobs()) s.add(j);
  await s.start();
  await sleep(400);
  await s.stop();
  assert.equal(ran.filter((x) => x === 'hourly').length, 1);
  const before = (await store.jobStates('r')).find((x) => x.job === 'hourly')!;
  assert.ok(before.nextRun! - before.lastRun! > 3000);
  await store.close();
  // "restart": a new store handle and scheduler over the same database
  ran.length = 0;
  store = await sqlite(t.dir);
  s = new Scheduler({ store, site: 'r', firstRunSpread: 0.05 });
  for (const j of jobs()) s.add(j);
  await s.start();
  assert.equal(
    s.states().find((x) => x.job === 'hourly')!.nextRun,
    before.nextRun,
    'the hourly job keeps its planned time',
  );
  await sleep(400);
  await s.stop();
  assert.equal(
    ran.filter((x) => x === 'hourly').length,
    0,
    'the hourly job does not run again after a restart',
  );
  assert.ok(ran.filter((x) => x === 'often').length >= 2, 'jobs that are due keep running');
  // an overdue job (its next run passed while the agent was down) runs promptly
  await store.setJobState({ ...before, nextRun: Date.now() / 1000 - 10 });
  s = new Scheduler({ store, site: 'r', random: () => 0 });
  for (const j of jobs()) s.add(j);
  await s.start();
  await sleep(600);
  await s.stop();
  await store.close();
  t.cleanup();
  assert.equal(ran.filter((x) => x === 'hourly').length, 1);
});

test('a restart with a shorter interval in the config does not wait for the old plan', async () => {
  const t = tempDir();
  let store = await sqlite(t.dir);
  const ran: number[] = [];
  let s = new Scheduler({ store, site: 'r', firstRunSpread: 0.05 });
  s.add({
    name: 'report',
    interval: 3600,
    run: async () => {
      ran.push(Date.now());
    },
  });
  await s.start();
  await sleep(300);
  await s.stop();
  assert.equal(ran.length, 1);
  const before = (await store.jobStates('r')).find((x) => x.job === 'report')!;
  assert.ok(before.nextRun! - before.lastRun! > 3000, 'planned an hour out');
  await store.close();
  // the config now says every 0.2 s: the persisted hourly plan gives way to the new interval
  store = await sqlite(t.dir);
  s = new Scheduler({ store, site: 'r', firstRunSpread: 0.05 });
  s.add({
    name: 'report',
    interval: 0.2,
    jitter: 0,
    run: async () => {
      ran.push(Date.now());
    },
  });
  await s.start();
  const planned = s.states().find((x) => x.job === 'report')!.nextRun!;
  assert.ok(planned <= Date.now() / 1000 + 0.25, `next run ${planned - Date.now() / 1000} s away`);
  await sleep(700);
  await s.stop();
  await store.close();
  t.cleanup();
  assert.ok(ran.length >= 3, `ran ${ran.length - 1} times after the restart`);
});
