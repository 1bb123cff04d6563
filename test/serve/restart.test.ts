import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, tempDir } from './helpers.js';

const BIN = path.resolve('bin/hostops.js');

function start(cfg: string): ChildProcess {
  const p = spawn(process.execPath, [BIN, 'serve', '-c', cfg], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  p.stderr!.on('data', () => {});
  return p;
}

async function until<T>(
  f: () => Promise<T | null | undefined | false>,
  what: string,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

test('hostops serve killed with -9 keeps its measurements and resumes its schedule on restart', async () => {
  const t = tempDir('hostops-restart-');
  const [port, iperfPort] = [await freePort(), await freePort()];
  const cfg = path.join(t.dir, 'hostops.yaml');
  writeFileSync(
    cfg,
    [
      'site: r',
      `listen: { host: 127.0.0.1, port: ${port} }`,
      `store: { path: ${path.join(t.dir, 'h.db')} }`,
      'defaults: { gateway: false }',
      'ping: { interval: 1s, count: 3 }',
      'path: { enabled: false }',
      'mailq: { enabled: false }',
      'ntp: { enabled: false }',
      'amp: { enabled: false }',
      `iperf: { server: true, host: 127.0.0.1, port: ${iperfPort}, peers: [{ name: self, host: 127.0.0.1, port: ${iperfPort}, duration: 1s, interval: 1h }] }`,
    ].join('\n') + '\n',
  );
  const base = `http://127.0.0.1:${port}`;
  const get = async (p: string) => (await fetch(base + p)).json() as Promise<any>;
  let proc = start(cfg);
  try {
    await until(async () => (await get('/api/throughput')).length === 1, 'the first iperf3 test');
    const before = await until(async () => {
      const h = await get(`/api/history?target=localhost&site=r&resolution=raw`);
      return h.ts.length >= 3 && h;
    }, 'three ping rounds');
    const iperfRun = (await get('/api/status')).jobs.find((j: any) => j.job === 'iperf:self');
    // times are epoch seconds; an hourly job's next run is jittered but never a quick retry
    assert.ok(
      iperfRun.lastRun && iperfRun.nextRun - iperfRun.lastRun > 600,
      `iperf job state: ${JSON.stringify(iperfRun)}; throughput: ${JSON.stringify(await get('/api/throughput'))}`,
    );
    proc.kill('SIGKILL');
    await once(proc, 'exit');
    proc = start(cfg);
    const after = await until(async () => {
      const h = await get(`/api/history?target=localhost&site=r&resolution=raw`);
      return h.ts.length > before.ts.length + 2 && h;
    }, 'new rounds after the restart');
    for (const ts of before.ts)
      assert.ok(after.ts.includes(ts), `round ${ts} seen before kill -9 is still stored`);
    const st = await get('/api/status');
    const iperf = st.jobs.find((j: any) => j.job === 'iperf:self');
    assert.equal(iperf.lastRun, iperfRun.lastRun, 'the hourly iperf3 test did not run again');
    assert.equal(iperf.nextRun, iperfRun.nextRun, 'and keeps its planned time');
    assert.equal((await get('/api/throughput')).length, 1);
  } finally {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    }
    t.cleanup();
  }
});
