/**
 * Counters to rates. SNMP IF-MIB octet counters are Counter32 (ifInOctets, wraps every 34.4 s at
 * 1 Gbit/s) or Counter64 (ifHCInOctets). A decrease is either a wrap (32-bit: add 2^32 when the result
 * is plausible) or a reset (agent restart, sysUpTime went back, 64-bit decrease): a reset interval is
 * left as a stated gap, never turned into a spike or a zero.
 */
import type { InputProblem, LabeledSeries } from './types.js';

export interface CounterOptions {
  bits: 32 | 64;
  /** Highest plausible rate in counter units per second (e.g. line rate in bytes/s). */
  maxRate?: number;
  /** sysUpTime in seconds at each sample, for reset detection. */
  uptimes?: ArrayLike<number>;
}

export interface CounterResult {
  series: LabeledSeries;
  wraps: number;
  resets: number;
  problems: InputProblem[];
}

const TWO32 = 2n ** 32n;
const TWO64 = 2n ** 64n;

function toBig(x: bigint | number | string): bigint | null {
  try {
    if (typeof x === 'bigint') return x;
    if (typeof x === 'number') return Number.isInteger(x) && x >= 0 ? BigInt(x) : null;
    const s = x.trim();
    return /^\d+$/.test(s) ? BigInt(s) : null;
  } catch {
    return null;
  }
}

export function counterToRate(
  base: Omit<LabeledSeries, 'values' | 'times' | 'intervals'>,
  times: ArrayLike<number>,
  counters: ArrayLike<bigint | number | string>,
  opts: CounterOptions,
): CounterResult {
  const n = times.length;
  const problems: InputProblem[] = [];
  const t: number[] = [],
    v: number[] = [],
    iv: number[] = [];
  const mod = opts.bits === 32 ? TWO32 : TWO64;
  let wraps = 0,
    resets = 0;
  let prev: bigint | null = null,
    prevT = NaN,
    prevUp = NaN;
  const when = (x: number) => new Date(x * 1000).toISOString();
  for (let i = 0; i < n; i++) {
    const c = toBig(counters[i]);
    const ti = times[i];
    const up = opts.uptimes ? opts.uptimes[i] : NaN;
    if (c === null) {
      problems.push({
        where: `${base.source}: ${base.name} at ${when(ti)}`,
        message: `counter value ${JSON.stringify(String(counters[i]))} is not an unsigned integer; gap`,
      });
      prev = null;
      prevT = ti;
      continue;
    }
    if (prev !== null && ti > prevT) {
      const dt = ti - prevT;
      let d = c - prev;
      let reset = false;
      if (Number.isFinite(up) && Number.isFinite(prevUp) && up < prevUp) reset = true;
      else if (d < 0n) {
        const wrapped = d + mod;
        const rate = Number(wrapped) / dt;
        // A wrap is believable when it stays under the line rate, or (no line rate known) when it is
        // a small part of the counter range; a 64-bit counter does not wrap in practice.
        const plausible =
          opts.maxRate !== undefined
            ? rate <= opts.maxRate
            : opts.bits === 32
              ? wrapped < mod / 2n
              : wrapped < 2n ** 40n;
        if (plausible) {
          d = wrapped;
          wraps++;
        } else reset = true;
      }
      if (reset) {
        resets++;
        problems.push({
          where: `${base.source}: ${base.name} at ${when(ti)}`,
          message: `counter reset (${prev} -> ${c}${Number.isFinite(up) ? `, uptime ${prevUp}s -> ${up}s` : ''}); interval ${when(prevT)}..${when(ti)} left as a gap`,
        });
        t.push(ti);
        v.push(NaN);
        iv.push(dt);
      } else {
        const rate = Number(d) / dt;
        if (opts.maxRate !== undefined && rate > opts.maxRate * 1.01) {
          problems.push({
            where: `${base.source}: ${base.name} at ${when(ti)}`,
            message: `rate ${rate.toExponential(3)}/s exceeds the line rate; left as a gap (missed wraps or a reset)`,
          });
          t.push(ti);
          v.push(NaN);
          iv.push(dt);
        } else {
          t.push(ti);
          v.push(rate);
          iv.push(dt);
        }
      }
    }
    prev = c;
    prevT = ti;
    prevUp = up;
  }
  return {
    series: {
      ...base,
      times: Float64Array.from(t),
      values: Float64Array.from(v),
      intervals: Float64Array.from(iv),
    },
    wraps,
    resets,
    problems,
  };
}
