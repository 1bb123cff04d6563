import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { FIX } from './helpers.js';

const hostops = (args: string[]) =>
  spawnSync(process.execPath, ['bin/hostops.js', ...args], { encoding: 'utf8', timeout: 60000 });

// These used to be read with Number() and used as they came: NaN or negative values went into the figures.
test('numeric options out of range are usage errors naming the option (exit 2), not silent NaN', () => {
  const mrtg = path.join(FIX, 'sample.mrtg.log');
  const cases: [string[], RegExp][] = [
    [
      ['capacity', 'advise', mrtg, '--headroom', '-1'],
      /--headroom must be a number 0\.\.10, got "-1"/,
    ],
    [['capacity', 'advise', mrtg, '--headroom', 'abc'], /--headroom must be a number/],
    [['capacity', 'advise', mrtg, '--step', '0'], /--step must be above 0/],
    [
      ['capacity', 'advise', mrtg, '--max-rate', 'fast'],
      /--max-rate must be a number above 0, got "fast"/,
    ],
    [
      ['capacity', 'contention', path.join(FIX, 'seed-host.yaml'), '--top', '0'],
      /--top must be an integer 1\.\.1000000/,
    ],
  ];
  for (const [args, msg] of cases) {
    const r = hostops(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.match(r.stderr, /code: BAD_OPTION/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.equal(hostops(['capacity', 'advise', mrtg, '--headroom', '0.5']).status, 0);
});

test('help says that --traffic and --usage swallow the arguments after them (commander then reports the topology missing)', () => {
  assert.match(
    hostops(['capacity', 'contention', '--help']).stdout.replace(/\s+/g, ' '),
    /--traffic <files\.\.\.>.*so give TOPOLOGY first/,
  );
  assert.match(
    hostops(['capacity', 'memory', '--help']).stdout.replace(/\s+/g, ' '),
    /--usage <files\.\.\.>.*so give HOST first/,
  );
});
