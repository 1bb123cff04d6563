/**
 * Prometheus /api/v1/query_range answers: {"status":"success","data":{"resultType":"matrix",
 * "result":[{"metric":{...},"values":[[<unix>,"<value>"],...]}]}}. Values are strings; NaN and
 * +-Inf become stated gaps.
 */
import { HostopsError } from '../../lib/errors.js';
import { type ParseResult, type InputProblem, SeriesBuilder, finish, baseName } from './types.js';

export function seriesNameFromLabels(metric: Record<string, string>): string {
  const { __name__: n, ...rest } = metric;
  const keys = Object.keys(rest).sort();
  const body = keys.map((k) => `${k}="${rest[k]}"`).join(',');
  return `${n ?? ''}${body ? `{${body}}` : ''}`;
}

export function parsePrometheus(text: string, source: string): ParseResult {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new HostopsError(
      'CAPACITY_BAD_INPUT',
      `Cannot parse ${source} as JSON: ${(e as Error).message}`,
      { where: source },
    );
  }
  if (doc?.status && doc.status !== 'success') {
    throw new HostopsError(
      'CAPACITY_BAD_INPUT',
      `Prometheus answer in ${source} has status ${JSON.stringify(doc.status)}: ${doc.error ?? ''}`,
      { where: source },
    );
  }
  const data = doc?.data ?? doc;
  if (data?.resultType !== 'matrix' || !Array.isArray(data.result)) {
    throw new HostopsError(
      'CAPACITY_BAD_INPUT',
      `${source} is not a range-query matrix (resultType ${JSON.stringify(data?.resultType)})`,
      {
        where: source,
        hint: 'use /api/v1/query_range, not /api/v1/query',
      },
    );
  }
  const problems: InputProblem[] = [];
  const series = data.result.map((r: any, k: number) => {
    const labels: Record<string, string> = r.metric ?? {};
    const name = seriesNameFromLabels(labels) || `${baseName(source)}.${k + 1}`;
    const b = new SeriesBuilder(name);
    const values: unknown[] = Array.isArray(r.values) ? r.values : [];
    let bad = 0;
    values.forEach((p: any, j) => {
      const t = Number(p?.[0]);
      const v = Number(p?.[1]);
      if (!Number.isFinite(t)) {
        problems.push({
          where: `${source}: data.result[${k}].values[${j}]`,
          message: 'timestamp is not a number; skipped',
        });
        return;
      }
      if (!Number.isFinite(v)) bad++;
      b.push(t, Number.isFinite(v) ? v : NaN);
    });
    if (bad)
      problems.push({
        where: `${source}: data.result[${k}]`,
        message: `${bad} NaN/Inf values kept as gaps in ${name}`,
      });
    if (/_total$/.test(labels.__name__ ?? '')) {
      problems.push({
        where: `${source}: data.result[${k}]`,
        message: `${name} looks like a raw counter; query rate(...) or pass --counter 64`,
      });
    }
    return finish(b, source, 'unknown', { labels });
  });
  return { format: 'prometheus', series, problems };
}
