/**
 * Cloud vs VPS vs dedicated from a usage series: how much and how regularly it varies, the peak to
 * size for, and the monthly cost of each option from a price table the user supplies. The rule behind
 * the verdict (Weinman): paying per use beats owning when the utility premium U (cloud price per unit
 * ÷ owned price per unit at full use) is below the peak-to-mean ratio; steady usage ("varies by 25%")
 * is cheapest owned, on a VPS or a dedicated server.
 */
import { z } from 'zod';
import { validate } from './validate.js';
import { summarize, autocorr, seasonalStrength, fractionAbove, type Num } from './stats.js';
import type { Series } from './series.js';

const priceS = z
  .object({
    /** Marks a table as an example; reports repeat the mark. */
    example: z.boolean().optional(),
    currency: z.string().default('EUR'),
    unit: z.string().default('unit'),
    hoursPerMonth: z.number().positive().default(730),
    headroom: z.number().min(0).max(5).optional(),
    cloud: z
      .array(
        z
          .object({
            name: z.string(),
            perUnitHour: z.number().nonnegative(),
            minUnits: z.number().nonnegative().default(0),
            granularity: z.number().positive().default(1),
          })
          .strict(),
      )
      .default([]),
    vps: z
      .array(
        z
          .object({
            name: z.string(),
            units: z.number().positive(),
            monthly: z.number().nonnegative(),
          })
          .strict(),
      )
      .default([]),
    dedicated: z
      .array(
        z
          .object({
            name: z.string(),
            units: z.number().positive(),
            monthly: z.number().nonnegative(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();
export type PriceTable = z.infer<typeof priceS>;

export function buildPrices(value: unknown, source = 'prices'): PriceTable {
  return validate(priceS, value, source);
}

export interface CostOption {
  kind: 'cloud' | 'vps' | 'dedicated' | 'hybrid';
  name: string;
  /** Units provisioned (mean for cloud, which follows demand). */
  units: number;
  count: number;
  monthly: number;
  /** Mean demand ÷ provisioned units. */
  utilisation: number;
  note?: string;
}

export interface Advice {
  series: string;
  unit: string;
  step: number;
  days: number;
  samples: number;
  gaps: number;
  stats: {
    mean: number;
    p50: number;
    p95: number;
    p99: number;
    max: number;
    cv: number;
    peakToMean: number;
    p99ToMean: number;
    swing: number;
    dutyCycle: number;
  };
  seasonality: {
    dailyAutocorr: number;
    weeklyAutocorr: number;
    dailyStrength: number;
    weeklyStrength: number;
    pattern: 'steady' | 'regular' | 'irregular';
  };
  expectedPeak: {
    p995Headroom: number;
    dailyPeakP90: number;
    gumbel30d: number;
    sizing: number;
    headroom: number;
  };
  utilityPremium: number | null;
  options: CostOption[];
  recommendation: {
    kind: 'cloud' | 'vps' | 'dedicated' | 'hybrid' | 'vps-or-dedicated' | 'unknown';
    option?: string;
    monthly?: number;
    currency?: string;
    reasons: string[];
  };
  priceTableIsExample: boolean;
  notes: string[];
}

const DAY = 86400;

/** Per-day maxima (complete-enough days only). */
function dailyMaxima(x: Num, start: number, step: number): number[] {
  const per = Math.round(DAY / step);
  const out: number[] = [];
  const off = Math.round(((DAY - (start % DAY)) % DAY) / step);
  for (let d = off; d + per <= x.length; d += per) {
    let m = -Infinity,
      n = 0;
    for (let k = d; k < d + per; k++) {
      const v = x[k];
      if (v === v) {
        n++;
        if (v > m) m = v;
      }
    }
    if (n >= per * 0.8) out.push(m);
  }
  return out;
}

export interface AdviseOptions {
  headroom?: number;
  /** The workload can be spread over several servers (default false: one server must hold the peak). */
  scaleOut?: boolean;
}

/** Fewer usable samples than this (an hour at a 5-minute step) give no recommendation. */
export const MIN_SAMPLES = 12;

export function adviseSeries(s: Series, prices?: PriceTable, opts: AdviseOptions = {}): Advice {
  const x = s.values,
    step = s.step;
  const sm = summarize(x);
  const sorted = Float64Array.from(x)
    .filter((v) => v === v)
    .sort();
  const q = (p: number) =>
    sorted.length
      ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]
      : NaN;
  const p995 = q(0.995),
    p1 = q(0.01);
  const headroom = opts.headroom ?? prices?.headroom ?? 0.2;
  const dayLag = Math.round(DAY / step),
    weekLag = 7 * dayLag;
  const dailyAc = DAY % step === 0 ? autocorr(x, dayLag) : NaN;
  const weeklyAc = DAY % step === 0 ? autocorr(x, weekLag) : NaN;
  const dailyStr = seasonalStrength(x, dayLag),
    weeklyStr = seasonalStrength(x, weekLag);
  const notes: string[] = [];
  const days = (x.length * step) / DAY;
  if (days < 7)
    notes.push(
      `Only ${days.toFixed(1)} days of data: weekly pattern unknown; the peak estimate is uncertain (VPA widens its bounds by (1 + 1/days)).`,
    );
  const swing = sm.mean > 0 ? (sm.p99 - p1) / sm.mean : NaN;
  const steady = sm.p99ToMean < 1.5 && sm.cv < 0.25;
  const regular = dailyStr >= 0.5 || dailyAc >= 0.5 || weeklyAc >= 0.5;
  const pattern: Advice['seasonality']['pattern'] = steady
    ? 'steady'
    : regular
      ? 'regular'
      : 'irregular';
  // peak to size for: AWS-style p99.5 + headroom; VPA-style p90 of daily peaks + 15 %; Gumbel 30-day return level of daily maxima
  const dm = dailyMaxima(x, s.start, step).sort((a, b) => a - b);
  const dmP90 = dm.length
    ? dm[Math.min(dm.length - 1, Math.ceil(0.9 * dm.length) - 1)] * 1.15
    : NaN;
  let gumbel = NaN;
  if (dm.length >= 5) {
    const m = dm.reduce((a, b) => a + b, 0) / dm.length;
    const sd = Math.sqrt(dm.reduce((a, b) => a + (b - m) ** 2, 0) / (dm.length - 1));
    const beta = (sd * Math.sqrt(6)) / Math.PI,
      mu = m - 0.5772 * beta;
    gumbel = mu - beta * Math.log(-Math.log(1 - 1 / 30));
  }
  const sizing = Math.max(p995 * (1 + headroom), Number.isFinite(dmP90) ? dmP90 : 0);
  const adv: Advice = {
    series: s.name,
    unit: prices?.unit ?? (s.unit && s.unit !== 'unknown' ? s.unit : 'unit'),
    step,
    days,
    samples: sm.n,
    gaps: sm.gaps,
    stats: {
      mean: sm.mean,
      p50: sm.p50,
      p95: sm.p95,
      p99: sm.p99,
      max: sm.max,
      cv: sm.cv,
      peakToMean: sm.peakToMean,
      p99ToMean: sm.p99ToMean,
      swing,
      dutyCycle: fractionAbove(x, sm.mean + 2 * sm.std),
    },
    seasonality: {
      dailyAutocorr: dailyAc,
      weeklyAutocorr: weeklyAc,
      dailyStrength: dailyStr,
      weeklyStrength: weeklyStr,
      pattern,
    },
    expectedPeak: {
      p995Headroom: p995 * (1 + headroom),
      dailyPeakP90: dmP90,
      gumbel30d: gumbel,
      sizing,
      headroom,
    },
    utilityPremium: null,
    options: [],
    recommendation: { kind: 'unknown', reasons: [] },
    priceTableIsExample: !!prices?.example,
    notes,
  };
  const reasons = adv.recommendation.reasons;
  if (sm.n < MIN_SAMPLES || !Number.isFinite(sm.cv)) {
    // variability from a handful of points is noise (CV NaN with one point): no verdict rather than a made-up one
    reasons.push(
      `too little data: ${sm.n} usable samples (${sm.gaps} gaps); at least ${MIN_SAMPLES} are needed for a recommendation`,
    );
    return adv;
  }
  const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
  reasons.push(
    `usage varies: CV ${sm.cv.toFixed(2)}, p99/mean ${sm.p99ToMean.toFixed(2)}, peak/mean ${sm.peakToMean.toFixed(2)} (p1..p99 spans ${pct(swing)} of the mean)`,
  );
  reasons.push(
    pattern === 'steady'
      ? 'steady: a fixed server sized for the peak is well used'
      : pattern === 'regular'
        ? `varies with a regular pattern (daily autocorrelation ${dailyAc.toFixed(2)}, seasonal strength ${dailyStr.toFixed(2)}): peaks are predictable, so a fixed size or scheduled scaling works`
        : `varies irregularly (daily autocorrelation ${Number.isFinite(dailyAc) ? dailyAc.toFixed(2) : 'n/a'}): peaks come unannounced; pay-per-use can pay off`,
  );
  if (!prices) {
    adv.recommendation.kind =
      pattern === 'irregular' && sm.p99ToMean > 3 ? 'cloud' : 'vps-or-dedicated';
    reasons.push('no price table: verdict from the shape only (give --prices for costs)');
    return adv;
  }
  const H = prices.hoursPerMonth;
  for (const c of prices.cloud) {
    // capacity follows demand step by step, with headroom, in whole units of `granularity`
    let sum = 0,
      n = 0;
    for (let k = 0; k < x.length; k++) {
      const v = x[k];
      if (v !== v) continue;
      sum += Math.max(c.minUnits, Math.ceil((v * (1 + headroom)) / c.granularity) * c.granularity);
      n++;
    }
    const units = n ? sum / n : NaN;
    adv.options.push({
      kind: 'cloud',
      name: c.name,
      units,
      count: 1,
      monthly: units * c.perUnitHour * H,
      utilisation: sm.mean / units,
      note: 'autoscaled to demand at the data step (an ideal lower bound)',
    });
  }
  for (const kind of ['vps', 'dedicated'] as const) {
    for (const p of prices[kind]) {
      const count = Math.max(1, Math.ceil(sizing / p.units - 1e-9));
      adv.options.push({
        kind,
        name: p.name,
        units: p.units * count,
        count,
        monthly: p.monthly * count,
        utilisation: sm.mean / (p.units * count),
        note:
          count > 1
            ? `${count} × ${p.name}: only if the workload spreads over ${count} servers`
            : undefined,
      });
    }
  }
  // one server must hold the peak unless the workload scales out
  const eligible = (o: CostOption) =>
    opts.scaleOut ||
    o.kind === 'cloud' ||
    o.count === 1 ||
    !adv.options.some((x) => x.kind !== 'cloud' && x.kind !== 'hybrid' && x.count === 1);
  const owned = adv.options.filter((o) => o.kind !== 'cloud' && eligible(o));
  const cheapestOwnedPerUnit = Math.min(
    ...[...prices.vps, ...prices.dedicated].map((p) => p.monthly / p.units),
  );
  const cloudPerUnit = Math.min(...prices.cloud.map((c) => c.perUnitHour * H));
  if (
    Number.isFinite(cheapestOwnedPerUnit) &&
    Number.isFinite(cloudPerUnit) &&
    cheapestOwnedPerUnit > 0
  ) {
    const U = cloudPerUnit / cheapestOwnedPerUnit;
    adv.utilityPremium = U;
    reasons.push(
      `utility premium U = ${U.toFixed(2)} (cloud ${prices.currency} ${cloudPerUnit.toFixed(2)} vs owned ${cheapestOwnedPerUnit.toFixed(2)} per ${prices.unit}-month); pay-per-use wins only when peak/mean (${sm.peakToMean.toFixed(2)}) exceeds it`,
    );
    // hybrid: own the level exceeded more than 1/U of the time (bought as real plans), rent the rest
    if (U > 1) {
      const owned = cheapestOwned(prices, q(1 - 1 / U) * (1 + headroom));
      if (owned) {
        let excess = 0,
          n = 0;
        for (let k = 0; k < x.length; k++) {
          const v = x[k];
          if (v === v) {
            excess += Math.max(0, v * (1 + headroom) - owned.units);
            n++;
          }
        }
        const cloud = (n ? excess / n : 0) * cloudPerUnit;
        if (cloud > 0)
          adv.options.push({
            kind: 'hybrid',
            name: `${owned.name} + cloud burst`,
            units: owned.units,
            count: owned.count,
            monthly: owned.monthly + cloud,
            utilisation: NaN,
            note: `own ${owned.units} ${prices.unit}, rent the part above it`,
          });
      }
    }
  }
  const all = adv.options
    .filter((o) => Number.isFinite(o.monthly) && eligible(o))
    .sort((a, b) => a.monthly - b.monthly);
  const best = all[0];
  if (!best) {
    reasons.push('price table has no usable options');
    return adv;
  }
  const bestOwned = owned.sort((a, b) => a.monthly - b.monthly)[0];
  let pick = best;
  // steady usage gains nothing from paying per use; regular usage only when that is clearly (> 10 %) cheaper
  if (
    bestOwned &&
    (best.kind === 'cloud' || best.kind === 'hybrid') &&
    (pattern === 'steady' || (pattern === 'regular' && best.monthly > bestOwned.monthly * 0.9))
  )
    pick = bestOwned;
  adv.recommendation = {
    kind: pick.kind,
    option: pick.name,
    monthly: pick.monthly,
    currency: prices.currency,
    reasons,
  };
  reasons.push(
    `sized for ${sizing.toFixed(2)} ${prices.unit} (max of p99.5 + ${pct(headroom)} headroom and p90 of daily peaks + 15%)`,
  );
  reasons.push(
    `cheapest: ${best.name} (${best.kind}) at ${prices.currency} ${best.monthly.toFixed(2)}/month${pick !== best ? `; ${pick.name} (${pick.kind}) chosen: the usage is ${pattern}${pattern === 'regular' ? ' and paying per use saves under 10%' : ', so paying per use buys nothing'}` : ''}`,
  );
  if (prices.example)
    notes.push(
      'The price table is marked as an EXAMPLE: replace it with your own prices before deciding.',
    );
  return adv;
}

/** Cheapest way to own at least `level` units with one plan type (n × plan). */
function cheapestOwned(
  prices: PriceTable,
  level: number,
): { name: string; units: number; count: number; monthly: number } | undefined {
  let best: { name: string; units: number; count: number; monthly: number } | undefined;
  for (const p of [...prices.vps, ...prices.dedicated]) {
    const count = Math.max(1, Math.ceil(level / p.units - 1e-9));
    const m = p.monthly * count;
    if (!best || m < best.monthly)
      best = {
        name: count > 1 ? `${count} × ${p.name}` : p.name,
        units: p.units * count,
        count,
        monthly: m,
      };
  }
  return best;
}
