/**
 * The mail queue sample and the spam-sources report follow their new intervals after SIGHUP: the
 * real CLI, the config file edited between signals, /api/status polled against a deadline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from './helpers.js';

const BIN = path.resolve('bin/hostops.js');

function writeConfig(file: string, dir: string, mailq: string): void {
  writeFileSync(
    file,
    [
      'site: r',
      'defaults: { self: false, gateway: false }',
      'iperf: { server: false }',
      'ntp: { enabled: false }',
      'amp: { enabled: false }',
      'path: { enabled: false }',
      'ping: { interval: 1h, count: 3 }',
      'listen: { host: 127.0.0.1, port: 0 }',
      `store: { path: ${path.join(dir, 'h.db')}, spool: { path: ${path.join(dir, 'spool.db')} } }`,
      `mailq: { enabled: true, log: ${path.join(dir, 'mainlog')}, ${mailq} }`,
      'targets: [{ name: lo1, host: 127.0.0.1 }]',
    ].join('\n') + '\n',
  );
}

async function until<T>(
  f: () => Promise<T | null | undefined | false>,
  what: string,
  err: () => string,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; agent stderr:\n${err()}`);
    await sleep(150);
  }
}

interface JobRow {
  job: string;
  interval: number;
  lastRun: number | null;
  nextRun: number | null;
  failures: number;
}

test('SIGHUP with new mail queue and spam-report intervals reschedules both jobs, shorter and longer', async () => {
  const t = tempDir('hostops-reload-mailq-');
  const cfg = path.join(t.dir, 'hostops.yaml');
  writeFileSync(path.join(t.dir, 'mainlog'), '');
  writeConfig(cfg, t.dir, 'interval: 1h, sourcesInterval: 1h');
  const proc = spawn(process.execPath, [BIN, 'serve', '-c', cfg], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = once(proc, 'exit');
  const stderr = () => err;
  try {
    const url = await until(
      async () => /dashboard on (http:\/\/127\.0\.0\.1:\d+)/.exec(err)?.[1],
      'the dashboard URL',
      stderr,
    );
    const jobs = async () =>
      ((await (await fetch(url + '/api/status')).json()) as { jobs: JobRow[] }).jobs;
    const job = async (name: string) => (await jobs()).find((j) => j.job === name)!;
    const first = await until(
      async () => {
        const a = await job('mailq');
        const b = await job('mailq-sources');
        return a?.lastRun && b?.lastRun ? { a, b } : undefined;
      },
      'the first mailq and mailq-sources runs',
      stderr,
    );
    assert.equal(first.b.interval, 3600);
    assert.ok(first.b.nextRun! > first.b.lastRun! + 3000, 'planned an hour out');

    // shorter: both run again within seconds, on the new intervals
    writeConfig(cfg, t.dir, 'interval: 2s, sourcesInterval: 3s');
    proc.kill('SIGHUP');
    await until(
      async () =>
        /config reloaded from .*hostops\.yaml: jobs changed: mailq, mailq-sources\n/.test(err),
      'the reload log line',
      stderr,
    );
    const st = await jobs();
    assert.deepEqual(
      st.filter((j) => j.job.startsWith('mailq')).map((j) => [j.job, j.interval]),
      [
        ['mailq', 2],
        ['mailq-sources', 3],
      ],
    );
    const again = await until(
      async () => {
        const b = await job('mailq-sources');
        return b.lastRun! > first.b.lastRun! && b;
      },
      'a mailq-sources run on the new schedule',
      stderr,
    );
    await until(
      async () => (await job('mailq-sources')).lastRun! > again.lastRun!,
      'a second mailq-sources run 3 s later',
      stderr,
    );
    await until(
      async () => {
        const a = await job('mailq');
        return a.lastRun! > first.a.lastRun! + 1 && a;
      },
      'mailq runs every 2 s',
      stderr,
    );
    const checks = (await (await fetch(url + '/api/checks/mailq-sources')).json()) as unknown[];
    assert.ok(checks.length >= 1, 'the report is stored');

    // longer again: after at most one run at the old pace, the report is planned an hour out
    writeConfig(cfg, t.dir, 'interval: 2s, sourcesInterval: 1h');
    const reloads = (err.match(/config reloaded/g) ?? []).length;
    proc.kill('SIGHUP');
    await until(
      async () => (err.match(/config reloaded/g) ?? []).length > reloads,
      'the second reload',
      stderr,
    );
    assert.match(err, /config reloaded from .*hostops\.yaml: jobs changed: mailq-sources\n$/m);
    const hourly = await until(
      async () => {
        const b = await job('mailq-sources');
        return b.interval === 3600 && b.nextRun! - b.lastRun! > 3000 && b;
      },
      'mailq-sources planned an hour after its last run',
      stderr,
      15_000,
    );
    assert.ok(hourly.nextRun! - hourly.lastRun! < 3600 * 1.2, JSON.stringify(hourly));
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const k = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(k);
    }
    t.cleanup();
  }
});
