/** The library API that `hostops serve` calls: pingMany over one socket, trace, mtr, live TUI. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ping, pingMany, pingStream, trace, mtr } from '../../src/net/index.js';
import { hostops, requireTool } from './helpers.js';

test('pingMany probes 300 loopback targets at once, staggered, every reply matched to its target', async () => {
  const targets = Array.from(
    { length: 300 },
    (_, i) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`,
  );
  const res = await pingMany(targets, { count: 3, intervalMs: 200, timeoutMs: 500 });
  assert.equal(res.length, 300);
  for (const [i, s] of res.entries()) {
    assert.equal(s.target, targets[i]);
    assert.equal(s.transmitted, 3);
    assert.equal(s.received, 3, s.target);
    assert.ok(s.rtts.every((x) => x !== null && x > 0 && x < 0.5));
    assert.ok(s.min! <= s.avg! && s.avg! <= s.max! && s.mdev! >= 0);
  }
});

test('ping, trace and mtr return data in seconds; a signal stops a run', async () => {
  {
    const p = await ping('::1', { count: 2, intervalMs: 20 });
    assert.equal(p.received, 2);
    assert.equal(p.lossRatio, 0);
    const tr = await trace('127.0.0.1', { protocol: 'icmp', timeoutMs: 500 });
    assert.equal(tr.hops.length, 1);
    assert.equal(tr.hops[0].probes[0].address, '127.0.0.1');
    const m = await mtr('127.0.0.1', { cycles: 3, intervalMs: 50 });
    assert.equal(m.hops[0].sent, 3);
    assert.deepEqual(m.hops[0].hosts, ['127.0.0.1']);
    assert.ok(m.advice.length >= 1);
    const mixed = await pingMany(['127.0.0.1', 'not a host!', '::1'], { count: 1, intervalMs: 10 });
    assert.deepEqual(
      mixed.map((x) => x.received),
      [1, 0, 1],
    );
    assert.match(mixed[1].error!, /not a hostname or IP address/);
    const kinds: string[] = [];
    for await (const e of pingStream(['127.0.0.1', '127.0.0.2'], { count: 2, intervalMs: 20 }))
      kinds.push(e.type);
    assert.deepEqual(kinds.filter((k) => k === 'reply').length, 4);
    assert.equal(kinds[kinds.length - 1], 'done');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    const aborted = await ping('127.0.0.1', { count: 100, intervalMs: 50, signal: ac.signal });
    assert.ok(aborted.transmitted < 10);
  }
});

test('the full-screen mtr view runs under a terminal and obeys d, h, r, p, space and q', async () => {
  requireTool('script');
  const child = spawn(
    'script',
    [
      '-qfc',
      `stty cols 100 rows 30; ${process.execPath} ${hostops} mtr -n -i 0.05 127.0.0.1`,
      '/dev/null',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  // keys only once the screen is up (node may start slowly when CI runs everything at once)
  for (let i = 0; i < 200 && !out.includes('My traceroute'); i++)
    await new Promise((r) => setTimeout(r, 50));
  const keys = ['d', 'd', 'h', 'x', 'r', 'p', ' ', 'q'];
  for (const k of keys) {
    await new Promise((r) => setTimeout(r, 250));
    child.stdin.write(k);
  }
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code, 0);
  assert.match(out, /My traceroute/);
  assert.match(out, /Scale:/);
  assert.match(out, /reset all counters/);
  assert.match(out, /\(paused\)/);
  assert.match(out, /HOST: \S+ +Loss%/); // the last table stays on the normal screen
});
