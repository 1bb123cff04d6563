/**
 * Inner links bottom-up: each link's figures over its complete steps (a step where a customer
 * beneath has a gap is left out), then what the link passes up, min(demand, capacity), into its
 * parent's demand, so a parent is summed before it is read.
 */
import { type Episode, runs, hourProfile } from '../stats.js';
import { quantiles } from '../select.js';
import { qfunc, gaussianCapacity } from '../model.js';
import type { TierReport } from './types.js';
import { type Measure, DAY } from './measure.js';

export function sumTiers(m: Measure): void {
  const { t, ix, src, step, buf, scratch } = m;
  for (const i of ix.innerBottomUp) {
    const node = t.nodes[i];
    const d = m.demand.get(i)!,
      mi = m.missing.get(i)!;
    const C = node.capacity;
    const f = sweepTier(d, mi, C, t.busy * C, step, scratch);
    m.aggMean[i] = f.mean;
    m.aggVar[i] = f.variance;
    m.peakIdx[i] = f.pk;
    // episodes over capacity on complete steps (an incomplete step ends a run)
    const eps = runs(d, src.start, step, (v, k) => mi[k] === 0 && v > C);
    eps.sort((a, b) => b.duration - a.duration || a.start - b.start);
    const prof = hourProfile(maskedView(d, mi, buf), src.start, step);
    if (ix.parent[i] < 0 || m.opts.keep?.includes(node.id))
      m.kept[node.id] = Float64Array.from(buf);
    const op = operatingPoint(d, mi, C, step, scratch);
    m.tiers.set(i, tierReport(m, i, f, eps, busiestHours(prof), op));
    const p = ix.parent[i];
    if (p >= 0) m.childP95Sum[p] += passUp(d, mi, C, m.demand.get(p)!, m.missing.get(p)!, scratch);
  }
  for (const i of ix.innerBottomUp) {
    const r = m.tiers.get(i)!;
    r.multiplexingGain = r.p95 > 0 ? m.childP95Sum[i] / r.p95 : NaN;
  }
  for (const l of ix.leaves)
    if (m.withSeries[l])
      for (let a = ix.parent[l]; a >= 0; a = ix.parent[a]) m.tiers.get(a)!.customersWithSeries++;
}

/** One link's figures over its complete steps. */
interface TierFigures {
  /** Complete steps. */
  n: number;
  mean: number;
  variance: number;
  p95: number;
  max: number;
  /** Step of the peak, -1 when none. */
  pk: number;
  /** Steps over capacity and above the busy threshold; bits offered above capacity. */
  over: number;
  busy: number;
  unmet: number;
}

function sweepTier(
  d: Float64Array,
  mi: Int32Array,
  C: number,
  busyThr: number,
  step: number,
  scratch: Float64Array,
): TierFigures {
  const L = d.length;
  let n = 0,
    s = 0,
    max = -Infinity,
    pk = -1,
    over = 0,
    busy = 0,
    unmet = 0;
  let m = 0;
  for (let k = 0; k < L; k++) {
    if (mi[k]) continue;
    const v = d[k];
    n++;
    s += v;
    scratch[m++] = v;
    if (v > max) {
      max = v;
      pk = k;
    }
    if (v > C) {
      over++;
      unmet += (v - C) * step;
    }
    if (v > busyThr) busy++;
  }
  const mean = n ? s / n : NaN;
  let ss = 0;
  for (let k = 0; k < m; k++) {
    const dd = scratch[k] - mean;
    ss += dd * dd;
  }
  const variance = n > 1 ? ss / (n - 1) : 0;
  const [p95] = quantiles(scratch, m, [0.95]);
  return { n, mean, variance, p95, max, pk, over, busy, unmet };
}

/** Operating point: Gaussian fit of the work per hour-long window (scratch is overwritten). */
function operatingPoint(
  d: Float64Array,
  mi: Int32Array,
  C: number,
  step: number,
  scratch: Float64Array,
): TierReport['operatingPoint'] {
  const L = d.length;
  const block = Math.max(1, Math.round(3600 / step)),
    tw = block * step;
  let nb = 0,
    sw = 0;
  for (let k = 0; k + block <= L; k += block) {
    let w = 0,
      ok = true;
    for (let j = k; j < k + block; j++) {
      if (mi[j]) {
        ok = false;
        break;
      }
      w += d[j] * step;
    }
    if (ok) {
      scratch[nb++] = w;
      sw += w;
    }
  }
  if (nb > 2) {
    const mw = sw / nb;
    let vw = 0;
    for (let b = 0; b < nb; b++) vw += (scratch[b] - mw) ** 2;
    vw /= nb - 1;
    if (C * tw > mw && vw > 0) return { t: tw, s: (C * tw - mw) / vw };
  }
  return null;
}

/**
 * Adds what the link carries, min(demand, C), into the parent's demand (its gaps into the parent's
 * missing) and returns the p95 of what it carries (scratch is overwritten).
 */
function passUp(
  d: Float64Array,
  mi: Int32Array,
  C: number,
  pd: Float64Array,
  pm: Int32Array,
  scratch: Float64Array,
): number {
  const L = d.length;
  let mm = 0;
  for (let k = 0; k < L; k++) {
    if (mi[k]) pm[k] += mi[k];
    else {
      const v = d[k] > C ? C : d[k];
      pd[k] += v;
      scratch[mm++] = v;
    }
  }
  return quantiles(scratch, mm, [0.95])[0];
}

function tierReport(
  m: Measure,
  i: number,
  f: TierFigures,
  eps: Episode[],
  hours: TierReport['busiestHours'],
  op: TierReport['operatingPoint'],
): TierReport {
  const { t, ix, src, L, step } = m;
  const node = t.nodes[i];
  const C = node.capacity;
  const { n, mean, variance } = f;
  const days = (n * step) / DAY;
  const shareOver = n ? f.over / n : NaN;
  const shareBusy = n ? f.busy / n : NaN;
  const eps01 = t.epsilon;
  const varSum = m.varSum[i];
  return {
    id: node.id,
    kind: node.kind,
    capacity: C,
    customers: ix.leafCount[i],
    customersWithSeries: 0,
    steps: L,
    incompleteSteps: L - n,
    mean,
    p95: f.p95,
    max: n ? f.max : NaN,
    peakAt: f.pk >= 0 ? src.start + f.pk * step : null,
    utilisation: mean / C,
    over: {
      share: shareOver,
      minutesPerDay: shareOver * 1440,
      episodes: eps.length,
      episodesPerDay: days > 0 ? eps.length / days : NaN,
      meanDuration: eps.length ? eps.reduce((a, e) => a + e.duration, 0) / eps.length : 0,
      longest: eps.slice(0, 3),
    },
    busy: { threshold: t.busy, share: shareBusy, minutesPerDay: shareBusy * 1440 },
    unmetBytes: f.unmet / 8,
    busiestHours: hours,
    multiplexingGain: 0,
    gaussian: {
      pOver:
        n === 0 ? NaN : variance > 0 ? qfunc((C - mean) / Math.sqrt(variance)) : mean > C ? 1 : 0,
      pOverIndependent:
        n === 0 ? NaN : varSum > 0 ? qfunc((C - mean) / Math.sqrt(varSum)) : mean > C ? 1 : 0,
      capacityForEpsilon: gaussianCapacity(mean, variance, eps01),
      epsilon: eps01,
    },
    verdict:
      n === 0 ? 'no-data' : shareOver > 0.001 ? 'congested' : shareBusy > 0.01 ? 'busy' : 'ok',
    operatingPoint: op,
  };
}

/** The three hours of the day with the highest mean demand. */
function busiestHours(prof: Float64Array): TierReport['busiestHours'] {
  return [...prof]
    .map((v, h) => ({ hour: h, mean: v }))
    .filter((x) => Number.isFinite(x.mean))
    .sort((a, b) => b.mean - a.mean)
    .slice(0, 3);
}

/** A view where incomplete steps read as NaN (reuses out). */
function maskedView(d: Float64Array, mi: Int32Array, out: Float64Array): Float64Array {
  for (let k = 0; k < d.length; k++) out[k] = mi[k] ? NaN : d[k];
  return out;
}
