import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const rows = (args: string[]) => {
  const r = spawnSync(
    process.execPath,
    [
      'bin/hostops.js',
      'mtr',
      '-r',
      '-n',
      '-c',
      '1',
      '-i',
      '0.1',
      '--no-advice',
      ...args,
      '127.0.0.1',
    ],
    { encoding: 'utf8', timeout: 30000 },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => /^\s*\d+\.\|--/.test(l));
};

// mtr 0.95: `-f 29` probes from TTL 29 (we sent nothing past TTL 12 until some hop answered), and
// a first TTL above -m is clamped to it (`-f 5 -m 3` probes TTL 3; we printed an empty table)
test('mtr -f: a high first TTL is probed, and one above -m is clamped to it, as mtr does', () => {
  for (const [args, ttl] of [
    [['-f', '29'], 29],
    [['-f', '5', '-m', '3'], 3],
    [['-f', '50'], 30],
  ] as const) {
    const r = rows([...args]);
    assert.equal(r.length, 1, r.join('\n'));
    assert.match(
      r[0],
      new RegExp(`^\\s*${ttl}\\.\\|-- 127\\.0\\.0\\.1\\s+0\\.0%\\s+1\\s`),
      `${args.join(' ')}: ${r[0]}`,
    );
  }
});
