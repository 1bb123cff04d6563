/**
 * Closed-form and exact models of a sum of independent sources: exact (binomial / convolution of
 * discrete distributions), Gaussian, and the Chernoff bound. Which one a report uses is stated with
 * it, with the reason it may be poor.
 */

/** Standard normal upper tail Q(z) = P(Z > z) (erfc, |error| < 1.2e-7). */
export function qfunc(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const y =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  const erfc = y;
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** Inverse of Q by bisection (enough for sizing). */
export function qinv(p: number): number {
  let lo = -40,
    hi = 40;
  for (let i = 0; i < 200; i++) {
    const m = (lo + hi) / 2;
    if (qfunc(m) > p) lo = m;
    else hi = m;
  }
  return (lo + hi) / 2;
}

/** A discrete distribution: values[k] with probability probs[k]. */
export interface Discrete {
  values: number[];
  probs: number[];
}

export function onOff(peak: number, p: number, base = 0): Discrete {
  return { values: [base, peak], probs: [1 - p, p] };
}

export function meanVar(d: Discrete): { mean: number; variance: number } {
  let m = 0,
    m2 = 0;
  for (let k = 0; k < d.values.length; k++) {
    m += d.probs[k] * d.values[k];
    m2 += d.probs[k] * d.values[k] ** 2;
  }
  return { mean: m, variance: Math.max(0, m2 - m * m) };
}

/** P(K >= k) for K ~ Binomial(n, p), summed in log space. */
export function binomialTail(n: number, p: number, k: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let logC = 0; // log C(n, 0)
  let sum = 0;
  for (let j = 0; j <= n; j++) {
    if (j > 0) logC += Math.log((n - j + 1) / j);
    if (j >= k) sum += Math.exp(logC + j * Math.log(p) + (n - j) * Math.log1p(-p));
  }
  return Math.min(1, sum);
}

/**
 * Exact distribution of a sum of independent discrete sources on a grid of `unit` (values are rounded
 * to the grid; choose unit as the gcd of the levels for an exact answer). Returns the pmf of the sum.
 */
export function convolve(sources: Discrete[], unit: number): Float64Array {
  let pmf = new Float64Array([1]);
  for (const s of sources) {
    const idx = s.values.map((v) => Math.round(v / unit));
    const maxI = Math.max(...idx);
    const next = new Float64Array(pmf.length + maxI);
    for (let a = 0; a < pmf.length; a++) {
      const pa = pmf[a];
      if (pa < 1e-300) continue;
      for (let k = 0; k < idx.length; k++) next[a + idx[k]] += pa * s.probs[k];
    }
    pmf = next;
  }
  return pmf;
}

/** P(S > c) and E[(S - c)+] from a pmf on the grid. */
export function tailOf(
  pmf: Float64Array,
  unit: number,
  c: number,
): { pOver: number; expectedExcess: number } {
  let p = 0,
    e = 0;
  for (let k = 0; k < pmf.length; k++) {
    const v = k * unit;
    if (v > c + 1e-9 * unit) {
      p += pmf[k];
      e += pmf[k] * (v - c);
    }
  }
  return { pOver: p, expectedExcess: e };
}

/** Gaussian approximation of P(S > c) for a sum with the given mean and variance. */
export function gaussianTail(mean: number, variance: number, c: number): number {
  if (variance <= 0) return mean > c ? 1 : 0;
  return qfunc((c - mean) / Math.sqrt(variance));
}

/** E[(S - c)+] for S Gaussian. */
export function gaussianExcess(mean: number, variance: number, c: number): number {
  if (variance <= 0) return Math.max(0, mean - c);
  const s = Math.sqrt(variance),
    z = (c - mean) / s;
  const phi = Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
  return s * phi - (c - mean) * qfunc(z);
}

/** Capacity for overflow probability eps under the Gaussian model: μ + σ·√(−2 ln ε) (Chernoff bound of a Gaussian). */
export function gaussianCapacity(mean: number, variance: number, eps: number): number {
  return mean + Math.sqrt(-2 * Math.log(eps) * variance);
}

/**
 * Chernoff bound P(S >= c) <= exp(inf_s [Σ log E e^{sX_i} − s c]) for independent sources.
 * Also returns s* and the Bahadur–Rao refinement (bound / (s* σ_s √(2π))), which is an estimate, not a bound.
 */
export function chernoff(
  sources: Discrete[],
  c: number,
): { bound: number; s: number; bahadurRao: number } {
  let scale = 0;
  for (const d of sources) scale = Math.max(scale, ...d.values.map(Math.abs));
  if (scale === 0) return { bound: c > 0 ? 0 : 1, s: 0, bahadurRao: c > 0 ? 0 : 1 };
  const cs = c / scale;
  // log MGF and its second derivative at s, values scaled to [0, 1] for stability
  const f = (s: number) => {
    let lm = 0,
      v2 = 0;
    for (const d of sources) {
      let mx = -Infinity;
      for (const v of d.values) mx = Math.max(mx, (s * v) / scale);
      let z = 0,
        z1 = 0,
        z2 = 0;
      for (let k = 0; k < d.values.length; k++) {
        const x = d.values[k] / scale,
          w = d.probs[k] * Math.exp(s * x - mx);
        z += w;
        z1 += w * x;
        z2 += w * x * x;
      }
      lm += mx + Math.log(z);
      v2 += z2 / z - (z1 / z) ** 2;
    }
    return { val: lm - s * cs, v2 };
  };
  let mean = 0;
  for (const d of sources) mean += meanVar(d).mean;
  if (c <= mean) return { bound: 1, s: 0, bahadurRao: 1 };
  let lo = 0,
    hi = 1;
  while (f(hi).val < f(hi / 2).val && hi < 1e6) hi *= 2;
  for (let i = 0; i < 200; i++) {
    const a = lo + (hi - lo) / 3,
      b = hi - (hi - lo) / 3;
    if (f(a).val < f(b).val) hi = b;
    else lo = a;
  }
  const s = (lo + hi) / 2;
  const r = f(s);
  const bound = Math.min(1, Math.exp(r.val));
  const br = s > 0 && r.v2 > 0 ? bound / (s * Math.sqrt(r.v2) * Math.sqrt(2 * Math.PI)) : bound;
  return { bound, s: s / scale, bahadurRao: Math.min(1, br) };
}

/**
 * Empirical effective bandwidth α(s,t) = (1/(s t)) log mean_k exp(s X_k) from a rate series, X_k the
 * work in consecutive blocks of `block` steps (Kelly 1996; Courcoubetis–Siris–Stamoulis estimator).
 */
export function effectiveBandwidth(
  x: Float64Array | Float32Array,
  step: number,
  block: number,
  s: number,
): number {
  const sums: number[] = [];
  for (let i = 0; i + block <= x.length; i += block) {
    let w = 0,
      ok = true;
    for (let j = i; j < i + block; j++) {
      const v = x[j];
      if (v !== v) {
        ok = false;
        break;
      }
      w += v * step;
    }
    if (ok) sums.push(w);
  }
  if (!sums.length) return NaN;
  const mx = Math.max(...sums.map((w) => s * w));
  let z = 0;
  for (const w of sums) z += Math.exp(s * w - mx);
  const t = block * step;
  return (mx + Math.log(z / sums.length)) / (s * t);
}
