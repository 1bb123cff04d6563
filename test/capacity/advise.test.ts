import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advise, buildPrices, type Series } from '../../src/capacity/index.js';
import { readYaml } from '../../src/capacity/validate.js';
import { rng, fillDiurnal } from '../../src/capacity/synth.js';

const prices = () => buildPrices(readYaml('docs/capacity-prices.example.yaml'), 'example');
const start = 1700006400,
  step = 300,
  L = 288 * 28;
const series = (name: string, values: Float64Array): Series => ({
  name,
  unit: 'unknown',
  start,
  step,
  values,
});

test('seed: usage that varies by 25% only -> dedicated or VPS, not cloud', () => {
  const v = new Float64Array(L);
  // 8 vCPU on average, +-12.5% daily swing (25% peak to trough), a little noise
  fillDiurnal(v, { start, step, mean: 8, amp: 0.125, cv: 0.02, seed: 3 });
  const [a] = advise([series('steady', v)], prices());
  assert.ok(a.stats.peakToMean < 1.2);
  assert.notEqual(a.seasonality.pattern, 'irregular');
  assert.ok(['vps', 'dedicated'].includes(a.recommendation.kind), `got ${a.recommendation.kind}`);
  assert.ok(
    a.options.some((o) => o.kind === 'cloud'),
    'cloud cost still shown',
  );
  assert.ok(a.recommendation.reasons.some((r) => /utility premium/.test(r)));
  assert.ok(
    a.priceTableIsExample && a.notes.some((n) => /EXAMPLE/.test(n)),
    'example table is flagged',
  );
});

test('usage that varies a lot and irregularly -> cloud (or hybrid cloud burst)', () => {
  const v = new Float64Array(L);
  const r = rng(9);
  for (let k = 0; k < L; k++) v[k] = r() < 0.01 ? 30 + 20 * r() : 0.5 + 0.2 * r();
  const [a] = advise([series('bursty', v)], prices());
  assert.equal(a.seasonality.pattern, 'irregular');
  assert.ok(a.stats.peakToMean > a.utilityPremium!, 'peak/mean above the utility premium');
  assert.ok(['cloud', 'hybrid'].includes(a.recommendation.kind), `got ${a.recommendation.kind}`);
});

test('variable but regular usage is predictable: owned capacity unless cloud is clearly cheaper', () => {
  const v = new Float64Array(L);
  fillDiurnal(v, { start, step, mean: 4, amp: 0.9, cv: 0.1, seed: 5 });
  const [a] = advise([series('diurnal', v)], prices());
  assert.equal(a.seasonality.pattern, 'regular');
  assert.ok(a.seasonality.dailyAutocorr > 0.8);
  assert.ok(a.seasonality.dailyStrength > 0.8);
  assert.ok(a.expectedPeak.sizing >= a.stats.p99);
});

test('without a price table: verdict from the shape only, said so', () => {
  const v = new Float64Array(L).fill(2);
  const a = advise(series('flat', v)); // one series in, one Advice out (API.md)
  assert.equal(a.recommendation.kind, 'vps-or-dedicated');
  assert.ok(a.recommendation.reasons.some((r) => /no price table/.test(r)));
});

test('price table errors name the field', () => {
  assert.throws(
    () => buildPrices({ vps: [{ name: 'x', units: -1, monthly: 3 }] }, 'p.yaml'),
    (e: any) => /vps\[0\]\.units/.test(e.message),
  );
});
