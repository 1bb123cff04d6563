import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import path from 'node:path';
import { Spool, hostops, ROOT } from './helpers.js';

const sp = new Spool();
after(() => sp.destroy());
sp.inject('a@example.com', ['x@example.org'], 'Subject: one\n');

test('watch without a TTY prints NDJSON snapshots with the growth rate', () => {
  sp.inject('b@example.com', ['y@example.org'], 'Subject: two\n');
  const r = hostops([
    'mailq',
    'watch',
    '--spool',
    sp.dir,
    '--iterations',
    '2',
    '--interval',
    '0.2',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const snaps = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(snaps.length, 2);
  assert.equal(snaps[0].messages, 2);
  assert.equal(snaps[0].growthPerMin, null);
  assert.equal(snaps[1].growthPerMin, 0);
  assert.equal(snaps[0].topSenders.length, 2);
});

test('watch on a TTY draws the view and quits on q', async () => {
  execFileSync('which', ['script']); // util-linux script gives the command a pty
  const p = spawn(
    'script',
    [
      '-qec',
      `${process.execPath} ${path.join(ROOT, 'bin/hostops.js')} mailq watch --spool ${sp.dir} --interval 0.2`,
      '/dev/null',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString('latin1');
  });
  const timer = setTimeout(() => p.kill('SIGKILL'), 15000);
  await new Promise((r) => setTimeout(r, 1500));
  p.stdin.write('q');
  const code = await new Promise<number | null>((resolve) => p.on('exit', resolve));
  clearTimeout(timer);
  assert.equal(code, 0);
  assert.match(out, /hostops mailq watch/);
  assert.match(out, /messages 2 /);
  assert.match(out, /top senders/);
});
