import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
/** Running (a zombie waiting for its reaper counts as gone: it has already exited). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** Start the fixture, wait for its resources, signal it, return what it made and its exit. */
async function signalled(sig: 'SIGTERM' | 'SIGINT', withPg: boolean) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(here, 'fixtures', 'cleanup-child.ts'), ...(withPg ? ['pg'] : [])],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  let out = '';
  for await (const d of child.stdout) {
    out += String(d);
    if (out.includes('\n')) break;
  }
  const made = JSON.parse(out) as { ns: string; dir: string | null; port: number | null };
  assert.match(namespaces(), new RegExp(`^${made.ns}\\b`, 'm'), 'the namespace exists');
  let postmaster = 0;
  if (withPg) {
    // first line of postmaster.pid is the server's pid
    postmaster = Number(
      readFileSync(path.join(made.dir!, 'data', 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    assert.ok(alive(postmaster), 'PostgreSQL runs');
  }
  child.kill(sig);
  const [code, signal] = await exited;
  return { made, code, signal, postmaster };
}

test('a test killed by SIGTERM removes its namespace and stops and removes its PostgreSQL', async () => {
  const r = await signalled('SIGTERM', true);
  assert.deepEqual([r.code, r.signal], [143, null], 'cleaned up, then exited as SIGTERM would');
  assert.doesNotMatch(namespaces(), new RegExp(`^${r.made.ns}\\b`, 'm'), 'namespace gone');
  assert.equal(existsSync(r.made.dir!), false, 'cluster directory gone');
  assert.equal(alive(r.postmaster), false, 'postmaster gone');
});

test('SIGINT (Ctrl-C) cleans up the same way', async () => {
  const r = await signalled('SIGINT', false);
  assert.deepEqual([r.code, r.signal], [130, null]);
  assert.doesNotMatch(namespaces(), new RegExp(`^${r.made.ns}\\b`, 'm'), 'namespace gone');
});
