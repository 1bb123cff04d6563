/**
 * Values read by type: each option's parser is built from its table entry, so every command
 * refuses a bad value the same way (BAD_OPTION, exit 2, naming the flag and the value given).
 */
import { isIP } from 'node:net';
import { HostopsError } from '../../lib/errors.js';
import { parseDuration, parseRate, parseSize } from '../../lib/units.js';
import type { OptionSpec } from './spec.js';

/** The long flag ("--count"), else the short one. */
export function flagName(spec: OptionSpec): string {
  const words = spec.flags.split(/[ ,|]+/).filter((w) => w.startsWith('-'));
  return spec.name ?? words.find((w) => w.startsWith('--')) ?? words[0];
}

const msText = (ms: number) => (ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/** A bound as the user types it: durations with their unit, numbers as they are. */
function bound(spec: OptionSpec, n: number): string {
  if (spec.type !== 'duration') return String(n);
  return (spec.unit ?? 'ms') === 's' ? `${n}s` : msText(n);
}

/** "1..255", ">= 0", "above 0", or '' when the type has no range. */
export function rangeText(spec: OptionSpec): string {
  if (spec.above !== undefined) return `above ${bound(spec, spec.above)}`;
  if (spec.min !== undefined && spec.max !== undefined)
    return `${bound(spec, spec.min)}..${bound(spec, spec.max)}`;
  if (spec.min !== undefined) return `>= ${bound(spec, spec.min)}`;
  if (spec.max !== undefined) return `<= ${bound(spec, spec.max)}`;
  return '';
}

/** What a good value is, for the error message. */
export function expectedText(spec: OptionSpec): string {
  if (spec.expected) return spec.expected;
  const r = rangeText(spec);
  const sp = r ? ` ${r}` : '';
  switch (spec.type) {
    case 'int':
      return `an integer${sp}`;
    case 'number':
      return `a number${sp}`;
    case 'duration': {
      const bare = spec.bare ?? spec.unit ?? 'ms';
      return `a duration${sp} such as 2s or 500ms (a bare number is ${bare === 's' ? 'seconds' : bare})`;
    }
    case 'size':
      return `a size${sp} such as 4096, 64K or 1G`;
    case 'rate':
      return `a rate${sp} such as 100M or 1Gbit/s`;
    case 'address':
      return 'an IP address';
    case 'enum':
      return `one of ${(spec.choices ?? []).join(', ')}`;
    default:
      return 'a value';
  }
}

function inRange(spec: OptionSpec, n: number): boolean {
  if (!Number.isFinite(n)) return false;
  if (spec.above !== undefined && !(n > spec.above)) return false;
  if (spec.min !== undefined && n < spec.min) return false;
  return spec.max === undefined || n <= spec.max;
}

// Number() as the old validators read it ("0x10", " 5 "), but never "" (Number("") is 0)
const num = (v: string) => (v.trim() === '' ? Number.NaN : Number(v));

/** The value of one use of the option, or undefined when it does not read as its type. */
function convert(spec: OptionSpec, v: string): unknown {
  if (spec.read) {
    const n = spec.read(v);
    return n !== undefined && inRange(spec, n) ? n : undefined;
  }
  switch (spec.type) {
    case 'int': {
      const n = num(v);
      return Number.isInteger(n) && inRange(spec, n) ? n : undefined;
    }
    case 'number': {
      const n = num(v);
      return inRange(spec, n) ? n : undefined;
    }
    case 'duration': {
      const unit = spec.unit ?? 'ms';
      const r = parseDuration(v, { out: unit, bare: spec.bare ?? unit });
      return r.ok && inRange(spec, r.value) ? r.value : undefined;
    }
    case 'size': {
      const r = parseSize(v, { kb: spec.kb });
      return r.ok && inRange(spec, r.value) ? r.value : undefined;
    }
    case 'rate': {
      const r = parseRate(v);
      return r.ok && inRange(spec, r.value) ? r.value : undefined;
    }
    case 'address':
      return isIP(v) ? v : undefined;
    case 'enum':
      return spec.choices?.includes(v) ? v : undefined;
    default:
      return v;
  }
}

/** Read one value of the option, or throw its BAD_OPTION (or the command's own error). */
export function readOption(spec: OptionSpec, v: string): unknown {
  const value = convert(spec, v);
  if (value !== undefined) return value;
  if (spec.error) throw spec.error(v);
  throw HostopsError.of('BAD_OPTION', flagName(spec), v, expectedText(spec));
}

/** commander's argParser for the option: one value, or each use added to the list. */
export function parserOf(spec: OptionSpec): (v: string, prev: unknown) => unknown {
  if (!spec.repeat) return (v) => readOption(spec, v);
  return (v, prev) => {
    const parts = spec.repeat === 'comma' ? v.split(',').map((s) => s.trim()) : [v];
    const before = Array.isArray(prev) ? prev : [];
    const kept = spec.repeat === 'comma' ? parts.filter((s) => s !== '') : parts;
    return [...before, ...kept.map((s) => readOption(spec, s))];
  };
}
