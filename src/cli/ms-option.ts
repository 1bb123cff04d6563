/**
 * The value parser of hostops' own time flags (ntp --timeout, amp --wait, bcp38 --wait): a
 * duration such as "2s" or "500ms"; a bare number stays milliseconds, what these flags took
 * before, so existing scripts keep working. Copied tools keep their own units (ping -W seconds).
 */
import { HostopsError } from '../lib/errors.js';
import { parseDuration } from '../lib/units.js';

const show = (ms: number) => (ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/** Milliseconds within min..max (ms), or BAD_OPTION naming the flag and the value given. */
export function msOption(name: string, min: number, max: number): (v: string) => number {
  return (v: string) => {
    const r = parseDuration(v, { out: 'ms' });
    if (!r.ok || r.value < min || r.value > max)
      throw HostopsError.of(
        'BAD_OPTION',
        name,
        v,
        `a duration ${show(min)}..${show(max)} such as 2s or 500ms (a bare number is ms)`,
      );
    return r.value;
  };
}
