/**
 * One grammar each for the human units hostops reads: durations, sizes and rates. Pure functions
 * returning a number or a typed failure; callers turn a failure into their own registered error
 * code, so messages and exit codes stay per command.
 *
 * Durations: a number with ms|s|m|min|h|d|w (any case, "m" is minutes), composites such as
 *   "1h30m" or "1h 30m", or a bare number in a unit the caller chooses (seconds in hostops.yaml,
 *   milliseconds for hostops' own --timeout/--wait flags).
 * Sizes (bytes): K/M/G/T/P and KiB/MiB/... are 1024 powers, as exim and exiqgrep count. An
 *   explicit "KB/MB/GB" is the caller's choice: 10^3 powers by default (SI, as disks and traffic
 *   are sold: capacity's "3.5GB" is 3.5e9), or 1024 powers (mailq, as exim counts message sizes).
 * Rates (bit/s): k/M/G/T/P are 1000 powers as iperf3 counts bits; Ki/Mi/Gi are 1024 powers;
 *   a "B/s", "Bps" or "B" unit is bytes (x8); "10GbE" is 10 Gbit/s.
 */

export interface UnitsFailure {
  ok: false;
  kind: 'duration' | 'size' | 'rate';
  input: string;
}
export type UnitsResult = { ok: true; value: number } | UnitsFailure;

export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w';

// each table is in the unit returned, so a single component is one multiplication (no rounding
// beyond what the callers had before)
const PER: Record<'s' | 'ms', Record<DurationUnit, number>> = {
  s: { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 },
  ms: { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 },
};

const NUM = String.raw`(?:\d+(?:\.\d+)?|\.\d+)`;
const BARE = new RegExp(`^${NUM}$`);
const COMPONENT = new RegExp(`(${NUM})\\s*(ms|min|s|m|h|d|w)\\s*`, 'iy');

export interface DurationOptions {
  /** unit of the returned number (default seconds) */
  out?: 's' | 'ms';
  /** unit of a bare number (default: the `out` unit) */
  bare?: DurationUnit;
}

/** "20s", "500ms", "1h30m", "5min", or a bare number in `bare` units; never negative. */
export function parseDuration(text: string, opts: DurationOptions = {}): UnitsResult {
  const per = PER[opts.out ?? 's'];
  const s = text.trim();
  if (BARE.test(s)) return { ok: true, value: Number(s) * per[opts.bare ?? opts.out ?? 's'] };
  COMPONENT.lastIndex = 0;
  let total = 0;
  let end = 0;
  let m: RegExpExecArray | null;
  while ((m = COMPONENT.exec(s)) !== null) {
    const u = m[2].toLowerCase();
    total += Number(m[1]) * per[(u === 'min' ? 'm' : u) as DurationUnit];
    end = COMPONENT.lastIndex;
  }
  return end > 0 && end === s.length ? { ok: true, value: total } : fail('duration', text);
}

const POW: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };
const EXP_NUM = String.raw`(?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?`;
const SIZE = new RegExp(`^(${EXP_NUM})\\s*(?:([kmgtp])(i?))?(b?)$`, 'i');

export interface SizeOptions {
  /** what an explicit "KB/MB/GB" means: 'si' (10^3 powers, default) or 'binary' (1024 powers) */
  kb?: 'si' | 'binary';
}

/** Bytes: "4096", "4G", "4GiB", "512MiB", "10k"; "3.5GB" per `kb`. */
export function parseSize(text: string, opts: SizeOptions = {}): UnitsResult {
  const m = SIZE.exec(text.trim());
  if (!m) return fail('size', text);
  const num = Number(m[1]);
  if (!m[2]) return { ok: true, value: num };
  const pow = POW[m[2].toLowerCase()];
  const si = m[3] === '' && m[4] !== '' && (opts.kb ?? 'si') === 'si';
  return { ok: true, value: num * (si ? 1000 ** pow : 1024 ** pow) };
}

const RATE = new RegExp(
  `^(${EXP_NUM})\\s*(?:([kmgtp])(i?))?\\s*(bit/s|bits/s|bps|b/s|bit|b|)$`,
  'i',
);

/** Bit/s: "1Gbit/s", "100 Mbps", "100M", "1Gib/s", "125MB/s" (bytes, x8), "10GbE". */
export function parseRate(text: string): UnitsResult {
  const m = RATE.exec(text.trim().replace(/gbe$/i, 'G'));
  if (!m) return fail('rate', text);
  const pow = m[2] ? POW[m[2].toLowerCase()] : 0;
  const mult = m[3] ? 1024 ** pow : 1000 ** pow;
  const bytes = m[4] === 'B/s' || m[4] === 'Bps' || m[4] === 'B';
  return { ok: true, value: Number(m[1]) * mult * (bytes ? 8 : 1) };
}

function fail(kind: UnitsFailure['kind'], input: string): UnitsFailure {
  return { ok: false, kind, input };
}
