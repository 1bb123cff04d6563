import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

// nothing listens on 127.0.0.1 port 17 (QOTD), so the report has no responders at all
test('amp scan text: a scan with no responders says so instead of an empty "per protocol:" line', () => {
  const r = spawnSync(
    process.execPath,
    ['bin/hostops.js', 'amp', 'scan', '127.0.0.1', '-P', 'qotd', '--wait', '100'],
    { encoding: 'utf8', timeout: 30000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^per protocol: no responders$/m);
});
