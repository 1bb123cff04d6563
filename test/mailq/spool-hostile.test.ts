// Issue 11 item 2: a -H that is a FIFO blocked a reader thread forever, one that is a symlink to
// /dev/zero (or a huge sparse file) was read into memory without end. Both readers (the addon's
// threads and the JS fallback) now open -H and -J files with O_NOFOLLOW|O_NONBLOCK, read regular
// files only and cap their size (MAX_SPOOL_FILE); the entry is listed as unreadable instead.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync, execFileSync } from 'node:child_process';
import { Spool, ROOT } from './helpers.js';
import { MAX_SPOOL_FILE } from '../../src/mailq/spool-chunk.js';

const sp = new Spool();
after(() => sp.destroy());

/** The CLI with a deadline: a hang is a failure, not a stuck test run. */
function list(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'bin/hostops.js'), 'mailq', 'list', '--spool', sp.dir, '--no-index', ...args],
    { encoding: 'latin1', env: { ...process.env, ...env }, timeout: 60_000, maxBuffer: 64 << 20 },
  );
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
}

test('FIFO, symlinked and oversized -H and -J files are listed as unreadable by both readers, without hanging', () => {
  const ids: string[] = [];
  for (let i = 0; i < 6; i++)
    ids.push(sp.inject(`s${i}@vm`, [`r${i}@example.org`], `Subject: m${i}\n`));
  const [fifo, zero, big, link, jfifo, ok] = ids;
  const paths = new Map(ids.map((id) => [id, sp.file(id, '-H')])); // before the files change
  const h = (id: string) => paths.get(id)!;
  fs.rmSync(h(fifo));
  execFileSync('mkfifo', [h(fifo)]);
  fs.rmSync(h(zero));
  fs.symlinkSync('/dev/zero', h(zero));
  fs.truncateSync(h(big), MAX_SPOOL_FILE + 1); // sparse: costs no disk
  const copy = h(link) + '.copy';
  fs.renameSync(h(link), copy);
  fs.symlinkSync(copy, h(link));
  // a journal that is a FIFO: the message is listed from its -H, the journal ignored
  execFileSync('mkfifo', [path.join(path.dirname(h(jfifo)), jfifo + '-J')]);

  const nat = list([]);
  const js = list([], { HOSTOPS_MAILQ_NATIVE: '0' });
  for (const r of [nat, js]) {
    assert.equal(r.signal, null, `hung or crashed: ${r.signal}\n${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
  }
  assert.equal(nat.stdout, js.stdout);
  const block = (id: string) => nat.stdout.split('\n\n').find((b) => b.includes(id)) ?? '';
  assert.match(block(fifo), /\*\*\* spool read error: Not a regular file \*\*\*/);
  assert.match(block(zero), /\*\*\* spool read error: Too many levels of symbolic links \*\*\*/);
  assert.match(block(big), /\*\*\* spool read error: File too large \*\*\*/);
  assert.match(block(link), /\*\*\* spool read error: Too many levels of symbolic links \*\*\*/);
  assert.match(block(jfifo), /<s4@vm>/);
  assert.match(block(ok), /<s5@vm>\n\s+r5@example\.org/);

  const json = list(['--json']);
  assert.equal(json.status, 0, json.stderr);
  assert.equal(json.stdout, list(['--json'], { HOSTOPS_MAILQ_NATIVE: '0' }).stdout);
});
