/**
 * CSV: long form `timestamp,series,value` or wide form `timestamp,a,b,c` (header names the series),
 * or headerless `timestamp,value`. Timestamps are epoch seconds, epoch milliseconds or ISO 8601 (UTC
 * when no zone). Empty cells, NaN, null and U are gaps; anything else that is not a number is a
 * named problem (file:line) and that cell is skipped.
 */
import { HostopsError } from '../../lib/errors.js';
import {
  type ParseResult,
  type InputProblem,
  SeriesBuilder,
  finish,
  parseTime,
  parseValue,
  baseName,
} from './types.js';

const TIME_COLS = new Set(['timestamp', 'time', 'ts', 'date', 'datetime', 'epoch', 't']);
const NAME_COLS = new Set(['series', 'name', 'id', 'customer', 'vm', 'host', 'metric', 'key']);
const VALUE_COLS = new Set(['value', 'v', 'val', 'rate', 'bps', 'bytes', 'usage']);

function splitCsv(line: string, sep: string): string[] {
  if (!line.includes('"')) return line.split(sep);
  const out: string[] = [];
  let cur = '',
    q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else q = false;
      } else cur += c;
    } else if (c === '"') q = true;
    else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function parseCsv(text: string, source: string): ParseResult {
  const lines = text.split(/\r?\n/);
  const problems: InputProblem[] = [];
  let i = 0;
  while (i < lines.length && (lines[i].trim() === '' || lines[i].startsWith('#'))) i++;
  if (i >= lines.length)
    throw new HostopsError('CAPACITY_EMPTY_INPUT', `No data in ${source}`, { where: source });
  const first = lines[i];
  const sep =
    first.includes(';') && !first.includes(',')
      ? ';'
      : first.includes('\t') && !first.includes(',')
        ? '\t'
        : ',';
  const cells = splitCsv(first, sep).map((c) => c.trim());
  const hasHeader = Number.isNaN(parseTime(cells[0]));
  let header: string[];
  if (hasHeader) {
    header = cells;
    i++;
  } else if (cells.length === 3 && parseValue(cells[1]) === undefined)
    header = ['timestamp', 'series', 'value'];
  else
    header = [
      'timestamp',
      ...cells
        .slice(1)
        .map((_, k) => (cells.length === 2 ? baseName(source) : `${baseName(source)}.${k + 1}`)),
    ];
  const lower = header.map((h) => h.toLowerCase());
  const tCol = lower.findIndex((h) => TIME_COLS.has(h));
  const nCol = lower.findIndex((h) => NAME_COLS.has(h));
  const vCol = lower.findIndex((h) => VALUE_COLS.has(h));
  const timeCol = tCol >= 0 ? tCol : 0;
  // long form: a name column and a value column (other columns, e.g. host, are ignored)
  const long = nCol >= 0 && vCol >= 0 && nCol !== timeCol;
  const builders = new Map<string, SeriesBuilder>();
  const get = (name: string) => {
    let b = builders.get(name);
    if (!b) {
      b = new SeriesBuilder(name);
      builders.set(name, b);
    }
    return b;
  };
  const wideCols = long ? [] : header.map((h, k) => ({ h, k })).filter((c) => c.k !== timeCol);
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = splitCsv(line, sep);
    const where = `${source}:${i + 1}`;
    const t = parseTime(f[timeCol] ?? '');
    if (Number.isNaN(t)) {
      problems.push({
        where,
        message: `timestamp ${JSON.stringify(f[timeCol] ?? '')} is not epoch seconds or ISO 8601; line skipped`,
      });
      continue;
    }
    if (long) {
      const name = (f[nCol] ?? '').trim();
      const v = parseValue(f[vCol] ?? '');
      if (!name) {
        problems.push({ where, message: 'empty series name; line skipped' });
        continue;
      }
      if (v === undefined) {
        problems.push({
          where,
          message: `value ${JSON.stringify(f[vCol])} is not a number; skipped`,
        });
        continue;
      }
      if (v < 0) {
        problems.push({
          where,
          message: `value ${v} is negative (rates, sizes and counters never are); skipped`,
        });
        continue;
      }
      get(name).push(t, v);
    } else {
      if (f.length !== header.length)
        problems.push({ where, message: `${f.length} fields, header has ${header.length}` });
      for (const { h, k } of wideCols) {
        const v = parseValue(f[k] ?? '');
        if (v === undefined) {
          problems.push({
            where,
            message: `column ${h}: ${JSON.stringify(f[k])} is not a number; skipped`,
          });
          continue;
        }
        if (v < 0) {
          problems.push({
            where,
            message: `column ${h}: value ${v} is negative (rates, sizes and counters never are); skipped`,
          });
          continue;
        }
        get(h).push(t, v);
      }
    }
  }
  const series = [...builders.values()].map((b) => finish(b, source, 'unknown'));
  if (!series.length || series.every((s) => s.times.length === 0)) {
    throw new HostopsError('CAPACITY_EMPTY_INPUT', `No usable rows in ${source}`, {
      where: source,
      hint: problems[0] ? `first problem: ${problems[0].where}: ${problems[0].message}` : undefined,
    });
  }
  return { format: 'csv', series, problems };
}
