import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { parseText } from '../../src/capacity/input/index.js';
import { contention, advise } from '../../src/capacity/index.js';
import { alignAll } from '../../src/capacity/series.js';
import { readYaml } from '../../src/capacity/validate.js';
import { FIX, tmp, run } from './helpers.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

test('a real Prometheus query_range answer (backfilled with promtool) feeds the contention analysis', async () => {
  const t = tmp();
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const step = 300,
      now = Math.floor(Date.now() / 1000);
    const start = Math.floor(now / step) * step - 6 * 3600;
    const lines = ['# TYPE vps_tx_bits gauge'];
    for (let k = 0; k < 48; k++) {
      for (let c = 1; c <= 4; c++) {
        // each VPS 200 Mbit/s, 300 Mbit/s during the second hour: 1.2 Gbit/s on a 1 Gbit/s uplink for 1 h
        const v = k >= 12 && k < 24 ? 300e6 : 200e6;
        lines.push(`vps_tx_bits{customer="vps-${c}"} ${v} ${start + k * step}`);
      }
    }
    lines.push('# EOF');
    writeFileSync(path.join(t.dir, 'in.om'), lines.join('\n') + '\n');
    run('promtool', [
      'tsdb',
      'create-blocks-from',
      'openmetrics',
      path.join(t.dir, 'in.om'),
      path.join(t.dir, 'data'),
    ]);
    writeFileSync(path.join(t.dir, 'p.yml'), 'global:\n  scrape_interval: 1h\n');
    const port = await freePort();
    child = spawn(
      'prometheus',
      [
        `--config.file=${path.join(t.dir, 'p.yml')}`,
        `--storage.tsdb.path=${path.join(t.dir, 'data')}`,
        '--storage.tsdb.retention.time=10y',
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const proc = child;
    const died = new Promise<never>((_, reject) =>
      proc.once('error', (e) =>
        reject(
          new Error(
            `prometheus did not start (Debian package prometheus, scripts/apt-packages.txt): ${e.message}`,
          ),
        ),
      ),
    );
    const base = `http://127.0.0.1:${port}`;
    const ready = (async () => {
      for (let i = 0; i < 100; i++) {
        try {
          if ((await fetch(`${base}/-/ready`)).ok) return;
        } catch {
          /* not up yet */
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error('prometheus not ready after 20 s');
    })();
    await Promise.race([ready, died]);
    const q = new URLSearchParams({
      query: 'vps_tx_bits',
      start: String(start),
      end: String(start + 47 * step),
      step: String(step),
    });
    const body = await (await fetch(`${base}/api/v1/query_range?${q}`)).text();
    const parsed = parseText(body, 'prometheus');
    assert.equal(parsed.format, 'prometheus');
    assert.equal(parsed.series.length, 4);
    const r = contention(readYaml(path.join(FIX, 'seed-host.yaml')), parsed.series);
    const h = r.tiers[0];
    assert.equal(h.over.episodes, 1);
    assert.equal(h.over.longest[0].duration, 3600);
    assert.equal(h.over.longest[0].start, start + 11 * step, 'a sample at T covers [T - step, T)');
    assert.ok(Math.abs(h.unmetBytes - (0.2e9 * 3600) / 8) < 1);
  } finally {
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    t.done();
  }
});

test('a query_range with a fractional start keeps the observed peaks (no blending onto whole seconds)', async () => {
  const t = tmp();
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const step = 60,
      now = Math.floor(Date.now() / 1000);
    const start = Math.floor(now / step) * step - 3 * 3600;
    const lines = ['# TYPE conns gauge'];
    // 20 most of the time, a single 60 s peak of 43 in the middle
    for (let k = 0; k < 120; k++)
      lines.push(`conns{customer="vps-1"} ${k === 60 ? 43 : 20 + (k % 7)} ${start + k * step}`);
    lines.push('# EOF');
    writeFileSync(path.join(t.dir, 'in.om'), lines.join('\n') + '\n');
    run('promtool', [
      'tsdb',
      'create-blocks-from',
      'openmetrics',
      path.join(t.dir, 'in.om'),
      path.join(t.dir, 'data'),
    ]);
    writeFileSync(path.join(t.dir, 'p.yml'), 'global:\n  scrape_interval: 1h\n');
    const port = await freePort();
    child = spawn(
      'prometheus',
      [
        `--config.file=${path.join(t.dir, 'p.yml')}`,
        `--storage.tsdb.path=${path.join(t.dir, 'data')}`,
        '--storage.tsdb.retention.time=10y',
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const proc = child;
    const died = new Promise<never>((_, reject) =>
      proc.once('error', (e) =>
        reject(
          new Error(
            `prometheus did not start (Debian package prometheus, scripts/apt-packages.txt): ${e.message}`,
          ),
        ),
      ),
    );
    const base = `http://127.0.0.1:${port}`;
    const ready = (async () => {
      for (let i = 0; i < 100; i++) {
        try {
          if ((await fetch(`${base}/-/ready`)).ok) return;
        } catch {
          /* not up yet */
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error('prometheus not ready after 20 s');
    })();
    await Promise.race([ready, died]);
    // a dashboard's "now - 3h" start carries milliseconds
    const q = new URLSearchParams({
      query: 'conns',
      start: String(start + 0.35),
      end: String(start + 119 * step + 0.35),
      step: String(step),
    });
    const body = await (await fetch(`${base}/api/v1/query_range?${q}`)).text();
    const doc = JSON.parse(body);
    const served: number[] = doc.data.result[0].values.map((v: [number, string]) => Number(v[1]));
    assert.ok(
      doc.data.result[0].values.every((v: [number, string]) => Math.abs((v[0] % 1) - 0.35) < 1e-6),
      'Prometheus answered at fractional timestamps',
    );
    assert.equal(Math.max(...served), 43);
    const parsed = parseText(body, 'prometheus');
    const al = alignAll(parsed.series);
    assert.equal(al.step, step);
    const got = Array.from(al.series[0].values).filter(Number.isFinite);
    assert.deepEqual(got, served, 'every served sample is one grid cell, unblended');
    const a = advise(parsed.series[0]);
    assert.equal(a.stats.max, 43);
  } finally {
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    t.done();
  }
});
