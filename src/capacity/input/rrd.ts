/**
 * rrdtool output: `fetch` text (DS names, blank line, `epoch: v v ...`, unknown as nan/-nan),
 * `xport` XML (<meta> start/step/legend, <row>[<t>]<v>...</row>) and `xport --json` (parsed leniently:
 * 1.4.x wrote unquoted keys and single quotes). A value stamped T covers [T - step, T).
 */
import { HostopsError } from '../../lib/errors.js';
import { typicalStep } from '../series.js';
import {
  type ParseResult,
  type InputProblem,
  type LabeledSeries,
  SeriesBuilder,
  finish,
  parseValue,
  baseName,
} from './types.js';

function build(
  names: string[],
  source: string,
  step: number,
  fmt: ParseResult['format'],
  rows: { t: number; v: number[] }[],
  problems: InputProblem[],
): ParseResult {
  const file = baseName(source);
  const series: LabeledSeries[] = names.map((n, k) => {
    const b = new SeriesBuilder(n);
    for (const r of rows) b.push(r.t, r.v[k] ?? NaN);
    return finish(b, source, 'unknown', { interval: step, labels: { file, ds: n } });
  });
  return { format: fmt, series, problems };
}

const FETCH_ROW = /^\d+:\s/;

export function parseRrdFetch(text: string, source: string): ParseResult {
  const lines = text.split(/\r?\n/);
  let i = 0;
  while (i < lines.length && lines[i].trim() === '') i++;
  const problems: InputProblem[] = [];
  const first = (lines[i] ?? '').trim();
  // `rrdtool fetch | tail -n +3` (or a grep) drops the DS-name header: the first line is then a row
  const headless = FETCH_ROW.test(first);
  let names: string[];
  if (headless) {
    const n = first.replace(FETCH_ROW, '').trim().split(/\s+/).length;
    names = Array.from({ length: n }, (_, k) => `ds${k}`);
    problems.push({
      where: `${source}:${i + 1}`,
      message: `no DS-name header line: the ${n} column(s) are named ${names.join(', ')}`,
    });
    i--;
  } else names = first.split(/\s+/).filter(Boolean);
  if (!names.length)
    throw new HostopsError('CAPACITY_EMPTY_INPUT', `No DS header in ${source}`, {
      where: `${source}:1`,
    });
  const rows: { t: number; v: number[] }[] = [];
  for (i++; i < lines.length; i++) {
    const l = lines[i].trim();
    if (!l) continue;
    const m = /^(\d+):\s*(.*)$/.exec(l);
    if (!m) {
      problems.push({
        where: `${source}:${i + 1}`,
        message: 'not an "epoch: values" row; skipped',
      });
      continue;
    }
    const f = m[2].split(/\s+/);
    const v = f.map((x) => parseValue(x));
    if (v.some((x) => x === undefined) || f.length !== names.length) {
      problems.push({
        where: `${source}:${i + 1}`,
        message: `expected ${names.length} numbers; bad fields kept as gaps`,
      });
    }
    rows.push({ t: Number(m[1]), v: v.map((x) => (x === undefined ? NaN : x)) });
  }
  const step = typicalStep(rows.map((r) => r.t));
  return build(names, source, Number.isFinite(step) ? step : 300, 'rrd-fetch', rows, problems);
}

const tag = (xml: string, name: string) =>
  new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(xml)?.[1];

export function parseRrdXportXml(text: string, source: string): ParseResult {
  const meta = /<meta>([\s\S]*?)<\/meta>/.exec(text)?.[1];
  if (!meta)
    throw new HostopsError('CAPACITY_BAD_INPUT', `No <meta> in ${source}; not rrdtool xport XML`, {
      where: source,
    });
  const start = Number(tag(meta, 'start'));
  const step = Number(tag(meta, 'step'));
  const names = [...meta.matchAll(/<entry>([\s\S]*?)<\/entry>/g)].map((m) => m[1].trim());
  if (!Number.isFinite(step) || !names.length)
    throw new HostopsError('CAPACITY_BAD_INPUT', `xport ${source} lacks <step> or <legend>`, {
      where: source,
    });
  const problems: InputProblem[] = [];
  const rows: { t: number; v: number[] }[] = [];
  let k = 0;
  for (const m of text.matchAll(/<row>([\s\S]*?)<\/row>/g)) {
    const t = tag(m[1], 't');
    // `xport --enumds` writes <v0>, <v1>, ... instead of <v>
    const v = [...m[1].matchAll(/<v(\d*)>\s*([^<]*?)\s*<\/v\1>/g)].map((x) => parseValue(x[2]));
    if (v.some((x) => x === undefined))
      problems.push({
        where: `${source}: row ${k + 1}`,
        message: 'non-numeric <v>; kept as a gap',
      });
    rows.push({
      t: t !== undefined ? Number(t) : start + k * step,
      v: v.map((x) => (x === undefined ? NaN : x)),
    });
    k++;
  }
  return build(names, source, step, 'rrd-xport-xml', rows, problems);
}

/** JSON.parse, then the repairs needed for rrdtool 1.4's non-standard JSON. */
function lenientJson(text: string, source: string): any {
  try {
    return JSON.parse(text);
  } catch {
    /* fall through to repairs */
  }
  const fixed = text
    .replace(/'/g, '"')
    .replace(/([{,]\s*)([A-Za-z_][\w-]*)\s*:/g, '$1"$2":')
    .replace(/\b(nan|NaN|-nan|inf|-inf)\b/g, 'null')
    .replace(/,(\s*[}\]])/g, '$1');
  try {
    return JSON.parse(fixed);
  } catch (e) {
    throw new HostopsError(
      'CAPACITY_BAD_INPUT',
      `Cannot parse ${source} as rrdtool xport JSON: ${(e as Error).message}`,
      { where: source },
    );
  }
}

export function parseRrdXportJson(text: string, source: string): ParseResult {
  const doc = lenientJson(text, source);
  const meta = doc?.meta;
  if (!meta || !Array.isArray(meta.legend) || !Array.isArray(doc.data)) {
    throw new HostopsError(
      'CAPACITY_BAD_INPUT',
      `${source} is not rrdtool xport JSON (meta.legend / data missing)`,
      { where: source },
    );
  }
  const start = Number(meta.start),
    step = Number(meta.step);
  const names: string[] = meta.legend.map(String);
  const problems: InputProblem[] = [];
  const rows = (doc.data as unknown[][]).map((r, k) => {
    const showtime = r.length === names.length + 1;
    const t = showtime ? Number(r[0]) : start + k * step;
    const vals = (showtime ? r.slice(1) : r).map((x) => (x === null ? NaN : Number(x)));
    return { t, v: vals };
  });
  return build(names, source, step, 'rrd-xport-json', rows, problems);
}
