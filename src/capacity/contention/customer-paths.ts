/**
 * Pass 2 of the measured analysis: each customer's series read again and set against the demand
 * of every link on its path: the rate it could get at each step, its figures while a link is full,
 * its share of the top tier's peak and variance, its effective bandwidth there.
 */
import { quantiles } from '../select.js';
import { effectiveBandwidth } from '../model.js';
import type { CustomerReport } from './types.js';
import { classify } from './shape.js';
import { guarantee } from './guarantee.js';
import { type CustomerStats, type Measure, DAY } from './measure.js';

type Base = Omit<CustomerReport, 'available' | 'shareOfPeak' | 'varianceShare' | 'whenCongested'>;

export function customersAgainstPaths(m: Measure): CustomerReport[] {
  const { t, ix, src, L, step, buf } = m;
  const customers: CustomerReport[] = [];
  const busyHourOf = new Map<number, number>();
  for (const i of ix.innerBottomUp)
    if (ix.parent[i] < 0) busyHourOf.set(i, m.tiers.get(i)!.busiestHours[0]?.hour ?? -1);
  if (m.opts.customers === false) return customers;
  const avail = new Float64Array(L),
    availBusy = new Float64Array(L);
  const hourOf = new Int8Array(L);
  for (let k = 0; k < L; k++)
    hourOf[k] = Math.floor(((((src.start + k * step) % DAY) + DAY) % DAY) / 3600);
  for (const l of ix.leaves) {
    m.tick();
    const node = t.nodes[l];
    const g = guarantee(t, ix, l);
    const base: Base = {
      id: node.id,
      parent: node.parent,
      port: node.capacity,
      hasSeries: !!m.withSeries[l],
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
    if (!m.withSeries[l] || ix.parent[l] < 0) {
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
    const root = top(m, l);
    const w = sweepPath(m, l, root, g.g, busyHourOf.get(root) ?? -1, hourOf, avail, availBusy);
    customers.push(customerReport(m, l, root, base, w, avail, availBusy));
  }
  return customers;
}

/** The top tier above a node. */
function top(m: Measure, l: number): number {
  let a = l;
  while (m.ix.parent[a] >= 0) a = m.ix.parent[a];
  return a;
}

/** What one sweep of a customer's steps against its path collects. */
interface PathSweep {
  /** Rates it could get, in avail[0..na) (all complete steps) and availBusy[0..nb) (busy hour). */
  na: number;
  nb: number;
  /** Σ (x − mean)(A − mean A) over nc steps where the top tier A is complete. */
  cov: number;
  nc: number;
  /** Steps with a link on the path over capacity; of them, those above the guarantee; bits above it. */
  congSteps: number;
  aboveSteps: number;
  taken: number;
}

function sweepPath(
  m: Measure,
  l: number,
  root: number,
  guaranteed: number,
  busyHour: number,
  hourOf: Int8Array,
  avail: Float64Array,
  availBusy: Float64Array,
): PathSweep {
  const { t, ix, L, step, buf } = m;
  const port = t.nodes[l].capacity;
  const cs = m.customerStats[l];
  const rm = m.missing.get(root)!,
    rd = m.demand.get(root)!;
  const pathD: Float64Array[] = [],
    pathM: Int32Array[] = [],
    pathC: number[] = [];
  for (let p = ix.parent[l]; p >= 0; p = ix.parent[p]) {
    pathD.push(m.demand.get(p)!);
    pathM.push(m.missing.get(p)!);
    pathC.push(t.nodes[p].capacity);
  }
  let na = 0,
    nb = 0,
    cov = 0,
    nc = 0,
    congSteps = 0,
    aboveSteps = 0,
    taken = 0;
  const rootMean = m.aggMean[root];
  for (let k = 0; k < L; k++) {
    let x = buf[k];
    if (x !== x) continue;
    if (x > port) x = port;
    else if (x < 0) x = 0;
    let a = port,
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
      if (x > guaranteed) {
        aboveSteps++;
        taken += (x - guaranteed) * step;
      }
    }
    if (a < guaranteed) a = guaranteed;
    avail[na++] = a;
    if (hourOf[k] === busyHour) availBusy[nb++] = a;
    if (!rm[k]) {
      cov += (x - cs.mean) * (rd[k] - rootMean);
      nc++;
    }
  }
  return { na, nb, cov, nc, congSteps, aboveSteps, taken };
}

function customerReport(
  m: Measure,
  l: number,
  root: number,
  base: Base,
  w: PathSweep,
  avail: Float64Array,
  availBusy: Float64Array,
): CustomerReport {
  const { step, buf } = m;
  const port = m.t.nodes[l].capacity;
  const cs: CustomerStats = m.customerStats[l];
  const rd = m.demand.get(root)!;
  const [p5, p50, p95] = quantiles(avail, w.na, [0.05, 0.5, 0.95]);
  const [bp5] = quantiles(availBusy, w.nb, [0.05]);
  const pk = m.peakIdx[root];
  const opRoot = m.tiers.get(root)!.operatingPoint;
  const xpk = pk >= 0 ? buf[pk] : NaN;
  return {
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
    shareOfPeak: pk >= 0 && rd[pk] > 0 ? Math.min(xpk, port) / rd[pk] : NaN,
    effectiveBandwidth: opRoot
      ? effectiveBandwidth(clipTo(buf, port), step, Math.round(opRoot.t / step), opRoot.s)
      : NaN,
    varianceShare: m.aggVar[root] > 0 && w.nc > 1 ? w.cov / (w.nc - 1) / m.aggVar[root] : NaN,
    whenCongested: {
      steps: w.congSteps,
      aboveGuarantee: w.congSteps ? w.aboveSteps / w.congSteps : NaN,
      bytesAboveGuarantee: w.taken / 8,
    },
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
