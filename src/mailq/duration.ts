/** Durations and sizes given on the command line: `90`, `90s`, `30m`, `2h`, `3d`, `1w`; `10k`, `2M`. */
import { usageError } from '../lib/errors.js';

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhdw]?)$/i.exec(s.trim());
  if (!m) throw usageError('MAILQ_BAD_DURATION', `not a duration: ${JSON.stringify(s)}`);
  return Math.round(Number(m[1]) * UNIT[(m[2] || 's').toLowerCase()]);
}

export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(s.trim());
  if (!m) throw usageError('MAILQ_BAD_SIZE', `not a size: ${JSON.stringify(s)}`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[
    m[2].toLowerCase() as '' | 'k' | 'm' | 'g'
  ];
  return Math.round(Number(m[1]) * mult);
}

/** A point in time for --since/--until: ISO date/time, or a duration meaning "that long ago". */
export function parseTimePoint(s: string, now = Date.now()): Date {
  if (/^\d+(?:\.\d+)?[smhdw]?$/i.test(s.trim())) return new Date(now - parseDuration(s) * 1000);
  const d = new Date(s.includes('T') || !/^\d{4}-\d\d-\d\d \d/.test(s) ? s : s.replace(' ', 'T'));
  if (Number.isNaN(d.getTime()))
    throw usageError('MAILQ_BAD_TIME', `not a time: ${JSON.stringify(s)}`);
  return d;
}
