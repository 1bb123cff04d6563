/**
 * Measured contention: every customer series is read twice (once to build the clipped, time-aligned
 * tier sums bottom-up, once to compare it against them), into one reused buffer, so memory is
 * O(tiers x steps) whatever the number of customers.
 */
import { type Topology, indexTopology } from '../topology.js';
import { runs, hourProfile } from '../stats.js';
import { quantiles } from '../select.js';
import { effectiveBandwidth, qfunc, gaussianCapacity } from '../model.js';
import { nominal } from './nominal.js';
import type {
  SeriesSource,
  TierReport,
  CustomerReport,
  ContentionReport,
  ContentionOptions,
} from './types.js';
import { classify } from './shape.js';
import { guarantee } from './guarantee.js';
import { modelTiers } from './model.js';

const DAY = 86400;

export function analyzeMeasured(
  t: Topology,
  src: SeriesSource,
  opts: ContentionOptions = {},
): ContentionReport {
  const ix = indexTopology(t);
  const L = src.length,
    step = src.step;
  const N = t.nodes.length;
  const inner = ix.innerBottomUp;
  // per inner node: offered demand, and count of customers with a gap at each step
  const demand = new Map<number, Float64Array>();
  const missing = new Map<number, Int32Array>();
  for (const i of inner) {
    demand.set(i, new Float64Array(L));
    missing.set(i, new Int32Array(L));
  }
  const withSeries = new Uint8Array(N);
  const varSum = new Float64Array(N); // Σ customer variances beneath (independence model)
  const childP95Sum = new Float64Array(N);
  const buf = new Float64Array(L),
    scratch = new Float64Array(L);
  const custStats: {
    mean: number;
    std: number;
    max: number;
    p95: number;
    p99: number;
    gaps: number;
    duty: number;
    dutyHalf: number;
    ac: number;
  }[] = new Array(N);

  const lagDay = DAY % step === 0 && DAY / step < L ? DAY / step : 0;
  const total = 2 * ix.leaves.length;
  let done = 0;
  const tick = () => {
    if (opts.onProgress && ++done % 200 === 0) opts.onProgress(done, total);
  };
  // pass 1: customers, clipped at the port, into their parent's sum
  for (const l of ix.leaves) {
    tick();
    const node = t.nodes[l];
    if (!src.read(node, buf)) continue;
    withSeries[l] = 1;
    const port = node.capacity;
    let n = 0,
      s = 0,
      half = 0,
      max = -Infinity;
    const halfPort = port / 2;
    for (let k = 0; k < L; k++) {
      let v = buf[k];
      if (v === v) {
        if (v > port) v = port;
        if (v < 0) v = 0;
        buf[k] = v;
        s += v;
        n++;
        if (v > halfPort) half++;
        if (v > max) max = v;
      }
    }
    const mean = n ? s / n : NaN;
    // variance, and the lag-one-day autocovariance in the same sweep
    let ss = 0,
      m = 0,
      acNum = 0,
      acPairs = 0;
    for (let k = 0; k < L; k++) {
      const v = buf[k];
      if (v !== v) continue;
      const d = v - mean;
      ss += d * d;
      scratch[m++] = v;
      if (k >= lagDay) {
        const u = buf[k - lagDay];
        if (u === u) {
          acNum += d * (u - mean);
          acPairs++;
        }
      }
    }
    const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
    let hi2 = 0;
    const thr = mean + 2 * std;
    for (let k = 0; k < m; k++) if (scratch[k] > thr) hi2++;
    const [p95, p99] = quantiles(scratch, m, [0.95, 0.99]);
    const ac = lagDay > 0 && acPairs > 2 && ss > 0 ? acNum / acPairs / (ss / n) : NaN;
    custStats[l] = {
      mean,
      std,
      max: m ? max : NaN,
      p95,
      p99,
      gaps: L - n,
      duty: m ? hi2 / m : NaN,
      dutyHalf: m ? half / m : NaN,
      ac,
    };
    const p = ix.parent[l];
    if (p < 0) continue;
    const d = demand.get(p)!,
      mi = missing.get(p)!;
    for (let k = 0; k < L; k++) {
      const v = buf[k];
      if (v === v) d[k] += v;
      else mi[k]++;
    }
    for (let a = p; a >= 0; a = ix.parent[a]) varSum[a] += std * std;
    childP95Sum[p] += p95;
  }
  // inner nodes bottom-up: what passes a link is min(demand, capacity)
  const tierStat = new Map<number, TierReport>();
  const kept: Record<string, Float64Array> = {};
  const aggMean = new Float64Array(N),
    aggVar = new Float64Array(N),
    peakIdx = new Int32Array(N).fill(-1);
  for (const i of inner) {
    const node = t.nodes[i];
    const d = demand.get(i)!,
      mi = missing.get(i)!;
    const C = node.capacity;
    let n = 0,
      s = 0,
      max = -Infinity,
      pk = -1,
      over = 0,
      busy = 0,
      unmet = 0;
    const busyThr = t.busy * C;
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
    aggMean[i] = mean;
    aggVar[i] = variance;
    peakIdx[i] = pk;
    // episodes over capacity on complete steps (an incomplete step ends a run)
    const eps = runs(d, src.start, step, (v, k) => mi[k] === 0 && v > C);
    eps.sort((a, b) => b.duration - a.duration || a.start - b.start);
    const days = (n * step) / DAY;
    const prof = hourProfile(maskedView(d, mi, buf), src.start, step);
    if (ix.parent[i] < 0 || opts.keep?.includes(node.id)) kept[node.id] = Float64Array.from(buf);
    const hours = [...prof]
      .map((v, h) => ({ hour: h, mean: v }))
      .filter((x) => Number.isFinite(x.mean))
      .sort((a, b) => b.mean - a.mean)
      .slice(0, 3);
    const shareOver = n ? over / n : NaN;
    const shareBusy = n ? busy / n : NaN;
    const eps01 = t.epsilon;
    tierStat.set(i, {
      id: node.id,
      kind: node.kind,
      capacity: C,
      customers: ix.leafCount[i],
      customersWithSeries: 0,
      steps: L,
      incompleteSteps: L - n,
      mean,
      p95,
      max: n ? max : NaN,
      peakAt: pk >= 0 ? src.start + pk * step : null,
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
      unmetBytes: unmet / 8,
      busiestHours: hours,
      multiplexingGain: 0,
      gaussian: {
        pOver:
          n === 0 ? NaN : variance > 0 ? qfunc((C - mean) / Math.sqrt(variance)) : mean > C ? 1 : 0,
        pOverIndependent:
          n === 0
            ? NaN
            : varSum[i] > 0
              ? qfunc((C - mean) / Math.sqrt(varSum[i]))
              : mean > C
                ? 1
                : 0,
        capacityForEpsilon: gaussianCapacity(mean, variance, eps01),
        epsilon: eps01,
      },
      verdict:
        n === 0 ? 'no-data' : shareOver > 0.001 ? 'congested' : shareBusy > 0.01 ? 'busy' : 'ok',
      operatingPoint: null,
    });
    // operating point: Gaussian fit of the work per hour-long window
    let op: TierReport['operatingPoint'] = null;
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
      if (C * tw > mw && vw > 0) op = { t: tw, s: (C * tw - mw) / vw };
    }
    tierStat.get(i)!.operatingPoint = op;
    // pass what the link carries to the parent
    const p = ix.parent[i];
    if (p >= 0) {
      const pd = demand.get(p)!,
        pm = missing.get(p)!;
      for (let k = 0; k < L; k++) {
        if (mi[k]) pm[k] += mi[k];
        else pd[k] += d[k] > C ? C : d[k];
      }
      // p95 of what passes, for the parent's multiplexing gain
      let mm = 0;
      for (let k = 0; k < L; k++) if (!mi[k]) scratch[mm++] = d[k] > C ? C : d[k];
      childP95Sum[p] += quantiles(scratch, mm, [0.95])[0];
    }
  }
  for (const i of inner) {
    const r = tierStat.get(i)!;
    r.multiplexingGain = r.p95 > 0 ? childP95Sum[i] / r.p95 : NaN;
  }
  for (const l of ix.leaves)
    if (withSeries[l])
      for (let a = ix.parent[l]; a >= 0; a = ix.parent[a]) tierStat.get(a)!.customersWithSeries++;

  // pass 2: each customer against the sums of its path
  const customers: CustomerReport[] = [];
  const top = (l: number) => {
    let a = l;
    while (ix.parent[a] >= 0) a = ix.parent[a];
    return a;
  };
  const busyHourOf = new Map<number, number>();
  for (const i of inner)
    if (ix.parent[i] < 0) busyHourOf.set(i, tierStat.get(i)!.busiestHours[0]?.hour ?? -1);
  if (opts.customers !== false) {
    const avail = new Float64Array(L),
      availBusy = new Float64Array(L);
    const hourOf = new Int8Array(L);
    for (let k = 0; k < L; k++)
      hourOf[k] = Math.floor(((((src.start + k * step) % DAY) + DAY) % DAY) / 3600);
    for (const l of ix.leaves) {
      tick();
      const node = t.nodes[l];
      const g = guarantee(t, ix, l);
      const base: Omit<
        CustomerReport,
        'available' | 'shareOfPeak' | 'varianceShare' | 'whenCongested'
      > = {
        id: node.id,
        parent: node.parent,
        port: node.capacity,
        hasSeries: !!withSeries[l],
        guaranteed: g.g,
        guaranteedFrom: g.from,
        bottleneck: g.bottleneck,
        mean: NaN,
        p95: NaN,
        p99: NaN,
        max: NaN,
        cv: NaN,
        peakToMean: NaN,
        p99ToMean: NaN,
        dutyCycle: NaN,
        dutyHalfPort: NaN,
        shape: 'idle',
        dailyAutocorr: NaN,
        gaps: L,
        effectiveBandwidth: NaN,
      };
      if (!withSeries[l] || ix.parent[l] < 0) {
        customers.push({
          ...base,
          available: { p5: NaN, p50: NaN, p95: NaN, busyHourP5: NaN },
          shareOfPeak: NaN,
          varianceShare: NaN,
          whenCongested: { steps: 0, aboveGuarantee: NaN, bytesAboveGuarantee: 0 },
        });
        continue;
      }
      src.read(node, buf);
      const cs = custStats[l];
      const root = top(l);
      const rd = demand.get(root)!,
        rm = missing.get(root)!;
      const bh = busyHourOf.get(root) ?? -1;
      const pathD: Float64Array[] = [],
        pathM: Int32Array[] = [],
        pathC: number[] = [];
      for (let p = ix.parent[l]; p >= 0; p = ix.parent[p]) {
        pathD.push(demand.get(p)!);
        pathM.push(missing.get(p)!);
        pathC.push(t.nodes[p].capacity);
      }
      let na = 0,
        nb = 0,
        cov = 0,
        nc = 0,
        congSteps = 0,
        aboveSteps = 0,
        taken = 0;
      const rootMean = aggMean[root];
      for (let k = 0; k < L; k++) {
        let x = buf[k];
        if (x !== x) continue;
        if (x > node.capacity) x = node.capacity;
        else if (x < 0) x = 0;
        let a = node.capacity,
          complete = true,
          over = false;
        for (let j = 0; j < pathD.length; j++) {
          if (pathM[j][k]) {
            complete = false;
            break;
          }
          const dj = pathD[j][k];
          if (dj > pathC[j]) over = true;
          const free = pathC[j] - (dj - x);
          if (free < a) a = free;
        }
        if (!complete) continue;
        if (over) {
          congSteps++;
          if (x > g.g) {
            aboveSteps++;
            taken += (x - g.g) * step;
          }
        }
        if (a < g.g) a = g.g;
        avail[na++] = a;
        if (hourOf[k] === bh) availBusy[nb++] = a;
        if (!rm[k]) {
          cov += (x - cs.mean) * (rd[k] - rootMean);
          nc++;
        }
      }
      const [p5, p50, p95] = quantiles(avail, na, [0.05, 0.5, 0.95]);
      const [bp5] = quantiles(availBusy, nb, [0.05]);
      const pk = peakIdx[root];
      const opRoot = tierStat.get(root)!.operatingPoint;
      const xpk = pk >= 0 ? buf[pk] : NaN;
      customers.push({
        ...base,
        mean: cs.mean,
        p95: cs.p95,
        p99: cs.p99,
        max: cs.max,
        cv: cs.mean > 0 ? cs.std / cs.mean : NaN,
        peakToMean: cs.mean > 0 ? cs.max / cs.mean : NaN,
        p99ToMean: cs.mean > 0 ? cs.p99 / cs.mean : NaN,
        dutyCycle: cs.duty,
        dutyHalfPort: cs.dutyHalf,
        shape: classify(cs.mean > 0 ? cs.std / cs.mean : NaN, cs.p99 / cs.mean, cs.mean),
        dailyAutocorr: cs.ac,
        gaps: cs.gaps,
        available: { p5, p50, p95, busyHourP5: bp5 },
        shareOfPeak: pk >= 0 && rd[pk] > 0 ? Math.min(xpk, node.capacity) / rd[pk] : NaN,
        effectiveBandwidth: opRoot
          ? effectiveBandwidth(
              clipTo(buf, node.capacity),
              step,
              Math.round(opRoot.t / step),
              opRoot.s,
            )
          : NaN,
        varianceShare: aggVar[root] > 0 && nc > 1 ? cov / (nc - 1) / aggVar[root] : NaN,
        whenCongested: {
          steps: congSteps,
          aboveGuarantee: congSteps ? aboveSteps / congSteps : NaN,
          bytesAboveGuarantee: taken / 8,
        },
      });
    }
  }
  const notes: string[] = [
    `Figures are at a ${step} s step: bursts shorter than that are averaged away.`,
    'A tier sum counts each customer clipped at its port and each lower link clipped at its capacity; what is clipped is reported as unmet at the lower tier.',
  ];
  const noSeries = ix.leaves.filter((l) => !withSeries[l]).length;
  if (noSeries)
    notes.push(
      `${noSeries} of ${ix.leaves.length} customers have no series: tier sums leave them out and understate demand.`,
    );
  const empty = [...tierStat.values()].filter((r) => r.verdict === 'no-data');
  if (empty.length)
    notes.push(
      `No step has data from every customer beneath ${empty
        .slice(0, 5)
        .map((r) => r.id)
        .join(
          ', ',
        )}${empty.length > 5 ? ' …' : ''}: the series do not overlap in time, so no figure can be given there.`,
    );
  const incomplete = [...tierStat.values()].filter((r) => r.incompleteSteps > 0);
  if (incomplete.length)
    notes.push(
      `Steps with a gap in any customer beneath a tier are left out of that tier's figures (${incomplete
        .map((r) => `${r.id}: ${r.incompleteSteps}`)
        .slice(0, 5)
        .join(', ')}).`,
    );
  return {
    topology: t.name,
    mode: 'measured',
    step,
    start: src.start,
    length: L,
    days: (L * step) / DAY,
    nominal: nominal(t, ix),
    tiers: [...t.nodes.keys()].filter((i) => tierStat.has(i)).map((i) => tierStat.get(i)!),
    customers,
    model: modelTiers(t, ix),
    notes,
    demand: kept,
  };
}

/** Clip a series at the port rate in place (NaN stays NaN). */
function clipTo(x: Float64Array, port: number): Float64Array {
  for (let k = 0; k < x.length; k++) {
    const v = x[k];
    if (v > port) x[k] = port;
    else if (v < 0) x[k] = 0;
  }
  return x;
}

/** A view where incomplete steps read as NaN (reuses out). */
function maskedView(d: Float64Array, mi: Int32Array, out: Float64Array): Float64Array {
  for (let k = 0; k < d.length; k++) out[k] = mi[k] ? NaN : d[k];
  return out;
}
