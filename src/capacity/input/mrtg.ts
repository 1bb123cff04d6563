/**
 * MRTG .log (mrtg-logfile(1)): line 1 `time in_counter out_counter`, then `time avg_in avg_out
 * max_in max_out` in bytes/s, newest first, consolidating from 5-min to 30-min, 2-h and 1-day rows.
 * Each row covers the time back to the next (older) row, so the mixed resolutions stay honest.
 */
import { HostopsError } from '../../lib/errors.js';
import { type ParseResult, type InputProblem, SeriesBuilder, finish, baseName } from './types.js';

export function parseMrtg(text: string, source: string): ParseResult {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const problems: InputProblem[] = [];
  const head = (lines[0] ?? '').trim().split(/\s+/);
  if (head.length !== 3 || head.some((x) => !/^\d+$/.test(x))) {
    throw new HostopsError('CAPACITY_BAD_INPUT', `${source} line 1 is not "time in_counter out_counter"; not an MRTG log`, { where: `${source}:1` });
  }
  const rows: number[][] = [];
  const all = text.split(/\r?\n/);
  let seen = 0;
  for (let i = 0; i < all.length; i++) {
    const l = all[i].trim();
    if (!l) continue;
    if (seen++ === 0) continue;
    const f = l.split(/\s+/).map(Number);
    if (f.length !== 5 || f.some((x) => !Number.isFinite(x))) { problems.push({ where: `${source}:${i + 1}`, message: 'expected 5 numbers (time avg_in avg_out max_in max_out); skipped' }); continue; }
    rows.push(f);
  }
  rows.sort((a, b) => a[0] - b[0]);
  const file = baseName(source);
  const names = ['in', 'out', 'in.max', 'out.max'];
  const bs = names.map((n) => new SeriesBuilder(n));
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    if (k > 0 && r[0] === rows[k - 1][0]) continue;
    const iv = k > 0 ? r[0] - rows[k - 1][0] : (rows[1] ? rows[1][0] - r[0] : 300);
    for (let j = 0; j < 4; j++) bs[j].push(r[0], r[j + 1], iv);
  }
  const series = bs.map((b, j) => finish(b, source, 'B/s', { labels: { file, direction: names[j] } }));
  return { format: 'mrtg', series, problems };
}
