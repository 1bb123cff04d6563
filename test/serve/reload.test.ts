/**
 * `hostops serve` re-reads its config on SIGHUP: the real CLI, a config file edited between
 * signals, and the API and /metrics polled against a deadline. Every probe goes to 127.0.0.0/8.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from './helpers.js';

const BIN = path.resolve('bin/hostops.js');

/** The config file: the common part plus the lines a test varies. */
function writeConfig(file: string, dir: string, lines: string[]): void {
  writeFileSync(
    file,
    [
      'site: r',
      'defaults: { self: false, gateway: false }',
      'iperf: { server: false }',
      'mailq: { enabled: false }',
      'ntp: { enabled: false }',
      'amp: { enabled: false }',
      'ping: { interval: 1s, count: 3 }',
      ...(lines.some((l) => l.startsWith('listen:'))
        ? []
        : ['listen: { host: 127.0.0.1, port: 0 }']),
      ...(lines.some((l) => l.startsWith('store:'))
        ? []
        : [
            `store: { path: ${path.join(dir, 'h.db')}, spool: { path: ${path.join(dir, 'spool.db')} } }`,
          ]),
      ...lines,
    ].join('\n') + '\n',
  );
}

async function until<T>(
  f: () => Promise<T | null | undefined | false>,
  what: string,
  err: () => string,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(
        `timed out waiting for ${what}${last ? ` (${(last as Error).message})` : ''}; agent stderr:\n${err()}`,
      );
    await sleep(150);
  }
}

interface Agent {
  url: string;
  stderr(): string;
  hup(): void;
  get(p: string): Promise<any>;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

async function startAgent(cfg: string): Promise<Agent> {
  const proc = spawn(process.execPath, [BIN, 'serve', '-c', cfg], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = once(proc, 'exit');
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  try {
    // the port is 0 in the file: the startup line names the one the kernel picked
    const url = await until(
      async () => {
        if (proc.exitCode !== null) throw new Error(`hostops serve exited with ${proc.exitCode}`);
        return /dashboard on (http:\/\/127\.0\.0\.1:\d+)/.exec(err)?.[1];
      },
      'the dashboard URL',
      () => err,
    );
    return {
      url,
      stderr: () => err,
      stop,
      hup: () => {
        proc.kill('SIGHUP');
      },
      get: async (p) => {
        const r = await fetch(url + p);
        assert.equal(r.status, 200, p);
        return r.json();
      },
      metrics: async () => (await fetch(url + '/metrics')).text(),
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Value of the first series of `name` whose label text contains every `labels` entry, or null. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => m[2].includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return null;
}

const rounds = async (a: Agent, target: string) =>
  (await a.get(`/api/history?target=${target}&site=r&resolution=raw`)).ts.length as number;
const job = async (a: Agent, name: string) =>
  ((await a.get('/api/status')).jobs as any[]).find((j) => j.job === name);

test('SIGHUP applies added and removed targets and jobs; unchanged jobs keep their schedule', async () => {
  const t = tempDir('hostops-reload-');
  const cfg = path.join(t.dir, 'hostops.yaml');
  writeConfig(cfg, t.dir, [
    'path: { enabled: true, interval: 1h, cycles: 1 }',
    'targets: [{ name: lo1, host: 127.0.0.1 }]',
  ]);
  const a = await startAgent(cfg);
  try {
    // first runs spread over 3 s: wait for the ones this test compares
    await until(
      async () =>
        (await rounds(a, 'lo1')) >= 2 &&
        (await job(a, 'path'))?.lastRun &&
        (await job(a, 'capacity'))?.lastRun &&
        (await job(a, 'rollup'))?.lastRun,
      'two rounds to lo1 and the first path, capacity and rollup runs',
      a.stderr,
    );
    const capacity = await job(a, 'capacity');
    const rollup = await job(a, 'rollup');

    writeConfig(cfg, t.dir, [
      'path: { enabled: false }',
      'targets: [{ name: lo2, host: 127.0.0.2 }]',
    ]);
    a.hup();
    await until(
      async () =>
        /config reloaded from .*hostops\.yaml: targets added: lo2=127\.0\.0\.2; targets removed: lo1=127\.0\.0\.1; jobs removed: path; jobs changed: ping\n/.test(
          a.stderr(),
        ),
      'the reload log line',
      a.stderr,
    );

    const st = await a.get('/api/status');
    assert.deepEqual(st.targets, [{ name: 'lo2', host: '127.0.0.2' }]);
    assert.equal(
      st.jobs.some((j: any) => j.job === 'path'),
      false,
      'the path job is no longer scheduled',
    );
    // the new target is measured and shows in /metrics; the removed one's series are dropped
    await until(async () => (await rounds(a, 'lo2')) >= 1, 'a round to the new target', a.stderr);
    const m = await until(
      async () => {
        const text = await a.metrics();
        return (
          (sample(text, 'hostops_ping_packets_sent_total', { target: 'lo2' }) ?? 0) > 0 &&
          sample(text, 'hostops_ping_packets_sent_total', { target: 'lo1' }) === null &&
          text
        );
      },
      'lo2 in /metrics and lo1 gone',
      a.stderr,
    );
    assert.equal(
      sample(m, 'hostops_job_runs_total', { task: 'path' }),
      null,
      'the removed job has no series left',
    );
    assert.equal(sample(m, 'hostops_path_hops', { target: 'lo1' }), null);
    assert.equal(sample(m, 'hostops_config_reloads_total', { result: 'ok' }), 1);
    assert.equal(sample(m, 'hostops_config_reloads_total', { result: 'error' }), 0);
    assert.equal(sample(m, 'hostops_config_last_reload_successful'), 1);
    assert.ok(
      (sample(m, 'hostops_config_last_reload_success_timestamp_seconds') ?? 0) >= capacity.lastRun,
    );

    // lo1 gets no more rounds while lo2 keeps getting them
    const lo1 = await rounds(a, 'lo1');
    const lo2 = await rounds(a, 'lo2');
    await until(
      async () => (await rounds(a, 'lo2')) >= lo2 + 2,
      'two more rounds to lo2',
      a.stderr,
    );
    assert.equal(await rounds(a, 'lo1'), lo1, 'the removed target is not probed any more');
    // jobs whose part of the config did not change kept their run and their planned time
    for (const before of [capacity, rollup]) {
      const after = await job(a, before.job);
      assert.equal(after.lastRun, before.lastRun, `${before.job} did not run again`);
      assert.equal(after.nextRun, before.nextRun, `${before.job} keeps its planned time`);
    }
  } finally {
    await a.stop();
    t.cleanup();
  }
});

test('SIGHUP with an invalid config keeps the running one, logs the file, line and field and counts the error', async () => {
  const t = tempDir('hostops-reload-');
  const cfg = path.join(t.dir, 'hostops.yaml');
  writeConfig(cfg, t.dir, [
    'path: { enabled: false }',
    'targets: [{ name: lo1, host: 127.0.0.1 }]',
  ]);
  const a = await startAgent(cfg);
  try {
    await until(async () => (await rounds(a, 'lo1')) >= 1, 'a round to lo1', a.stderr);
    writeConfig(cfg, t.dir, [
      'path: { enabled: false }',
      'targets:',
      '  - name: lo3',
      '    hots: 127.0.0.3',
    ]);
    a.hup();
    const line = await until(
      async () =>
        /config reload from .* failed, still running the previous config: (.*)\n/.exec(
          a.stderr(),
        )?.[1],
      'the reload error',
      a.stderr,
    );
    assert.ok(line.startsWith(`${cfg}:`), `the error names the file: ${line}`);
    // the loader reports every issue, one a line: the missing host and the misspelt field
    assert.match(line, /hostops\.yaml:\d+: targets\[0\]\.host: required field is missing/);
    assert.ok(
      a
        .stderr()
        .split('\n')
        .some((l) => l.startsWith(`${cfg}:13: targets[0].hots: unknown field`)),
      a.stderr(),
    );
    const m = await a.metrics();
    assert.equal(sample(m, 'hostops_config_reloads_total', { result: 'error' }), 1);
    assert.equal(sample(m, 'hostops_config_reloads_total', { result: 'ok' }), 0);
    assert.equal(sample(m, 'hostops_config_last_reload_successful'), 0);
    // still the old targets, still measuring them
    assert.deepEqual((await a.get('/api/status')).targets, [{ name: 'lo1', host: '127.0.0.1' }]);
    const n = await rounds(a, 'lo1');
    await until(
      async () => (await rounds(a, 'lo1')) >= n + 2,
      'more rounds to lo1 after the failed reload',
      a.stderr,
    );

    // a fixed file reloads fine afterwards
    writeConfig(cfg, t.dir, [
      'path: { enabled: false }',
      'targets: [{ name: lo1, host: 127.0.0.1 }, { name: lo3, host: 127.0.0.3 }]',
    ]);
    a.hup();
    await until(
      async () => sample(await a.metrics(), 'hostops_config_reloads_total', { result: 'ok' }) === 1,
      'the good reload',
      a.stderr,
    );
    assert.equal(sample(await a.metrics(), 'hostops_config_last_reload_successful'), 1);
    assert.equal((await a.get('/api/status')).targets.length, 2);
    assert.ok(a.stderr().includes('targets added: lo3=127.0.0.3'), a.stderr());
  } finally {
    await a.stop();
    t.cleanup();
  }
});

test('SIGHUP reports listen and store changes as needing a restart and keeps them; the rest applies', async () => {
  const t = tempDir('hostops-reload-');
  const cfg = path.join(t.dir, 'hostops.yaml');
  writeConfig(cfg, t.dir, [
    'path: { enabled: false }',
    'targets: [{ name: lo1, host: 127.0.0.1 }]',
  ]);
  const a = await startAgent(cfg);
  try {
    await until(async () => (await rounds(a, 'lo1')) >= 1, 'a round to lo1', a.stderr);
    // port 1 (tcpmux): nothing else in the suite binds it, so only a wrong reload could answer there
    const otherPort = 1;
    const otherDb = path.join(t.dir, 'other.db');
    writeConfig(cfg, t.dir, [
      'path: { enabled: false }',
      `listen: { host: 127.0.0.1, port: ${otherPort} }`,
      `store: { path: ${otherDb} }`,
      'targets: [{ name: lo1, host: 127.0.0.1 }, { name: lo4, host: 127.0.0.4 }]',
    ]);
    a.hup();
    const line = await until(
      async () => /config reloaded from .*\n/.exec(a.stderr())?.[0],
      'the reload log line',
      a.stderr,
    );
    assert.match(line, /targets added: lo4=127\.0\.0\.4/);
    assert.match(
      line,
      /NOT applied, these need a restart \(still running the old ones\): listen, store\n/,
    );
    // the old listener answers, nothing listens on the new port, the old database gets the new target's rounds
    await until(
      async () => (await rounds(a, 'lo4')) >= 1,
      'a round to lo4 in the running store',
      a.stderr,
    );
    await assert.rejects(
      fetch(`http://127.0.0.1:${otherPort}/-/healthy`),
      'nothing listens on the new port',
    );
    assert.equal(existsSync(otherDb), false, 'the new store path was not opened');
    const m = await a.metrics();
    assert.equal(sample(m, 'hostops_config_reloads_total', { result: 'ok' }), 1);
    assert.equal(sample(m, 'hostops_config_reloads_total', { result: 'error' }), 0);
  } finally {
    await a.stop();
    t.cleanup();
  }
});
