// A failed write of a command's output (here ENOSPC from /dev/full) is OUTPUT_WRITE_FAILED, exit 3,
// with no stack trace, in every command group: not only mailq (which had its own handler).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const FIX = path.join(ROOT, 'test', 'fixtures', 'capacity');

function intoDevFull(args: string[]) {
  const fd = openSync('/dev/full', 'w');
  try {
    return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'hostops.js'), ...args], {
      stdio: ['ignore', fd, 'pipe'],
      encoding: 'utf8',
      timeout: 60_000,
    });
  } finally {
    closeSync(fd);
  }
}

for (const args of [
  ['ping', '-c', '1', '-i', '0.2', '127.0.0.1'],
  ['capacity', 'contention', path.join(FIX, 'seed-switch.yaml'), '--json'],
  ['ntp', 'audit', '--help'],
]) {
  test(`hostops ${args.slice(0, 2).join(' ')} > /dev/full: OUTPUT_WRITE_FAILED, exit 3, no stack`, () => {
    const r = intoDevFull(args);
    assert.equal(r.status, 3, `exit ${r.status}, stderr: ${r.stderr}`);
    assert.match(r.stderr, /cannot write the output to \/dev\/full: ENOSPC/);
    assert.match(r.stderr, /OUTPUT_WRITE_FAILED/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
}
