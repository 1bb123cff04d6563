import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

// iputils sends no probe at the -w deadline itself: -w 1 -i 0.2 is 5 probes (t = 0 .. 0.8 s), not 6
test('-w: no probe is sent at the deadline, as iputils', () => {
  for (let k = 0; k < 3; k++) {
    const r = spawnSync(
      process.execPath,
      ['bin/hostops.js', 'ping', '-i', '0.2', '-w', '1', '--json', '127.0.0.1'],
      { encoding: 'utf8', timeout: 20000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.ok(s.transmitted <= 5 && s.transmitted >= 3, `transmitted ${s.transmitted}`);
  }
});
