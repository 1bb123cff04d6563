/**
 * MRTG .log (mrtg-logfile(1)): line 1 `time in_counter out_counter`, then `time avg_in avg_out
 * max_in max_out` in bytes/s, newest first, consolidating from 5-min to 30-min, 2-h and 1-day rows.
 * Each row covers the time back to the next (older) row, so the mixed resolutions stay honest.
 *
 * A new log is created with every row of every tier (about two years) as "time 0 0 0 0": those rows
 * older than the first real sample are unfilled history, not idle traffic, and are left out (stated).
 * The max columns are the highest 5-min average inside a row, so `in.max`/`out.max` keep the peaks
 * that the averages of the 30-min, 2-h and 1-day rows smooth away; the series declare MRTG's native
 * 300 s step so that the default grid does not average them either.
 */
import { HostopsError } from '../../lib/errors.js';
import { type ParseResult, type InputProblem, SeriesBuilder, finish, baseName } from './types.js';

/** MRTG's finest row: 5 minutes. */
const MRTG_STEP = 300;

export function parseMrtg(text: string, source: string): ParseResult {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const problems: InputProblem[] = [];
  const head = (lines[0] ?? '').trim().split(/\s+/);
  if (head.length !== 3 || head.some((x) => !/^\d+$/.test(x))) {
    throw new HostopsError(
      'CAPACITY_BAD_INPUT',
      `${source} line 1 is not "time in_counter out_counter"; not an MRTG log`,
      { where: `${source}:1` },
    );
  }
  const rows: number[][] = [];
  const all = text.split(/\r?\n/);
  let seen = 0;
  for (let i = 0; i < all.length; i++) {
    const l = all[i].trim();
    if (!l) continue;
    if (seen++ === 0) continue;
    const f = l.split(/\s+/).map(Number);
    if (f.length !== 5 || f.some((x) => !Number.isFinite(x))) {
      problems.push({
        where: `${source}:${i + 1}`,
        message: 'expected 5 numbers (time avg_in avg_out max_in max_out); skipped',
      });
      continue;
    }
    rows.push(f);
  }
  rows.sort((a, b) => a[0] - b[0]);
  // the oldest rows that are all zero, up to the first real sample: MRTG's fill of a new log
  let firstReal = rows.findIndex((r) => r[1] !== 0 || r[2] !== 0 || r[3] !== 0 || r[4] !== 0);
  if (firstReal < 0) {
    problems.push({
      where: source,
      message: `every one of the ${rows.length} rows is zero: a new log (MRTG fills it with zeros) or an idle interface`,
    });
    firstReal = 0;
  } else if (firstReal > 0) {
    const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
    problems.push({
      where: source,
      message: `${firstReal} all-zero rows from ${iso(rows[0][0])} to ${iso(rows[firstReal - 1][0])}, older than the first real sample, left out: MRTG fills a new log with zeros (unfilled history, not idle traffic)`,
    });
  }
  const file = baseName(source);
  const names = ['in', 'out', 'in.max', 'out.max'];
  const bs = names.map((n) => new SeriesBuilder(n));
  for (let k = firstReal; k < rows.length; k++) {
    const r = rows[k];
    if (k > 0 && r[0] === rows[k - 1][0]) continue;
    const iv = k > 0 ? r[0] - rows[k - 1][0] : rows[1] ? rows[1][0] - r[0] : 300;
    for (let j = 0; j < 4; j++) bs[j].push(r[0], r[j + 1], iv);
  }
  const series = bs.map((b, j) =>
    finish(b, source, 'B/s', { interval: MRTG_STEP, labels: { file, direction: names[j] } }),
  );
  return { format: 'mrtg', series, problems };
}
