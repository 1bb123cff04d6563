/**
 * `--spool` naming something that is not a readable spool directory: a named error with the
 * path and a hint, exit 2 (a file: the argument is wrong) or 3 (missing, unreadable), never 70.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { hostops, ROOT } from './helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-spool-err-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'a-file');
fs.writeFileSync(file, 'not a spool\n');
const locked = path.join(dir, 'locked');
fs.mkdirSync(path.join(locked, 'input'), { recursive: true });
fs.chmodSync(locked, 0o700);
fs.chmodSync(dir, 0o755);

const COMMANDS = [
  ['list'],
  ['list', '-i'],
  ['list', '-c'],
  ['list', '-b'],
  ['list', '--json'],
  ['list', '-f', 'x'],
  ['count'],
  ['summary'],
  ['rm', '--all'],
];
/** The error as printed: text (message, hint, code lines) or, with --json, one JSON object. */
function errOf(stderr: string): { message: string; hint: string; code: string } {
  if (stderr.startsWith('{')) return JSON.parse(stderr).error;
  const m = /^hostops: (.*) \(\S+\)\n  hint: (.*)\n  code: (\S+)\n$/.exec(stderr);
  assert.ok(m, `not a named error: ${stderr}`);
  return { message: m[1], hint: m[2], code: m[3] };
}

const READERS: Record<string, string>[] = [
  {},
  { HOSTOPS_MAILQ_NATIVE: '0' },
  { HOSTOPS_MAILQ_INDEX: '0' },
];

test('--spool FILE: MAILQ_SPOOL_NOT_DIR, exit 2, names the path', () => {
  for (const env of READERS) {
    for (const c of COMMANDS) {
      const r = hostops(['mailq', ...c, '--spool', file], env);
      assert.equal(r.status, 2, `${c.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`);
      const e = errOf(r.stderr);
      assert.equal(e.message, `the spool path ${file} is not a directory`);
      assert.match(e.hint, /^pass --spool <dir>/);
      assert.equal(e.code, 'MAILQ_SPOOL_NOT_DIR');
    }
  }
});

test('--spool MISSING (and a path under a file): MAILQ_NO_SPOOL, exit 3', () => {
  for (const p of [path.join(dir, 'missing'), path.join(file, 'sub')]) {
    for (const env of READERS) {
      for (const c of COMMANDS) {
        const r = hostops(['mailq', ...c, '--spool', p], env);
        assert.equal(r.status, 3, `${c.join(' ')} ${p}: ${r.stderr}`);
        const e = errOf(r.stderr);
        assert.equal(e.message, `no Exim spool at ${p} (missing ${p}/input)`);
        assert.equal(e.code, 'MAILQ_NO_SPOOL');
      }
    }
  }
});

test('a spool directory this user cannot read: MAILQ_SPOOL_UNREADABLE, exit 3 (run as nobody)', () => {
  for (const env of READERS) {
    for (const c of COMMANDS.slice(0, 7)) {
      const r = spawnSync(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          'env',
          ...Object.entries({ ...env, HOSTOPS_CACHE_DIR: path.join(dir, 'cache') }).map(
            ([k, v]) => `${k}=${v}`,
          ),
          process.execPath,
          path.join(ROOT, 'bin/hostops.js'),
          'mailq',
          ...c,
          '--spool',
          locked,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 3, `${c.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`);
      const e = errOf(r.stderr);
      assert.equal(
        e.message,
        `cannot read the spool directory ${locked}/input: EACCES (permission denied)`,
      );
      assert.match(e.hint, /^run as root or as the exim user/);
      assert.equal(e.code, 'MAILQ_SPOOL_UNREADABLE');
    }
  }
});
