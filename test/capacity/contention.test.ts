import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  contention,
  buildTopology,
  nominal,
  binomialTail,
  type SeriesSource,
  type TopoNode,
} from '../../src/capacity/index.js';
import { readYaml } from '../../src/capacity/validate.js';
import { parseText } from '../../src/capacity/input/index.js';
import { fillOnOff, fillDiurnal } from '../../src/capacity/synth.js';
import { FIX, close } from './helpers.js';

const G = 1e9,
  M = 1e6;

/** A SeriesSource from a fill function per customer index. */
function source(
  ids: string[],
  L: number,
  step: number,
  fill: (i: number, out: Float64Array) => void,
  start = 1700006400,
): SeriesSource {
  return {
    start,
    step,
    length: L,
    read: (n: TopoNode, out: Float64Array) => {
      const i = ids.indexOf(n.id);
      if (i < 0) return false;
      fill(i, out);
      return true;
    },
  };
}

test('seed: 4 VPS x 1 Gbit/s behind a GigE host uplink is 4:1', () => {
  const t = buildTopology(readYaml(path.join(FIX, 'seed-host.yaml')));
  const [h] = nominal(t);
  assert.equal(h.id, 'host1');
  assert.equal(h.ratio, 4);
  assert.equal(h.endToEnd, 4);
  assert.equal(h.fairShare, 250 * M);
});

test('seed: a switch of 8, 16 or 24 hosts behind 1 Gbit/s fibre adds its own ratio', () => {
  for (const ports of [8, 16, 24]) {
    const t = buildTopology({
      switches: [{ id: 'sw', uplink: '1Gbit/s', ports, portSpeed: '1Gbit/s' }],
      hosts: [{ id: 'h', switch: 'sw', uplink: '1 Gbps', count: ports }],
      customers: [{ id: 'vps', host: 'h', port: 1e9, count: 4 }],
    });
    const rows = nominal(t);
    const sw = rows.find((r) => r.id === 'sw')!;
    assert.equal(sw.ratio, ports);
    assert.equal(sw.fullyPopulated, ports);
    assert.equal(sw.endToEnd, 4 * ports, 'end to end = host 4:1 x switch');
    assert.equal(rows.filter((r) => r.kind === 'host').length, ports);
    assert.ok(rows.filter((r) => r.kind === 'host').every((r) => r.ratio === 4));
    assert.equal(sw.customers, 4 * ports);
  }
  const t24 = buildTopology(readYaml(path.join(FIX, 'seed-switch.yaml')));
  assert.equal(nominal(t24)[0].endToEnd, 96);
});

test('topology errors name the field', () => {
  assert.throws(
    () => buildTopology({ customers: [{ id: 'a', port: 'fast' }] }),
    (e: any) => e.code === 'CAPACITY_BAD_UNIT' && /customers\[0\]/.test(e.message),
  );
  assert.throws(
    () => buildTopology({ hosts: [{ id: 'h', uplink: '1G', colour: 'red' }] }),
    (e: any) =>
      e.code === 'CAPACITY_BAD_CONFIG' && /hosts\[0\]/.test(e.message) && /colour/.test(e.message),
  );
  assert.throws(
    () => buildTopology({ customers: [{ id: 'a', host: 'nope', port: '1G' }] }),
    (e: any) => /customers\[0\]\.host/.test(e.message) && /nope/.test(e.message),
  );
  assert.throws(
    () => buildTopology({ customers: [{ id: 'a' }] }),
    (e: any) => /customers\[0\] needs a capacity/.test(e.message),
  );
});

test('measured: known over-capacity share, episodes, unmet volume and busiest hour', () => {
  const t = buildTopology(readYaml(path.join(FIX, 'seed-host.yaml')));
  const ids = ['vps-1', 'vps-2', 'vps-3', 'vps-4'];
  const step = 300,
    L = 288 * 3,
    start = 1700006400; // midnight UTC
  // each VPS sends 200 Mbit/s, and 300 Mbit/s from 20:00 to 21:00 UTC: 1.2 Gbit/s > 1 Gbit/s for 1 h a day
  const r = contention(
    t,
    source(
      ids,
      L,
      step,
      (_i, out) => {
        for (let k = 0; k < L; k++) {
          const h = ((start + k * step) % 86400) / 3600;
          out[k] = h >= 20 && h < 21 ? 300 * M : 200 * M;
        }
      },
      start,
    ),
  );
  const h = r.tiers[0];
  close(h.over.share, 1 / 24, 1e-12, 'share over');
  close(h.over.minutesPerDay, 60, 1e-9, 'minutes/day');
  assert.equal(h.over.episodes, 3);
  assert.equal(h.over.longest[0].duration, 3600);
  close(h.unmetBytes, (0.2 * G * 3600 * 3) / 8, 1, 'unmet bytes');
  assert.equal(h.busiestHours[0].hour, 20);
  assert.equal(h.verdict, 'congested');
  close(h.multiplexingGain, 1, 1e-9, 'identical customers gain nothing');
  for (const c of r.customers) {
    assert.equal(c.guaranteed, 250 * M);
    assert.equal(c.guaranteedFrom, 'fair-share');
    close(c.shareOfPeak, 0.25, 1e-9, 'share of peak');
    close(
      c.p95,
      200 * M,
      1e-6,
      'p95: 1 h a day is 4.2% of the samples, inside the free 5% of 95th-percentile billing',
    );
    close(c.available.p50, 400 * M, 1e-6, 'likely available when neighbours send 600 Mbit/s');
    close(c.available.busyHourP5, 250 * M, 1e-6, 'floored at the fair share in the busy hour');
    assert.equal(c.whenCongested!.steps, 36, '3 days x 12 congested steps');
    assert.equal(
      c.whenCongested!.aboveGuarantee,
      1,
      'each sends 300 > 250 Mbit/s while the link is full',
    );
    close(
      c.whenCongested!.bytesAboveGuarantee,
      (50 * M * 3600 * 3) / 8,
      1,
      'volume above the guarantee',
    );
  }
});

test('closed form vs replay: independent on-off customers match the exact binomial', () => {
  const N = 20,
    p = 0.1,
    peak = 100 * M,
    C = 400 * M; // overflow when 5 or more are on
  const t = buildTopology({
    hosts: [{ id: 'h', uplink: C }],
    customers: [{ id: 'c', host: 'h', port: '1Gbit/s', count: N, peak, mean: p * peak }],
  });
  const ids = Array.from({ length: N }, (_, i) => `c-${i + 1}`);
  const L = 8640 * 2; // 60 days of 5-min samples
  const r = contention(
    t,
    source(ids, L, 300, (i, out) => fillOnOff(out, p, peak, 1000 + i)),
  );
  const exact = binomialTail(N, p, 5);
  close(exact, 0.0432, 5e-4, 'P(K>=5), Binomial(20, 0.1)');
  const m = r.model.find((x) => x.id === 'h')!;
  assert.equal(m.method, 'exact-binomial');
  close(m.pOver, exact, 1e-12, 'model = binomial');
  // replay: standard error sqrt(p(1-p)/L) ~ 0.0015
  close(r.tiers[0].over.share, exact, 0.006, 'replay vs exact');
  // Gaussian with independent σ is a poor fit at this N (skewed sum); stated in the notes
  assert.ok(m.notes.some((n) => /Gaussian is poor/.test(n)));
  assert.ok(Math.abs(m.gaussian - exact) > 0.005);
  assert.ok(m.chernoff >= exact, 'Chernoff is an upper bound');
});

test('correlated customers: the measured σ sees what independence hides', () => {
  const N = 10,
    ids = Array.from({ length: N }, (_, i) => `c-${i + 1}`);
  const t = buildTopology({
    hosts: [{ id: 'h', uplink: '1Gbit/s' }],
    customers: [{ id: 'c', host: 'h', port: '1Gbit/s', count: N }],
  });
  const L = 288 * 14;
  // same diurnal phase for all: the peaks add up
  const r = contention(
    t,
    source(ids, L, 300, (i, out) =>
      fillDiurnal(out, {
        start: 1700006400,
        step: 300,
        mean: 70 * M,
        amp: 0.6,
        cv: 0.1,
        seed: i + 1,
      }),
    ),
  );
  const h = r.tiers[0];
  assert.ok(h.over.share > 0.05, 'shared evening peak overflows');
  assert.ok(h.gaussian.pOverIndependent < h.over.share / 5, 'independence underestimates it badly');
  assert.ok(
    h.gaussian.pOver > 3 * h.gaussian.pOverIndependent,
    'the measured σ (correlation included) gives a far larger tail',
  );
  assert.ok(r.customers.every((c) => c.dailyAutocorr > 0.5));
});

test('spiky vs even customers, and variance shares summing to 1', () => {
  const ids = ['even', 'spiky'];
  const t = buildTopology({
    hosts: [{ id: 'h', uplink: '1Gbit/s' }],
    customers: [
      { id: 'even', host: 'h', port: '1Gbit/s' },
      { id: 'spiky', host: 'h', port: '1Gbit/s' },
    ],
  });
  const r = contention(
    t,
    source(ids, 288 * 7, 300, (i, out) =>
      i === 0
        ? fillDiurnal(out, {
            start: 1700006400,
            step: 300,
            mean: 100 * M,
            amp: 0.1,
            cv: 0.1,
            seed: 7,
          })
        : fillDiurnal(out, {
            start: 1700006400,
            step: 300,
            mean: 20 * M,
            amp: 0,
            cv: 0.3,
            seed: 8,
            burstP: 0.03,
            burstX: 30,
          }),
    ),
  );
  const even = r.customers.find((c) => c.id === 'even')!,
    spiky = r.customers.find((c) => c.id === 'spiky')!;
  assert.equal(even.shape, 'even');
  assert.equal(spiky.shape, 'spiky');
  assert.ok(spiky.peakToMean > 5 && spiky.cv > 1);
  close(even.varianceShare + spiky.varianceShare, 1, 1e-6, 'Shapley variance shares');
  assert.ok(r.tiers[0].operatingPoint && r.tiers[0].operatingPoint.t === 3600);
  for (const c of [even, spiky])
    assert.ok(
      c.effectiveBandwidth >= c.mean * 0.999 && c.effectiveBandwidth <= c.max,
      `${c.id}: mean <= effective bandwidth <= peak`,
    );
  assert.ok(
    spiky.effectiveBandwidth / spiky.mean > even.effectiveBandwidth / even.mean,
    'the spiky one costs more than its mean',
  );
});

test('gaps are left out and stated, never read as zero', () => {
  const t = buildTopology(readYaml(path.join(FIX, 'seed-host.yaml')));
  const ids = ['vps-1', 'vps-2', 'vps-3', 'vps-4'];
  const r = contention(
    t,
    source(ids, 100, 300, (i, out) => {
      out.fill(300 * M);
      if (i === 2) out.fill(NaN, 10, 20);
    }),
  );
  const h = r.tiers[0];
  assert.equal(h.incompleteSteps, 10);
  assert.equal(h.over.share, 1, 'every complete step is over; the gap did not make it look under');
  assert.ok(r.notes.some((n) => /left out/.test(n)));
  assert.equal(r.customers.find((c) => c.id === 'vps-3')!.gaps, 10);
});

test('clipping: a customer is capped at its port, a host at its uplink before the switch', () => {
  const t = buildTopology({
    switches: [{ id: 'sw', uplink: '1G' }],
    hosts: [{ id: 'h', switch: 'sw', uplink: '1G', count: 2 }],
    customers: [{ id: 'c', host: 'h', port: '1G', count: 2 }],
  });
  const ids = t.nodes.filter((n) => n.kind === 'customer').map((n) => n.id);
  const r = contention(
    t,
    source(ids, 10, 300, (_i, out) => out.fill(3 * G)),
  );
  const h1 = r.tiers.find((x) => x.id === 'h-1')!,
    sw = r.tiers.find((x) => x.id === 'sw')!;
  assert.equal(h1.mean, 2 * G, 'two customers clipped at 1G each');
  assert.equal(sw.mean, 2 * G, 'two hosts clipped at 1G each');
});

test('library API with parsed CSV: B/s series, names matched to customers', () => {
  const rows = ['timestamp,series,value'];
  for (let k = 1; k <= 24; k++)
    for (const c of ['vps-1', 'vps-2', 'vps-3', 'vps-4'])
      rows.push(`${1700000000 + 300 * k},${c},${50e6}`);
  const parsed = parseText(rows.join('\n'), 'in.csv').series.map((s) => ({
    ...s,
    unit: 'B/s' as const,
  }));
  const r = contention(readYaml(path.join(FIX, 'seed-host.yaml')), parsed);
  assert.equal(r.mode, 'measured');
  close(r.tiers[0].mean, 4 * 50e6 * 8, 1e-3, 'B/s x 8');
  assert.equal(r.tiers[0].verdict, 'congested');
  assert.deepEqual(r.unmatched, []);
});

test('model without series: on-off customers, exact where feasible, caveats stated', () => {
  const r = contention({
    hosts: [{ id: 'h', uplink: '1G' }],
    customers: [{ id: 'v', host: 'h', port: '1G', count: 4, duty: 0.1 }],
  });
  assert.equal(r.mode, 'model');
  const m = r.model[0];
  assert.equal(m.method, 'exact-binomial');
  close(
    m.pOver,
    1 - 0.9 ** 4 - 4 * 0.1 * 0.9 ** 3,
    1e-12,
    'two or more of four 1G sources on a 1G link',
  );
  assert.ok(
    m.notes.some((n) => /halves/.test(n)),
    'a single source can fill the link',
  );
  const a = r.customers[0].modelAvailable!;
  close(a.pFullPeak, 0.9 ** 3, 1e-12, 'full 1G only when the other three are idle');
  // E[min(1G, 1G/(K'+1))], K' ~ Bin(3, 0.1)
  const b = [0.729, 0.243, 0.027, 0.001];
  close(
    a.expectedWhenActive,
    b.reduce((s, p, k) => s + (p * 1e9) / (k + 1), 0),
    1,
    'max-min fair share when active',
  );
});
