/**
 * Raw SNMP counter polls, as a poller script writes them: one sample per line,
 *   `<epoch> <OID or name> = Counter64: <value>`   (timestamp followed by snmpget output), or
 *   `<epoch> <name> <counter> [<sysUpTime seconds>]`.
 * `<epoch> ... = Timeticks: (<ticks>) ...` lines give sysUpTime for reset detection.
 */
import { HostopsError } from '../../lib/errors.js';
import { counterToRate } from './counter.js';
import {
  type ParseResult,
  type InputProblem,
  type LabeledSeries,
  parseTime,
  baseName,
} from './types.js';

export interface SnmpOptions {
  bits?: 32 | 64;
  maxRate?: number;
}

export function parseSnmp(text: string, source: string, opts: SnmpOptions = {}): ParseResult {
  const problems: InputProblem[] = [];
  const per = new Map<string, { t: number[]; c: string[]; up: number[]; bits?: 32 | 64 }>();
  const uptimeAt = new Map<number, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (!l || l.startsWith('#')) continue;
    const where = `${source}:${i + 1}`;
    let m = /^(\S+)\s+(\S+)\s*=\s*Timeticks:\s*\((\d+)\)/.exec(l);
    if (m) {
      uptimeAt.set(parseTime(m[1]), Number(m[3]) / 100);
      continue;
    }
    m = /^(\S+)\s+(\S+)\s*=\s*Counter(32|64):\s*(\d+)/.exec(l);
    let t: number,
      name: string,
      c: string,
      up = NaN,
      bits: 32 | 64 | undefined;
    if (m) {
      t = parseTime(m[1]);
      name = m[2];
      c = m[4];
      bits = Number(m[3]) as 32 | 64;
    } else {
      const f = l.split(/[\s,;]+/);
      if (f.length < 2) {
        problems.push({
          where,
          message: 'expected "<epoch> <name> <counter> [<uptime s>]"; skipped',
        });
        continue;
      }
      t = parseTime(f[0]);
      if (f.length === 2) {
        name = baseName(source);
        c = f[1];
      } else {
        name = f[1];
        c = f[2];
        up = f[3] !== undefined ? Number(f[3]) : NaN;
      }
    }
    if (!Number.isFinite(t)) {
      problems.push({ where, message: 'bad timestamp; skipped' });
      continue;
    }
    if (!/^\d+$/.test(c)) {
      problems.push({
        where,
        message: `counter ${JSON.stringify(c)} is not an unsigned integer; skipped`,
      });
      continue;
    }
    let e = per.get(name);
    if (!e) {
      e = { t: [], c: [], up: [], bits };
      per.set(name, e);
    }
    e.t.push(t);
    e.c.push(c);
    e.up.push(up);
  }
  if (!per.size)
    throw new HostopsError('CAPACITY_EMPTY_INPUT', `No counter samples in ${source}`, {
      where: source,
    });
  const series: LabeledSeries[] = [];
  for (const [name, e] of per) {
    const bits = opts.bits ?? e.bits ?? (e.c.some((x) => BigInt(x) >= 2n ** 32n) ? 64 : 32);
    const up = e.up.map((u, k) => (Number.isFinite(u) ? u : (uptimeAt.get(e.t[k]) ?? NaN)));
    const r = counterToRate({ name, source, unit: 'B/s', labels: { name } }, e.t, e.c, {
      bits,
      maxRate: opts.maxRate,
      uptimes: up.some(Number.isFinite) ? up : undefined,
    });
    for (const p of r.problems) problems.push(p);
    series.push(r.series);
  }
  return { format: 'snmp', series, problems };
}
