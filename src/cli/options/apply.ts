/**
 * Puts a table on a commander Command: one Option per entry with its parser and its help line,
 * each remembered with its entry so docs/options.md and the tests can walk the whole program.
 */
import { type Command, Option } from 'commander';
import { parserOf, rangeText } from './parse.js';
import type { OptionSpec, OptionTable } from './spec.js';

const SPECS = new WeakMap<Option, OptionSpec>();

/** The table entry a commander Option was built from (undefined for commander's own -h/-V). */
export function specOf(o: Option): OptionSpec | undefined {
  return SPECS.get(o);
}

/** "integer 1..255", "duration 1ms..60s", "auto|raw|dgram"; '' for text and switches. */
export function typeText(spec: OptionSpec): string {
  const r = rangeText(spec);
  const ranged = (t: string) => (r ? `${t} ${r}` : t);
  switch (spec.type) {
    case 'int':
      return ranged('integer');
    case 'number':
      return ranged('number');
    case 'duration':
      return ranged('duration') + (spec.bare === 's' ? ', bare number seconds' : '');
    case 'size':
      return ranged('size');
    case 'rate':
      return ranged('rate');
    case 'address':
      return 'IP address';
    case 'cidr':
      return 'CIDR';
    case 'enum':
      return (spec.choices ?? []).join('|');
    default:
      return '';
  }
}

/** How the default reads: its text, else the value ('' when there is none worth showing). */
export function defaultText(spec: OptionSpec): string {
  if (spec.defaultText !== undefined) return spec.defaultText;
  const d = spec.default;
  if (d === undefined || (Array.isArray(d) && d.length === 0) || typeof d === 'boolean') return '';
  return String(d);
}

/** The --help line: the help, then the type and range, then the default. */
export function helpLine(spec: OptionSpec): string {
  const t = typeText(spec);
  const d = defaultText(spec);
  return `${spec.help}${t ? ` [${t}]` : ''}${d ? ` (default: ${d})` : ''}`;
}

/** Add every option of the table to the command, in table order. */
export function applyOptions(cmd: Command, table: OptionTable): Command {
  for (const spec of Object.values(table)) {
    const o = new Option(spec.flags, helpLine(spec));
    // text is taken as given; a parser on a variadic flag (<files...>) must collect the values itself
    const variadic = spec.flags.includes('...');
    if (spec.type !== 'bool' && !spec.lazy && (spec.type !== 'string' || spec.repeat))
      o.argParser(parserOf(variadic && !spec.repeat ? { ...spec, repeat: true } : spec));
    if (spec.default !== undefined) o.default(spec.default);
    if (spec.mandatory) o.makeOptionMandatory();
    SPECS.set(o, spec);
    cmd.addOption(o);
  }
  return cmd;
}
