import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advise, buildPrices, type Series } from '../../src/capacity/index.js';
import { parseText } from '../../src/capacity/input/index.js';
import { readYaml } from '../../src/capacity/validate.js';
import { HostopsError } from '../../src/lib/errors.js';

test('CSV: negative and overflowing values are named problems, not data', () => {
  const r = parseText(
    'timestamp,series,value\n1700000000,a,1\n1700000300,a,-5\n1700000600,a,1e400\n1700000900,a,2\n',
    'n.csv',
  );
  assert.deepEqual([...r.series[0].values], [1, 2]);
  assert.deepEqual(
    r.problems.map((p) => p.where),
    ['n.csv:3', 'n.csv:4'],
  );
  assert.match(r.problems[0].message, /-5 is negative/);
  assert.match(r.problems[1].message, /"1e400" is not a number/);
  const w = parseText('time,x,y\n1700000000,1,-2\n', 'w.csv');
  assert.match(w.problems[0].message, /column y: value -2 is negative/);
});

test('advise gives no recommendation from a handful of samples (CV of one point was NaN, verdict made up)', () => {
  const prices = buildPrices(readYaml('docs/capacity-prices.example.yaml'), 'example');
  const s = (values: number[]): Series => ({
    name: 's',
    unit: 'unknown',
    start: 1700006400,
    step: 300,
    values: Float64Array.from(values),
  });
  for (const p of [undefined, prices]) {
    const [a] = advise([s([1, NaN, 3])], p);
    assert.equal(a.recommendation.kind, 'unknown');
    assert.match(
      a.recommendation.reasons.join('\n'),
      /too little data: 2 usable samples \(1 gaps\)/,
    );
    assert.ok(!a.recommendation.reasons.join('\n').includes('NaN'));
  }
  const [ok] = advise([s(Array.from({ length: 48 }, (_, i) => 4 + (i % 3)))], prices);
  assert.notEqual(ok.recommendation.kind, 'unknown');
});

test('one stray far-future timestamp is a named error, not a grid of gigabytes', () => {
  const rows = Array.from({ length: 20 }, (_, k) => `${1700006400 + (k + 1) * 300},a,${k}`);
  const r = parseText(['timestamp,series,value', ...rows, '9000000000,a,5'].join('\n'), 'far.csv');
  assert.throws(
    () => advise(r.series, undefined),
    (e: unknown) =>
      e instanceof HostopsError &&
      e.code === 'CAPACITY_SPAN_TOO_LONG' &&
      e.exitCode === 2 &&
      e.where === 'far.csv' &&
      /a spans 2023-11-15T00:00:00\.000Z \.\. 2255-/.test(e.message),
  );
});

test('a file whose every value is a gap or unreadable is CAPACITY_EMPTY_INPUT, not an analysis of nothing', () => {
  assert.throws(
    () => parseText('timestamp,value\n1700000000,\n1700000300,nan\n', 'gaps.csv'),
    (e: unknown) =>
      e instanceof HostopsError && e.code === 'CAPACITY_EMPTY_INPUT' && e.where === 'gaps.csv',
  );
  const junk = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 131 + 7) % 256)).toString(
    'latin1',
  );
  assert.throws(
    () => parseText(`${junk}\n1700000000,${junk}\n`, 'junk.bin'),
    (e: unknown) => e instanceof HostopsError && e.code === 'CAPACITY_EMPTY_INPUT',
  );
});
