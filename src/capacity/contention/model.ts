/**
 * Contention without (or beside) measured series: customers as independent on-off sources with the
 * mean/peak (or duty) the topology states. Exact binomial when the sources are identical, exact
 * convolution on a grid up to 2,000 sources, Gaussian beyond; Gaussian and Chernoff always alongside.
 */
import { type Topology, type TopoNode, indexTopology } from '../topology.js';
import { nominal } from './nominal.js';
import {
  qfunc,
  binomialTail,
  convolve,
  tailOf,
  chernoff,
  onOff,
  meanVar,
  type Discrete,
  gaussianExcess,
} from '../model.js';
import type { ContentionReport, CustomerReport, ModelTier, ModelAvailability } from './types.js';
import { guarantee } from './guarantee.js';

/** On-off model per inner node from customers' mean/peak (peak defaults to the port). */
export function modelTiers(t: Topology, ix = indexTopology(t)): ModelTier[] {
  const out: ModelTier[] = [];
  for (const i of [...t.nodes.keys()].filter((k) => ix.children[k].length > 0)) {
    const C = t.nodes[i].capacity;
    const leaves: TopoNode[] = [];
    const walk = (n: number) => {
      if (!ix.children[n].length) leaves.push(t.nodes[n]);
      else ix.children[n].forEach(walk);
    };
    walk(i);
    const modelled = leaves.filter((l) => l.mean !== undefined);
    if (!modelled.length) continue;
    const notes: string[] = [];
    if (modelled.length < leaves.length)
      notes.push(`${leaves.length - modelled.length} customers without mean/duty left out`);
    const src: Discrete[] = modelled.map((l) => {
      const peak = Math.min(l.peak ?? l.capacity, l.capacity);
      return onOff(peak, Math.min(1, (l.mean ?? 0) / peak));
    });
    let mean = 0,
      variance = 0;
    for (const s of src) {
      const mv = meanVar(s);
      mean += mv.mean;
      variance += mv.variance;
    }
    const gauss = variance > 0 ? qfunc((C - mean) / Math.sqrt(variance)) : mean > C ? 1 : 0;
    const ch = chernoff(src, C);
    const same = src.every(
      (s) => s.values[1] === src[0].values[1] && s.probs[1] === src[0].probs[1],
    );
    let method: ModelTier['method'], pOver: number, excess: number;
    if (same) {
      const r = src[0].values[1],
        p = src[0].probs[1];
      const kmin = Math.floor(C / r + 1e-12) + 1; // more than C/r active sources overflow
      pOver = binomialTail(src.length, p, kmin);
      const pmf = convolve(src.length <= 4000 ? src : [], r);
      excess =
        src.length <= 4000 ? tailOf(pmf, r, C).expectedExcess : gaussianExcess(mean, variance, C);
      method = 'exact-binomial';
    } else if (src.length <= 2000) {
      const unit = gridFor(src, C);
      const pmf = convolve(src, unit);
      ({ pOver, expectedExcess: excess } = tailOf(pmf, unit, C));
      method = 'exact-convolution';
      notes.push(`peaks rounded to a ${Math.round(unit)} bit/s grid`);
    } else {
      pOver = gauss;
      excess = gaussianExcess(mean, variance, C);
      method = 'gaussian';
      notes.push('too many distinct sources for the exact sum; Gaussian used');
    }
    if (src.length < 30 || mean / (src.length * (src[0].values[1] || 1)) < 0.05)
      notes.push(
        'Gaussian is poor here: few or rarely active sources make the sum skewed; its tail is off by a large factor',
      );
    notes.push(
      'Chernoff is an upper bound (loose by about 1/(s·σ·√2π), the Bahadur–Rao factor); sources are assumed independent, which a shared diurnal peak breaks',
    );
    if (src.some((s) => s.values[1] >= C))
      notes.push(
        'a single source can fill this link (peak ≥ capacity): any concurrent transfer halves its speed (Bonald–Roberts, Erlang C with m = 1)',
      );
    out.push({
      id: t.nodes[i].id,
      customers: src.length,
      method,
      pOver,
      expectedExcess: excess,
      gaussian: gauss,
      chernoff: ch.bound,
      bahadurRao: ch.bahadurRao,
      notes,
    });
  }
  return out;
}

/** Grid for an exact sum: fine against the smallest peak, at most ~20,000 bins for the whole sum. */
function gridFor(src: Discrete[], C: number): number {
  let minPeak = Infinity,
    total = 0;
  for (const s of src) {
    const v = s.values[1];
    if (v > 0 && v < minPeak) minPeak = v;
    total += v;
  }
  return Math.max(Number.isFinite(minPeak) ? minPeak / 64 : 1, C / 20000, total / 20000, 1);
}

/**
 * Per customer, under the on-off model: what it gets when it is active, tier by tier along its path
 * (others independent; the rest of the link, floored at the max-min fair share C/active for identical
 * sources, at the equal share C/N otherwise). Exact; skipped (undefined)
 * for tiers with more than 2,000 different sources.
 */
export function modelAvailability(
  t: Topology,
  ix = indexTopology(t),
): Map<string, ModelAvailability> {
  const out = new Map<string, ModelAvailability>();
  const cache = new Map<
    string,
    { pFull: number; e: number; method: ModelAvailability['method'] } | null
  >();
  const onoff = (n: TopoNode): Discrete | undefined => {
    if (n.mean === undefined) return undefined;
    const peak = Math.min(n.peak ?? n.capacity, n.capacity);
    return peak > 0 ? onOff(peak, Math.min(1, n.mean / peak)) : undefined;
  };
  const beneath = new Map<number, Discrete[]>();
  const sources = (a: number): Discrete[] => {
    let r = beneath.get(a);
    if (!r) {
      r = [];
      const walk = (n: number) => {
        if (!ix.children[n].length) {
          const d = onoff(t.nodes[n]);
          if (d) r!.push(d);
        } else ix.children[n].forEach(walk);
      };
      walk(a);
      beneath.set(a, r);
    }
    return r;
  };
  for (const l of ix.leaves) {
    const me = onoff(t.nodes[l]);
    if (!me) continue;
    const r = me.values[1];
    let worst: ModelAvailability | undefined;
    for (let a = ix.parent[l]; a >= 0; a = ix.parent[a]) {
      const C = t.nodes[a].capacity,
        g = C / ix.leafCount[a];
      const key = `${a}|${r}|${me.probs[1]}`;
      let res = cache.get(key);
      if (res === undefined) {
        const all = sources(a);
        const k = all.findIndex((d) => d.values[1] === r && d.probs[1] === me.probs[1]);
        const others = all.filter((_, j) => j !== k);
        const same = others.every((d) => d.values[1] === r && d.probs[1] === me.probs[1]);
        let pmf: Float64Array | null = null,
          unit = r,
          method: ModelAvailability['method'] = 'exact-binomial';
        if (same) pmf = convolve(others, r);
        else if (others.length <= 2000) {
          unit = gridFor(others, C);
          pmf = convolve(others, unit);
          method = 'exact-convolution';
        }
        if (!pmf) res = null;
        else {
          let pFull = 0,
            e = 0;
          for (let j = 0; j < pmf.length; j++) {
            const v = j * unit;
            if (v <= C - r + 1e-9 * unit) pFull += pmf[j];
            // identical sources share max-min fairly (C / active); otherwise floor at the equal share
            const floor = same ? Math.max(g, C / (j + 1)) : g;
            e += pmf[j] * Math.min(r, Math.max(floor, C - v));
          }
          res = { pFull, e, method };
        }
        cache.set(key, res);
      }
      if (res && (!worst || res.e < worst.expectedWhenActive))
        worst = {
          tier: t.nodes[a].id,
          pFullPeak: res.pFull,
          expectedWhenActive: res.e,
          method: res.method,
        };
    }
    if (worst) out.set(t.nodes[l].id, worst);
  }
  return out;
}

/** No measured series: nominal ratios plus the on-off model where customers state mean/duty. */
export function analyzeModel(t: Topology): ContentionReport {
  const ix = indexTopology(t);
  const model = modelTiers(t, ix);
  const avail = modelAvailability(t, ix);
  const customers: CustomerReport[] = ix.leaves.map((l) => {
    const n = t.nodes[l],
      g = guarantee(t, ix, l);
    return {
      id: n.id,
      parent: n.parent,
      port: n.capacity,
      hasSeries: false,
      guaranteed: g.g,
      guaranteedFrom: g.from,
      bottleneck: g.bottleneck,
      mean: n.mean ?? NaN,
      p95: NaN,
      p99: NaN,
      max: n.peak ?? NaN,
      cv: NaN,
      peakToMean: n.mean ? (n.peak ?? n.capacity) / n.mean : NaN,
      p99ToMean: NaN,
      dutyCycle: n.mean !== undefined ? n.mean / Math.min(n.peak ?? n.capacity, n.capacity) : NaN,
      dutyHalfPort: NaN,
      shape: 'idle',
      available: { p5: NaN, p50: NaN, p95: NaN, busyHourP5: NaN },
      shareOfPeak: NaN,
      varianceShare: NaN,
      dailyAutocorr: NaN,
      gaps: 0,
      effectiveBandwidth: NaN,
      modelAvailable: avail.get(n.id),
    };
  });
  const notes = model.length
    ? [
        'No measured series: the figures are an on-off model of independent customers (mean/peak or duty from the topology). A shared daily peak makes real congestion worse; measure with --traffic when you can.',
      ]
    : [
        'No measured series and no mean/duty per customer: only the nominal ratios are known. A ratio alone says nothing about congestion.',
      ];
  return {
    topology: t.name,
    mode: model.length ? 'model' : 'nominal',
    step: null,
    start: null,
    length: 0,
    days: 0,
    nominal: nominal(t, ix),
    tiers: [],
    customers,
    model,
    notes,
  };
}
