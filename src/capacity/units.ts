/** Parsing and formatting of the human units found in topology and host files. */
import { HostopsError } from '../lib/errors.js';
import {
  parseDuration as parseDurationText,
  parseRate as parseRateText,
  parseSize as parseSizeText,
} from '../lib/units.js';

/**
 * A rate in bits per second. Accepts numbers (bit/s) and strings such as "1Gbit/s", "1 Gbps",
 * "100M", "10GbE", "125MB/s" (bytes, x8).
 */
export function parseRate(v: unknown, field = 'rate'): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  if (typeof v !== 'string') throw bad(field, v, 'a rate such as "1Gbit/s" or a number of bit/s');
  const r = parseRateText(v);
  if (!r.ok) throw bad(field, v, 'a rate such as "1Gbit/s", "100Mbps" or "125MB/s"');
  return r.value;
}

/** A size in bytes: numbers are bytes; "4GiB", "4G" (GiB, as RAM is sold), "3.5GB" (1e9), "512MiB", "2048M". */
export function parseBytes(v: unknown, field = 'size'): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  if (typeof v !== 'string') throw bad(field, v, 'a size such as "4GiB" or a number of bytes');
  const r = parseSizeText(v, { kb: 'si' });
  if (!r.ok) throw bad(field, v, 'a size such as "4GiB", "3.5GB" or "512MiB"');
  return r.value;
}

/** A duration in seconds: numbers are seconds; "5m", "1h", "2d", "300s", "1w". */
export function parseDuration(v: unknown, field = 'duration'): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  const r = typeof v === 'string' ? parseDurationText(v) : null;
  if (!r?.ok) throw bad(field, v, 'a duration such as "300", "5m", "1h" or "2d"');
  return r.value;
}

function bad(field: string, v: unknown, want: string): HostopsError {
  return new HostopsError(
    'CAPACITY_BAD_UNIT',
    `Cannot read ${field}: ${JSON.stringify(v)} is not ${want}`,
    { where: field },
  );
}

export function fmtRate(bps: number): string {
  if (!Number.isFinite(bps)) return '-';
  const a = Math.abs(bps);
  if (a >= 1e9) return `${trim(bps / 1e9)} Gbit/s`;
  if (a >= 1e6) return `${trim(bps / 1e6)} Mbit/s`;
  if (a >= 1e3) return `${trim(bps / 1e3)} kbit/s`;
  return `${trim(bps)} bit/s`;
}

export function fmtBytes(b: number): string {
  if (!Number.isFinite(b)) return '-';
  const a = Math.abs(b);
  if (a >= 2 ** 40) return `${trim(b / 2 ** 40)} TiB`;
  if (a >= 2 ** 30) return `${trim(b / 2 ** 30)} GiB`;
  if (a >= 2 ** 20) return `${trim(b / 2 ** 20)} MiB`;
  if (a >= 2 ** 10) return `${trim(b / 2 ** 10)} KiB`;
  return `${trim(b)} B`;
}

/** Data volume in decimal units (traffic is counted in GB/TB). */
export function fmtVolume(bytes: number): string {
  const a = Math.abs(bytes);
  if (a >= 1e12) return `${trim(bytes / 1e12)} TB`;
  if (a >= 1e9) return `${trim(bytes / 1e9)} GB`;
  if (a >= 1e6) return `${trim(bytes / 1e6)} MB`;
  return `${trim(bytes / 1e3)} kB`;
}

export function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '-';
  if (s >= 86400) return `${trim(s / 86400)} d`;
  if (s >= 3600) return `${trim(s / 3600)} h`;
  if (s >= 60) return `${trim(s / 60)} min`;
  return `${trim(s)} s`;
}

export function fmtRatio(r: number): string {
  return Number.isFinite(r) ? `${trim(r)}:1` : '-';
}

export function fmtPct(p: number, digits = 1): string {
  if (!Number.isFinite(p)) return '-';
  if (p > 0 && p * 100 < 10 ** -digits) return `<${10 ** -digits}%`;
  return `${(p * 100).toFixed(digits)}%`;
}

function trim(x: number): string {
  const a = Math.abs(x);
  const s = a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
  return s.replace(/\.0+$/, '').replace(/(\.\d*?)0+$/, '$1');
}
