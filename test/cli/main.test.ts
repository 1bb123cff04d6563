import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/hostops.js', ...args], { encoding: 'utf8' });

test('hostops --help lists the command groups and exits 0', () => {
  const r = run('--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Usage: hostops/);
});

test('an unknown command is a usage error (exit 2)', () => {
  const r = run('no-such-command');
  assert.equal(r.status, 2);
});

test('mtr -j asks for JSON errors like --json (one JSON object on stderr, exit 2)', () => {
  const r = run('mtr', '-j', '-n', '300.1.1.1');
  assert.equal(r.status, 2);
  assert.equal(JSON.parse(r.stderr).error.code, 'NET_BAD_TARGET');
});

test('a group is loaded on its own and still reports unknown subcommands as usage errors', () => {
  const r = run('mailq', 'no-such-subcommand');
  assert.equal(r.status, 2);
});
