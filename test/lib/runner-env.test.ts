// scripts/run-tests.mjs gives every run a fresh cache directory (the mail queue index lives
// there); an HOSTOPS_CACHE_DIR exported in the caller's shell must not replace it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

test('the test run uses its own fresh cache directory, whatever the caller exported', () => {
  const dir = process.env.HOSTOPS_CACHE_DIR ?? '';
  assert.equal(path.dirname(dir), os.tmpdir(), `HOSTOPS_CACHE_DIR=${dir}`);
  assert.match(path.basename(dir), /^hostops-test-cache-/);
  assert.ok(existsSync(dir));
});
