/** Parsing of the human units hostops.yaml accepts: durations ("20s", "5m", "2d") and SLA bounds ("< 70 ms"). */
import { parseDuration as parseDurationText } from '../lib/units.js';

/** Seconds from a number (already seconds) or a string such as "90s", "5m", "1h30m"; null when invalid. */
export function parseDuration(v: string | number): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : null;
  const r = parseDurationText(v);
  return r.ok ? r.value : null;
}

export interface Bound {
  op: '<' | '<=';
  value: number;
}

/** An RTT bound such as "< 70 ms", "<=0.07s" or a bare number of milliseconds; value in seconds. */
export function parseRttBound(v: string | number): Bound | null {
  if (typeof v === 'number') return v > 0 ? { op: '<', value: v / 1000 } : null;
  const m = /^\s*(<=?)?\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s)?\s*$/.exec(v);
  if (!m) return null;
  const unit = m[3] ?? 'ms';
  const mult = unit === 's' ? 1 : unit === 'ms' ? 1e-3 : 1e-6;
  return { op: (m[1] as Bound['op']) ?? '<', value: Number(m[2]) * mult };
}

/** A loss bound such as "< 1%", "<= 0.5 %" or a ratio number (0.01); value as a ratio 0..1. */
export function parseLossBound(v: string | number): Bound | null {
  if (typeof v === 'number') return v >= 0 && v <= 1 ? { op: '<', value: v } : null;
  const m = /^\s*(<=?)?\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
  if (!m) return null;
  const pct = Number(m[2]);
  return pct <= 100 ? { op: (m[1] as Bound['op']) ?? '<', value: pct / 100 } : null;
}

export function meets(bound: Bound, x: number): boolean {
  return bound.op === '<' ? x < bound.value : x <= bound.value;
}

export function formatBound(b: Bound, unit: 'ms' | '%'): string {
  const v = unit === 'ms' ? b.value * 1000 : b.value * 100;
  return `${b.op} ${Number(v.toFixed(3))}${unit === 'ms' ? ' ms' : '%'}`;
}
