/** Durations and sizes given on the command line: `90`, `90s`, `30m`, `2h`, `3d`, `1w`; `10k`, `2M`. */
import { usageError } from '../lib/errors.js';
import { parseDuration as parseDurationText, parseSize as parseSizeText } from '../lib/units.js';

/** Seconds, rounded to whole seconds; a bare number is seconds. */
export function parseDuration(s: string): number {
  const r = parseDurationText(s);
  if (!r.ok) throw usageError('MAILQ_BAD_DURATION', `not a duration: ${JSON.stringify(s)}`);
  return Math.round(r.value);
}

/** Bytes, rounded; K/M/G and KB/MB/GB are all 1024 powers, as exim counts message sizes. */
export function parseSize(s: string): number {
  const r = parseSizeText(s, { kb: 'binary' });
  if (!r.ok) throw usageError('MAILQ_BAD_SIZE', `not a size: ${JSON.stringify(s)}`);
  return Math.round(r.value);
}

/** A point in time for --since/--until: ISO date/time, or a duration meaning "that long ago". */
export function parseTimePoint(s: string, now = Date.now()): Date {
  if (parseDurationText(s).ok) return new Date(now - parseDuration(s) * 1000);
  const d = new Date(s.includes('T') || !/^\d{4}-\d\d-\d\d \d/.test(s) ? s : s.replace(' ', 'T'));
  if (Number.isNaN(d.getTime()))
    throw usageError('MAILQ_BAD_TIME', `not a time: ${JSON.stringify(s)}`);
  return d;
}
