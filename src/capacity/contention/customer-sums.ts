/**
 * Pass 1 of the measured analysis: each customer's series, clipped at its port, gives its own
 * figures and is added into its parent's demand (a gap counts as missing there, never as 0).
 */
import { quantiles } from '../select.js';
import { type CustomerStats, type Measure, DAY } from './measure.js';

export function sumCustomers(m: Measure): void {
  const { t, ix, src, L, step, buf, scratch } = m;
  const lagDay = DAY % step === 0 && DAY / step < L ? DAY / step : 0;
  for (const l of ix.leaves) {
    m.tick();
    const node = t.nodes[l];
    if (!src.read(node, buf)) continue;
    m.withSeries[l] = 1;
    const cs = customerStats(buf, scratch, node.capacity, lagDay);
    m.customerStats[l] = cs;
    const p = ix.parent[l];
    if (p < 0) continue;
    addToParent(buf, m.demand.get(p)!, m.missing.get(p)!);
    for (let a = p; a >= 0; a = ix.parent[a]) m.varSum[a] += cs.std * cs.std;
    m.childP95Sum[p] += cs.p95;
  }
}

/** Clips buf at [0, port] in place and returns its figures (scratch is overwritten). */
function customerStats(
  buf: Float64Array,
  scratch: Float64Array,
  port: number,
  lagDay: number,
): CustomerStats {
  const L = buf.length;
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
  return {
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
}

function addToParent(buf: Float64Array, d: Float64Array, mi: Int32Array): void {
  for (let k = 0; k < buf.length; k++) {
    const v = buf[k];
    if (v === v) d[k] += v;
    else mi[k]++;
  }
}
