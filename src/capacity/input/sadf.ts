/**
 * sysstat `sadf -d` (semicolon rows under `# hostname;interval;timestamp;...` headers, one header per
 * activity, UTC unless -T/-t, epoch with -U) and `sadf -j` JSON. Units: kB/s and kB are KiB (x1024).
 * A value stamped T is the average over the `interval` seconds before T. LINUX-RESTART rows are
 * reported (counters restart there) and leave a gap.
 */
import { HostopsError } from '../../lib/errors.js';
import type { SeriesUnit } from '../series.js';
import {
  type ParseResult,
  type InputProblem,
  type LabeledSeries,
  SeriesBuilder,
  finish,
  parseTime,
  parseValue,
} from './types.js';

function unitOf(col: string, group = ''): { unit: SeriesUnit; k: number } {
  if (/kB\/s$/.test(col) || /^(rx|tx)kB$/.test(col)) return { unit: 'B/s', k: 1024 };
  if (/^kb/.test(col)) return { unit: 'B', k: 1024 };
  if (/^MBfs/.test(col)) return { unit: 'B', k: 1048576 };
  if (col.startsWith('%') || col.endsWith('-percent')) return { unit: 'percent', k: 1 };
  // sadf -j drops the % and /s that sadf -d prints: the group says what the column is
  if (group === 'cpu-load' || group === 'cpu-load-all') return { unit: 'percent', k: 1 };
  if (group === 'disk' && /^[rwd]kB$/.test(col)) return { unit: 'B/s', k: 1024 };
  if (group === 'memory') return { unit: 'B', k: 1024 };
  return { unit: 'count', k: 1 };
}

class Collector {
  private map = new Map<
    string,
    { b: SeriesBuilder; unit: SeriesUnit; k: number; labels: Record<string, string> }
  >();
  add(
    name: string,
    labels: Record<string, string>,
    unit: { unit: SeriesUnit; k: number },
    t: number,
    v: number,
    interval: number,
  ): void {
    let e = this.map.get(name);
    if (!e) {
      e = { b: new SeriesBuilder(name), ...unit, labels };
      this.map.set(name, e);
    }
    e.b.push(t, v * e.k, interval);
  }
  done(source: string): LabeledSeries[] {
    return [...this.map.values()].map((e) => finish(e.b, source, e.unit, { labels: e.labels }));
  }
}

/**
 * Columns of `sadf -d` that name an instance rather than measure it (sysstat prints them in capitals:
 * CPU, INTR, TTY, DEV, IFACE, FCHOST, BAT, FILESYSTEM, ...). Their values are often numbers (CPU -1/0/1,
 * TTY 0, INTR 24), so they are keys by header, not by value.
 */
const KEY_HEADER = /^[A-Z][A-Z0-9_-]*$/;

/** The `INTR;CPU*` activity: one column per selected online CPU, named as `sadf -j` names them. */
function cpuColumns(n: number, cpus: string[] | undefined): string[] | null {
  if (cpus && cpus.length === n) return cpus.map((c) => (c === 'all' ? 'all' : `CPU${c}`));
  return null;
}

export function parseSadfD(text: string, source: string): ParseResult {
  const lines = text.split(/\r?\n/);
  const problems: InputProblem[] = [];
  const col = new Collector();
  let header: string[] | null = null;
  let keyCols: boolean[] = [];
  let starCols = false;
  // CPUs listed by the CPU activity per timestamp (-P ALL), to name the INTR;CPU* columns
  const cpusAt = new Map<string, string[]>();
  let positional = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (!l.trim()) continue;
    if (l.startsWith('#')) {
      header = l.replace(/^#\s*/, '').split(';');
      keyCols = header.map((h, c) => c >= 3 && KEY_HEADER.test(h));
      starCols = header[header.length - 1] === 'CPU*';
      continue;
    }
    const f = l.split(';');
    const where = `${source}:${i + 1}`;
    if (!header) {
      problems.push({
        where,
        message: 'row before any "# hostname;interval;timestamp;..." header; skipped',
      });
      continue;
    }
    if (/RESTART/.test(l)) {
      problems.push({
        where,
        message: `system restart at ${f[2]}: counters restart, interval left as a gap`,
      });
      continue;
    }
    const host = f[0],
      interval = Number(f[1]),
      t = parseTime(f[2] ?? '');
    if (!Number.isFinite(t) || !Number.isFinite(interval)) {
      problems.push({ where, message: 'bad interval or timestamp; skipped' });
      continue;
    }
    const keys: string[] = [];
    const labels: Record<string, string> = { host };
    const names: string[] = [];
    for (let c = 3; c < f.length; c++) {
      const h = header[c] ?? `col${c}`;
      names.push(h);
      if (!keyCols[c] || h === 'CPU*') continue;
      // CPU -1 is the all-CPU line; sadf -j calls it "all"
      const key = h === 'CPU' && f[c] === '-1' ? 'all' : f[c];
      keys.push(key);
      labels[h.toLowerCase()] = key;
      if (h === 'CPU') {
        let list = cpusAt.get(f[2]);
        if (!list) {
          list = [];
          cpusAt.set(f[2], list);
        }
        if (!list.includes(key)) list.push(key);
      }
    }
    if (starCols) {
      // INTR;CPU*: the values after INTR are per CPU; the header does not say which
      const n = f.length - 4;
      const named = cpuColumns(n, cpusAt.get(f[2]));
      if (!named && n > 1) positional++;
      for (let k = 0; k < n; k++) names[k + 1] = named ? named[k] : k === 0 ? 'all' : `CPU${k - 1}`;
    }
    for (let c = 3; c < f.length; c++) {
      if (keyCols[c] && !(starCols && c > 3)) continue;
      const h = names[c - 3];
      const v = parseValue(f[c]);
      if (v === undefined) {
        labels[h.toLowerCase()] = f[c];
        continue;
      } // a text column (USB manufacturer, battery status)
      const name = [host, ...keys, h].join(':');
      col.add(name, { ...labels, column: h }, unitOf(h), t, v, interval);
    }
  }
  if (positional)
    problems.push({
      where: source,
      message: `${positional} INTR;CPU* row(s) name their columns by position (all, CPU0, ...): the CPU activity of the same interval (sadf -d -- -u -P ALL -I ALL) was not there to name them`,
    });
  const series = col.done(source);
  if (!series.length)
    throw new HostopsError('CAPACITY_EMPTY_INPUT', `No sadf -d rows in ${source}`, {
      where: source,
    });
  return { format: 'sadf-d', series, problems };
}

const KEY_FIELDS = [
  'iface',
  'cpu',
  'disk-device',
  'dev',
  'filesystem',
  'intr',
  'line',
  'number',
  'fchost',
  'bat',
  'bus',
];

export function parseSadfJson(text: string, source: string): ParseResult {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new HostopsError(
      'CAPACITY_BAD_INPUT',
      `Cannot parse ${source} as sadf -j JSON: ${(e as Error).message}`,
      { where: source },
    );
  }
  const hosts = doc?.sysstat?.hosts;
  if (!Array.isArray(hosts))
    throw new HostopsError('CAPACITY_BAD_INPUT', `${source} has no sysstat.hosts[]`, {
      where: source,
    });
  const problems: InputProblem[] = [];
  const col = new Collector();
  hosts.forEach((h: any, hi: number) => {
    const host = String(h.nodename ?? `host${hi}`);
    (h.statistics ?? []).forEach((st: any, si: number) => {
      const ts = st.timestamp ?? {};
      const t = parseTime(`${ts.date} ${ts.time}${ts.utc === 0 ? '' : ' UTC'}`);
      const interval = Number(ts.interval);
      if (!Number.isFinite(t)) {
        problems.push({
          where: `${source}: hosts[${hi}].statistics[${si}]`,
          message: 'bad timestamp; skipped',
        });
        return;
      }
      const walk = (obj: any, path: string[], group: string, labels: Record<string, string>) => {
        for (const [k, v] of Object.entries(obj)) {
          if (k === 'timestamp') continue;
          if (typeof v === 'number') {
            const name = [host, ...path, k].join(':');
            col.add(name, { ...labels, host, column: k }, unitOf(k, group), t, v, interval);
          } else if (Array.isArray(v)) {
            for (const item of v) {
              if (!item || typeof item !== 'object') continue;
              const kf = KEY_FIELDS.find((f) => f in item);
              const key = kf ? String(item[kf]) : '';
              const rest = { ...item };
              if (kf) delete rest[kf];
              walk(
                rest,
                key ? [...path, key] : path,
                group || k,
                kf ? { ...labels, [kf]: key } : labels,
              );
            }
          } else if (v && typeof v === 'object') walk(v, [...path, k], group || k, labels);
        }
      };
      walk(st, [], '', {});
    });
    if (Array.isArray(h.restarts) && h.restarts.length)
      problems.push({
        where: `${source}: hosts[${hi}].restarts`,
        message: `${h.restarts.length} system restart(s): gaps around them`,
      });
  });
  const series = col.done(source);
  if (!series.length)
    throw new HostopsError('CAPACITY_EMPTY_INPUT', `No statistics in ${source}`, { where: source });
  return { format: 'sadf-json', series, problems };
}
