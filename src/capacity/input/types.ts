import type { RawSeries } from '../series.js';

/** A problem with one line or field of an input; the rest of the file is still used. */
export interface InputProblem {
  /** file:line, or file plus a JSON path. */
  where: string;
  message: string;
}

export interface ParseResult {
  format: InputFormat;
  series: LabeledSeries[];
  problems: InputProblem[];
}

export type LabeledSeries = RawSeries & { labels?: Record<string, string> };

export type InputFormat =
  | 'csv'
  | 'prometheus'
  | 'rrd-fetch'
  | 'rrd-xport-xml'
  | 'rrd-xport-json'
  | 'mrtg'
  | 'sadf-d'
  | 'sadf-json'
  | 'snmp';

/** Builder for one series out of appended points (no per-point objects kept). */
export class SeriesBuilder {
  times: number[] = [];
  values: number[] = [];
  intervals: number[] | null = null;
  constructor(readonly name: string) {}
  push(t: number, v: number, interval?: number): void {
    this.times.push(t);
    this.values.push(v);
    if (interval !== undefined) {
      (this.intervals ??= new Array(this.times.length - 1).fill(NaN)).push(interval);
    } else if (this.intervals) this.intervals.push(NaN);
  }
}

export function finish(
  b: SeriesBuilder,
  source: string,
  unit: RawSeries['unit'],
  extra: Partial<LabeledSeries> = {},
): LabeledSeries {
  return {
    name: b.name,
    source,
    unit,
    times: Float64Array.from(b.times),
    values: Float64Array.from(b.values),
    intervals: b.intervals ? Float64Array.from(b.intervals) : undefined,
    ...extra,
  };
}

/** Epoch seconds from a number (s or ms) or an ISO 8601 / "YYYY-MM-DD HH:MM:SS[ UTC]" string; NaN if neither. */
export function parseTime(s: string): number {
  if (s.length > 0 && s.length < 16 && plainNumber(s)) {
    const n = +s;
    if (Number.isFinite(n)) return n > 1e11 ? n / 1000 : n;
  }
  const t = s.trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return n > 1e11 ? n / 1000 : n;
  }
  let iso = t.replace(/ UTC$/, 'Z').replace(/^(\d{4}-\d{2}-\d{2}) (\d)/, '$1T$2');
  if (/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(iso)) iso += 'Z'; // no zone given: UTC
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? NaN : ms / 1000;
}

/** Cheap pre-check for the fast path: starts like a decimal number, no hex/binary/octal prefix, no spaces at the ends. */
function plainNumber(s: string): boolean {
  const c = s.charCodeAt(0),
    e = s.charCodeAt(s.length - 1);
  if (
    !((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) ||
    !((e >= 48 && e <= 57) || e === 46)
  )
    return false;
  const c1 = s.charCodeAt(1) | 32;
  return !(c === 48 && (c1 === 120 || c1 === 98 || c1 === 111));
}

const MISSING = new Set(['', 'nan', '-nan', 'null', 'u', 'unknown', 'na', 'n/a', 'none']);

/** A number, or NaN for a marked gap; undefined when the text is not a number at all. */
export function parseValue(s: string): number | undefined {
  if (s.length > 0 && plainNumber(s)) {
    const n = +s;
    if (Number.isFinite(n)) return n;
  }
  const t = s.trim();
  if (MISSING.has(t.toLowerCase())) return NaN;
  if (/^[+-]?inf(inity)?$/i.test(t)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined; // 1e400: not a usable number (inf/nan written out are gaps above)
}

export function baseName(file: string): string {
  return file.replace(/^.*\//, '').replace(/\.[^.]*$/, '');
}
