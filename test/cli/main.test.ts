import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const run = (...args: string[]) => spawnSync(process.execPath, ['bin/hostops.js', ...args], { encoding: 'utf8' });

test('hostops --help lists the command groups and exits 0', () => {
  const r = run('--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Usage: hostops/);
});

test('an unknown command is a usage error (exit 2)', () => {
  const r = run('no-such-command');
  assert.equal(r.status, 2);
});
