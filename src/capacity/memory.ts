/**
 * Guaranteed vs burstable RAM on an overcommitted host. Each VM first gets min(request, guarantee);
 * what it asks above that competes for what is left of the usable RAM, split in proportion to the
 * overage (kernel reclaim) or to shares (Proxmox autoballoon). Replay uses the measured series in their
 * observed alignment (correlated bursts stay correlated); the model assumes independent VMs and sums
 * their demand distributions exactly by convolution.
 */
import type { HostPlan, VmPlan } from './memory-plan.js';
import { type Settings, settingsFor } from './memory-settings.js';
import { convolve, tailOf, gaussianTail, chernoff, meanVar, type Discrete } from './model.js';
import { summarize } from './stats.js';

export * from './memory-plan.js';
export * from './memory-settings.js';

export interface VmResult {
  id: string;
  guaranteed: number;
  burst: number;
  replay?: {
    steps: number;
    mean: number;
    p95: number;
    max: number;
    /** Steps where demand exceeded the guarantee. */
    burstSteps: number;
    /** P(burst not fully met | the VM is above its guarantee), host contention only. */
    pBurstUnmet: number;
    /** Expected unmet GiB·h per day from host contention. */
    unmetGiBhPerDay: number;
    /** Steps above the plan's own ceiling (the customer's cap, not the neighbours'). */
    planLimitSteps: number;
    planLimitGiBhPerDay: number;
  };
  model?: {
    method: string;
    pBurst: number;
    pBurstUnmet: number;
    unmetGiBhPerDay: number;
  };
  atRisk: boolean;
  reasons: string[];
  settings: Settings;
}

export interface MemoryReport {
  host: string;
  ram: number;
  usable: number;
  sharing: string;
  guaranteedSum: number;
  burstSum: number;
  /** Σ burst ceilings ÷ usable RAM. */
  overcommit: number;
  guaranteesOversold: boolean;
  step: number | null;
  days: number;
  replay?: {
    steps: number;
    incompleteSteps: number;
    pHostShort: number;
    pGuaranteeBreach: number;
    unmetGiBhPerDay: number;
    peakDemand: number;
  };
  model?: {
    method: string;
    pHostShort: number;
    unmetGiBhPerDay: number;
    gaussian: number;
    chernoff: number;
    notes: string[];
  };
  vms: VmResult[];
  atRisk: string[];
  notes: string[];
  /** Σ min(demand, burst) per step (NaN where incomplete), for charts; not part of the JSON output. */
  hostDemand?: Float64Array;
  start?: number;
}

export interface MemorySeries {
  start: number;
  step: number;
  length: number;
  get(vm: VmPlan): Float64Array | undefined;
}

const GiB = 2 ** 30;

/** Water-filling: share `free` among demands o[i] in proportion to weights w[i], none above its o[i]. */
function waterfill(o: Float64Array, w: Float64Array, free: number, out: Float64Array): void {
  const n = o.length;
  out.fill(0);
  let left = free;
  const active = new Uint8Array(n);
  let act = 0;
  for (let i = 0; i < n; i++)
    if (o[i] > 0) {
      active[i] = 1;
      act++;
    }
  while (act > 0 && left > 1e-6) {
    let wsum = 0;
    for (let i = 0; i < n; i++) if (active[i]) wsum += w[i];
    let done = true;
    const give = left;
    for (let i = 0; i < n; i++) {
      if (!active[i]) continue;
      const want = o[i] - out[i],
        share = (give * w[i]) / wsum;
      if (share >= want) {
        out[i] += want;
        left -= want;
        active[i] = 0;
        act--;
        done = false;
      }
    }
    if (done) {
      for (let i = 0; i < n; i++)
        if (active[i]) {
          const share = (give * w[i]) / wsum;
          out[i] += share;
          left -= share;
        }
      break;
    }
  }
}

export function memoryRiskReport(plan: HostPlan, usage?: MemorySeries): MemoryReport {
  const M = plan.usable;
  const n = plan.vms.length;
  const gSum = plan.vms.reduce((s, v) => s + v.guaranteed, 0);
  const bSum = plan.vms.reduce((s, v) => s + v.burst, 0);
  const oversold = gSum > M;
  const notes: string[] = [];
  if (oversold)
    notes.push(
      `Guarantees are oversold: Σ guaranteed ${(gSum / GiB).toFixed(1)} GiB > usable ${(M / GiB).toFixed(1)} GiB; a guarantee is a promise the host cannot keep when all VMs use it.`,
    );
  const vmRes: VmResult[] = plan.vms.map((v) => ({
    id: v.id,
    guaranteed: v.guaranteed,
    burst: v.burst,
    atRisk: false,
    reasons: [],
    settings: settingsFor(v, oversold),
  }));
  const report: MemoryReport = {
    host: plan.host,
    ram: plan.ram,
    usable: M,
    sharing: plan.sharing,
    guaranteedSum: gSum,
    burstSum: bSum,
    overcommit: bSum / M,
    guaranteesOversold: oversold,
    step: usage?.step ?? null,
    days: usage ? (usage.length * usage.step) / 86400 : 0,
    vms: vmRes,
    atRisk: [],
    notes,
  };

  // empirical or stated distribution per VM, for the independence model
  const dists: (Discrete | undefined)[] = plan.vms.map((v) =>
    v.model
      ? {
          values: [Math.min(v.model.base, v.burst), Math.min(v.model.peak, v.burst)],
          probs: [1 - v.model.p, v.model.p],
        }
      : undefined,
  );

  if (usage) {
    const L = usage.length,
      step = usage.step;
    const series = plan.vms.map((v) => usage.get(v));
    const missingVms = plan.vms.filter((_, i) => !series[i]).map((v) => v.id);
    if (missingVms.length)
      notes.push(
        `No usage series for ${missingVms.slice(0, 5).join(', ')}${missingVms.length > 5 ? ` and ${missingVms.length - 5} more` : ''}: replay uses their model if any, else their guarantee, as their demand.`,
      );
    const o = new Float64Array(n),
      w = new Float64Array(n),
      got = new Float64Array(n);
    const unmet = new Float64Array(n),
      burstSteps = new Float64Array(n),
      burstUnmet = new Float64Array(n),
      planSteps = new Float64Array(n),
      planOver = new Float64Array(n);
    let steps = 0,
      incomplete = 0,
      short = 0,
      breach = 0,
      hostUnmet = 0,
      peak = 0;
    const D = new Float64Array(n);
    const hostDemand = new Float64Array(L).fill(NaN);
    report.hostDemand = hostDemand;
    report.start = usage.start;
    for (let k = 0; k < L; k++) {
      let ok = true;
      for (let i = 0; i < n; i++) {
        const s = series[i];
        const v = plan.vms[i];
        D[i] = s ? s[k] : v.model ? v.model.base : v.guaranteed;
        if (D[i] !== D[i]) {
          ok = false;
          break;
        }
      }
      if (!ok) {
        incomplete++;
        continue;
      }
      steps++;
      let gs = 0,
        os = 0,
        tot = 0;
      for (let i = 0; i < n; i++) {
        const v = plan.vms[i];
        const R = Math.min(D[i], v.burst);
        if (D[i] > v.burst) {
          planSteps[i]++;
          planOver[i] += D[i] - v.burst;
        }
        const gpart = Math.min(R, v.guaranteed);
        gs += gpart;
        o[i] = R - gpart;
        os += o[i];
        tot += R;
        w[i] = plan.sharing === 'shares' ? v.shares : o[i];
        if (D[i] > v.guaranteed) burstSteps[i]++;
      }
      if (tot > peak) peak = tot;
      hostDemand[k] = tot;
      if (gs > M) {
        breach++;
        short++;
        hostUnmet += tot - M;
        for (let i = 0; i < n; i++) {
          const v = plan.vms[i];
          const R = Math.min(D[i], v.burst);
          const gotG = Math.min(R, v.guaranteed) * (M / gs);
          const u = R - gotG;
          unmet[i] += u;
          if (D[i] > v.guaranteed && u > 0) burstUnmet[i]++;
        }
        continue;
      }
      const free = M - gs;
      if (os <= free) continue;
      short++;
      hostUnmet += os - free;
      waterfill(o, w, free, got);
      for (let i = 0; i < n; i++) {
        const u = o[i] - got[i];
        if (u > 1e-6) {
          unmet[i] += u;
          burstUnmet[i]++;
        }
      }
    }
    const days = (steps * step) / 86400;
    const perDay = (bytesSteps: number) =>
      days > 0 ? (bytesSteps * step) / 3600 / GiB / days : NaN;
    report.replay = {
      steps,
      incompleteSteps: incomplete,
      pHostShort: steps ? short / steps : NaN,
      pGuaranteeBreach: steps ? breach / steps : NaN,
      unmetGiBhPerDay: perDay(hostUnmet),
      peakDemand: peak,
    };
    if (incomplete)
      notes.push(
        `${incomplete} of ${L} steps have a gap in some VM's series and are left out of the replay.`,
      );
    plan.vms.forEach((v, i) => {
      const s = series[i];
      if (!s) return;
      const sm = summarize(s);
      vmRes[i].replay = {
        steps,
        mean: sm.mean,
        p95: sm.p95,
        max: sm.max,
        burstSteps: burstSteps[i],
        pBurstUnmet: burstSteps[i] ? burstUnmet[i] / burstSteps[i] : 0,
        unmetGiBhPerDay: perDay(unmet[i]),
        planLimitSteps: planSteps[i],
        planLimitGiBhPerDay: perDay(planOver[i]),
      };
      if (!dists[i]) dists[i] = histogramOf(s, v.burst);
    });
  }

  // independence model: exact convolution on a grid
  const have = dists.every(Boolean);
  if (have && n > 0) {
    const unit = gridUnit(dists as Discrete[]);
    const rounded = (dists as Discrete[]).map((d) => ({
      values: d.values.map((x) => Math.round(x / unit) * unit),
      probs: d.probs,
    }));
    const pmf = convolve(rounded, unit);
    const t = tailOf(pmf, unit, M);
    let mean = 0,
      variance = 0;
    for (const d of rounded) {
      const mv = meanVar(d);
      mean += mv.mean;
      variance += mv.variance;
    }
    const ch = chernoff(rounded, M);
    const mnotes = [
      'Independent VMs: bursts at random times. If the sites burst at the same hour (cron, business peak) the replay decides, not this.',
    ];
    if (oversold)
      mnotes.push(
        'Guarantees oversold: the model counts any demand above usable RAM as unmet, guaranteed or not.',
      );
    if (n < 50)
      mnotes.push(
        'Gaussian and Chernoff are shown as cross-checks only: with few VMs the sum is skewed and both are far off.',
      );
    report.model = {
      method: `exact convolution of per-VM distributions (grid ${(unit / 2 ** 20).toFixed(0)} MiB)`,
      pHostShort: t.pOver,
      unmetGiBhPerDay: (t.expectedExcess * 24) / GiB,
      gaussian: gaussianTail(mean, variance, M),
      chernoff: ch.bound,
      notes: mnotes,
    };
    // per VM: P(burst unmet) = P(S_-i + r > M) over its burst levels, via prefix/suffix sums
    const pre: Float64Array[] = [new Float64Array([1])];
    for (let i = 0; i < n; i++)
      pre.push(
        convolve([rounded[i]], unit).length ? conv2(pre[i], convolve([rounded[i]], unit)) : pre[i],
      );
    const sufTail: Float64Array[] = new Array(n + 1);
    let suf: Float64Array = new Float64Array([1]);
    sufTail[n] = tailArray(suf);
    for (let i = n - 1; i >= 0; i--) {
      suf = conv2(suf, convolve([rounded[i]], unit));
      sufTail[i] = tailArray(suf);
    }
    const expOver = rounded.map((d, i) =>
      d.values.reduce((s, x, k) => s + d.probs[k] * Math.max(0, x - plan.vms[i].guaranteed), 0),
    );
    const expOverSum = expOver.reduce((a, b) => a + b, 0);
    const Mi = Math.floor(M / unit + 1e-9);
    rounded.forEach((d, i) => {
      const v = plan.vms[i];
      let pb = 0,
        pbu = 0;
      for (let k = 0; k < d.values.length; k++) {
        if (d.values[k] <= v.guaranteed) continue;
        pb += d.probs[k];
        const r = Math.round(d.values[k] / unit);
        // P(prefix_i + suffix_{i+1} > Mi - r)
        const a = pre[i],
          st = sufTail[i + 1];
        let p = 0;
        for (let x = 0; x < a.length; x++) {
          if (a[x] < 1e-300) continue;
          const need = Mi - r - x + 1; // suffix >= need
          p += a[x] * (need <= 0 ? 1 : need < st.length ? st[need] : 0);
        }
        pbu += d.probs[k] * p;
      }
      vmRes[i].model = {
        method:
          'exact (independent VMs); unmet GiB·h apportioned by expected overage (approximate)',
        pBurst: pb,
        pBurstUnmet: pb > 0 ? Math.min(1, pbu / pb) : 0,
        unmetGiBhPerDay:
          expOverSum > 0 ? ((t.expectedExcess * 24) / GiB) * (expOver[i] / expOverSum) : 0,
      };
    });
  } else if (n)
    notes.push(
      'Some VMs have neither a series nor a model: the independence model is not computed.',
    );

  for (const r of vmRes) {
    const pr = r.replay?.pBurstUnmet ?? 0,
      pm = r.model?.pBurstUnmet ?? 0;
    if (r.replay && pr > plan.riskThreshold)
      r.reasons.push(`replay: burst unmet ${(pr * 100).toFixed(1)}% of burst time`);
    if (r.model && pm > plan.riskThreshold)
      r.reasons.push(`model: burst unmet with probability ${(pm * 100).toFixed(1)}%`);
    if (r.replay && r.replay.planLimitSteps > 0)
      r.reasons.push(
        `hits its own plan ceiling ${r.replay.planLimitSteps} steps (customer cap, not neighbours)`,
      );
    r.atRisk =
      pr > plan.riskThreshold ||
      pm > plan.riskThreshold ||
      (!!report.replay && report.replay.pGuaranteeBreach > 0);
    if (r.atRisk) report.atRisk.push(r.id);
  }
  return report;
}

function tailArray(pmf: Float64Array): Float64Array {
  // st[j] = P(X >= j)
  const st = new Float64Array(pmf.length + 1);
  for (let j = pmf.length - 1; j >= 0; j--) st[j] = st[j + 1] + pmf[j];
  return st;
}

function conv2(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length - 1);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x < 1e-300) continue;
    for (let j = 0; j < b.length; j++) out[i + j] += x * b[j];
  }
  return out;
}

/** A grid fine enough for the levels: their gcd when they share one, else 1/256 of the largest (or 1/20,000 of the host total). */
function gridUnit(ds: Discrete[]): number {
  const levels = ds.flatMap((d) => d.values).filter((x) => x > 0);
  const max = levels.reduce((a, b) => Math.max(a, b), 1);
  // at most ~20,000 bins for the whole host keeps the prefix/suffix convolutions fast
  const total = ds.reduce((a, d) => a + d.values.reduce((m, v) => Math.max(m, v), 0), 0);
  const floor = Math.max(max / 256, total / 20000, 2 ** 20);
  let g = 0;
  const gcd = (a: number, b: number): number => (b < floor / 2 ? a : gcd(b, a % b));
  for (const x of levels) g = g ? gcd(Math.max(g, x), Math.min(g, x)) : x;
  return g >= floor ? g : floor;
}

/** Empirical distribution of min(D, burst) on 64 levels (a histogram of the measured demand). */
function histogramOf(s: Float64Array, cap: number): Discrete {
  const bins = 64,
    counts = new Float64Array(bins),
    sums = new Float64Array(bins);
  let n = 0;
  for (let k = 0; k < s.length; k++) {
    const v = s[k];
    if (v !== v) continue;
    const r = Math.min(v, cap);
    const b = Math.min(bins - 1, Math.floor((r / cap) * bins));
    counts[b]++;
    sums[b] += r;
    n++;
  }
  const values: number[] = [],
    probs: number[] = [];
  for (let b = 0; b < bins; b++)
    if (counts[b]) {
      values.push(sums[b] / counts[b]);
      probs.push(counts[b] / n);
    }
  return { values, probs };
}
