/**
 * The three percentile definitions (src/lib/percentile.ts) and which call site uses which: the
 * figures below are what each produced before they were moved to one file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpolated, middle, nearestRank } from '../../src/lib/percentile.js';
import { quantiles, median } from '../../src/store/index.js';
import { rank } from '../../src/capacity/stats.js';
import { quantiles as select } from '../../src/capacity/select.js';

const xs = [1, 2, 3, 4, 10];

test('interpolated, nearest-rank and middle differ as documented', () => {
  assert.equal(interpolated(xs, 0.9), 7.6000000000000005); // 4 + 6 * 0.6 in binary floating point
  assert.equal(nearestRank(xs, 0.9), 10);
  assert.equal(interpolated([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(nearestRank([1, 2, 3, 4], 0.5), 2);
  assert.equal(middle([1, 2, 3, 4]), 2.5);
  assert.equal(middle(xs), 3);
  assert.ok(Number.isNaN(nearestRank([], 0.5)) && Number.isNaN(middle([])));
});

test('store interpolates; capacity takes the nearest rank, sorted or by quickselect', () => {
  assert.deepEqual(quantiles(xs), {
    min: 1,
    p10: 1.4,
    p25: 2,
    median: 3,
    p75: 4,
    p90: 7.6000000000000005,
    max: 10,
  });
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(rank(Float64Array.from(xs), 0.9), 10);
  assert.deepEqual(select(Float64Array.from([10, 3, 1, 4, 2]), 5, [0.5, 0.9]), [3, 10]);
});
