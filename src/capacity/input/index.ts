/** Input loading: detect the format of a file, parse it, optionally turn counters into rates. */
import { readFileSync } from 'node:fs';
import { HostopsError } from '../../lib/errors.js';
import { parseCsv } from './csv.js';
import { parsePrometheus } from './prometheus.js';
import { parseRrdFetch, parseRrdXportXml, parseRrdXportJson } from './rrd.js';
import { parseMrtg } from './mrtg.js';
import { parseSadfD, parseSadfJson } from './sadf.js';
import { parseSnmp } from './snmp.js';
import { counterToRate } from './counter.js';
import type { InputFormat, InputProblem, LabeledSeries, ParseResult } from './types.js';

export type { InputFormat, InputProblem, LabeledSeries, ParseResult } from './types.js';
export { counterToRate } from './counter.js';
export { dirSource, type DirSource } from './dir.js';
export {
  parseCsv,
  parsePrometheus,
  parseRrdFetch,
  parseRrdXportXml,
  parseRrdXportJson,
  parseMrtg,
  parseSadfD,
  parseSadfJson,
  parseSnmp,
};

export const FORMATS: InputFormat[] = [
  'csv',
  'prometheus',
  'rrd-fetch',
  'rrd-xport-xml',
  'rrd-xport-json',
  'mrtg',
  'sadf-d',
  'sadf-json',
  'snmp',
];

/** Guess the format from the first bytes (and the name, for MRTG's .log). */
export function detectFormat(text: string, file = ''): InputFormat {
  const head = text.slice(0, 4096).replace(/^\uFEFF/, '');
  const t = head.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    if (/"sysstat"\s*:/.test(head)) return 'sadf-json';
    if (/"resultType"/.test(head) || /"status"\s*:\s*"/.test(head)) return 'prometheus';
    if (/RRDtool|["']?legend["']?\s*:/.test(head)) return 'rrd-xport-json';
    return 'prometheus';
  }
  if (t.startsWith('<')) return 'rrd-xport-xml';
  if (/^#\s*hostname;interval;timestamp/m.test(head)) return 'sadf-d';
  if (/=\s*Counter(32|64):/.test(head)) return 'snmp';
  const lines = t.split(/\r?\n/).filter((l) => l.trim());
  if (
    lines.length >= 2 &&
    /^\d+ \d+ \d+$/.test(lines[0].trim()) &&
    /^\d+ \d+ \d+ \d+ \d+$/.test(lines[1].trim())
  )
    return 'mrtg';
  // rrdtool fetch with its DS-name header cut off: every line is "epoch: v v ..."
  if (lines.length >= 1 && lines.slice(0, 8).every((l) => /^\d{9,}:\s/.test(l.trim())))
    return 'rrd-fetch';
  if (
    lines.length >= 2 &&
    /^[\w\s.-]+$/.test(lines[0]) &&
    !/\d{9}/.test(lines[0]) &&
    /^\d+:\s/.test(lines[1].trim())
  )
    return 'rrd-fetch';
  void file;
  return 'csv';
}

export interface LoadOptions {
  format?: InputFormat;
  /** Treat every loaded series as a counter of this width and convert to a per-second rate. */
  counter?: 32 | 64;
  maxRate?: number;
}

export function parseText(text: string, source: string, opts: LoadOptions = {}): ParseResult {
  const fmt = opts.format ?? detectFormat(text, source);
  let r: ParseResult;
  switch (fmt) {
    case 'csv':
      r = parseCsv(text, source);
      break;
    case 'prometheus':
      r = parsePrometheus(text, source);
      break;
    case 'rrd-fetch':
      r = parseRrdFetch(text, source);
      break;
    case 'rrd-xport-xml':
      r = parseRrdXportXml(text, source);
      break;
    case 'rrd-xport-json':
      r = parseRrdXportJson(text, source);
      break;
    case 'mrtg':
      r = parseMrtg(text, source);
      break;
    case 'sadf-d':
      r = parseSadfD(text, source);
      break;
    case 'sadf-json':
      r = parseSadfJson(text, source);
      break;
    case 'snmp':
      return parseSnmp(text, source, { bits: opts.counter, maxRate: opts.maxRate });
    default:
      throw new HostopsError('CAPACITY_BAD_FORMAT', `Unknown input format ${JSON.stringify(fmt)}`, {
        hint: `one of ${FORMATS.join(', ')}`,
      });
  }
  if (opts.counter) {
    const problems: InputProblem[] = [...r.problems];
    const series = r.series.map((s) => {
      const c = counterToRate(
        { name: s.name, source: s.source, unit: s.unit, labels: s.labels },
        s.times,
        Array.from(s.values),
        { bits: opts.counter!, maxRate: opts.maxRate },
      );
      for (const p of c.problems) problems.push(p); // no spread: 200k bad rows overflow the call stack
      return c.series;
    });
    r = { ...r, series, problems };
  }
  // rows whose every value is a gap or unreadable are no data: binary junk read as CSV gave
  // "0 samples, 1661040 gaps" and an advice on nothing
  if (!r.series.some((s) => s.values.some((v) => Number.isFinite(v)))) {
    throw new HostopsError(
      'CAPACITY_EMPTY_INPUT',
      `No usable values in ${source}: every value is a gap or unreadable`,
      {
        where: source,
        hint: r.problems[0]
          ? `first problem: ${r.problems[0].where}: ${r.problems[0].message}`
          : `read as ${r.format}; give --format if that is wrong`,
      },
    );
  }
  return r;
}

export interface Loaded {
  series: LabeledSeries[];
  problems: InputProblem[];
  files: { file: string; format: InputFormat; series: number }[];
}

/** Load many files; a file that cannot be read at all is a problem, the others still load. */
export function loadFiles(files: string[], opts: LoadOptions = {}): Loaded {
  const out: Loaded = { series: [], problems: [], files: [] };
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new HostopsError('CAPACITY_READ_FAILED', `Cannot read ${f}: ${(e as Error).message}`, {
        where: f,
      });
    }
    const r = parseText(text, f, opts);
    for (const s of r.series) out.series.push(s);
    for (const p of r.problems) out.problems.push(p); // no spread: 200k bad rows overflow the call stack
    out.files.push({ file: f, format: r.format, series: r.series.length });
  }
  return out;
}

/**
 * Find the series for a key from a topology/host file: exact name, then a label value equal to the
 * key (instance="vps1", iface="eth0"), then a name ending in ":key" or containing it as a token.
 */
export function matchSeries<T extends LabeledSeries>(key: string, all: T[]): T[] {
  const exact = all.filter((s) => s.name === key);
  if (exact.length) return exact;
  const byLabel = all.filter((s) => s.labels && Object.values(s.labels).includes(key));
  if (byLabel.length) return byLabel;
  const esc = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(^|[^\\w-])${esc}($|[^\\w-])`);
  return all.filter((s) => re.test(s.name));
}
