/**
 * Ping rounds into PostgreSQL at fleet scale: one multi-row INSERT (unnest of column arrays) per
 * chunk into the day-partitioned table, whose partitions exist ahead of time. The statement is
 * prepared once per connection (a batch is then one round trip, no parse or plan), and the array
 * literals are built here: the driver's generic array serializer quotes and regex-escapes every
 * number, which cost more client CPU than the rest of the batch.
 */
import type { PgDriver } from './pg-driver.js';
import type { PingRound } from './types.js';
import { quantiles } from './stats.js';

/** Rounds per statement; a larger batch is several statements in one transaction, pipelined (of 1,000 to 20,000 a statement, 2,000 wrote 10,000-round batches fastest). */
export const CHUNK = 2_000;
const DAY = 86400;

const TYPES = ['text', 'text', 'float8', 'int', 'int', ...Array(7).fill('float8'), 'text', 'text'];
/** unnest() in the select list (arrays of one length advance together): rows stream from the
 *  arrays, where unnest(...) in FROM first copied them all into a tuplestore (-12% server CPU). */
export const INSERT = `INSERT INTO ping (site, target, ts, sent, received, rtt_min, rtt_p10, rtt_p25, rtt_median, rtt_p75, rtt_p90, rtt_max, rtts, feed)
  SELECT ${TYPES.map((t, i) => `unnest($${i + 1}::${t}[])`).join(', ')}`;

/** Days this process knows have a partition (a dropped one is noticed by the insert failing). */
export class PartitionCache {
  private days = new Set<number>();
  async ensure(driver: PgDriver, tss: Iterable<number>): Promise<void> {
    let lo = Infinity;
    let hi = -Infinity;
    for (const ts of tss) {
      const d = Math.floor(ts / DAY);
      if (this.days.has(d)) continue;
      lo = Math.min(lo, d);
      hi = Math.max(hi, d);
    }
    if (lo > hi) return;
    await driver.all('SELECT hostops_ping_partitions($1, $2)', [lo * DAY, hi * DAY]);
    for (let d = lo; d <= hi; d++) this.days.add(d);
  }
  forget(): void {
    this.days.clear();
  }
}

/** An RTT in 100 ns units as the decimal seconds JSON.stringify(k / 1e7) gives, from integer digits (float printing is slow). */
export function tenthMicros(k: number): string {
  if (k === 0) return '0';
  if (!Number.isSafeInteger(k)) return JSON.stringify(k / 1e7);
  const s = String(k);
  const ip = s.length > 7 ? s.slice(0, -7) : '0';
  const fr = s.length > 7 ? s.slice(-7) : '0000000'.slice(s.length) + s;
  let e = 7;
  while (e > 0 && fr.charCodeAt(e - 1) === 48) e--;
  return e ? `${ip}.${fr.slice(0, e)}` : ip;
}

/** One element of a text[] literal: always quoted, so NULL, braces, commas and spaces stay text. */
const textElem = (s: string) => `"${/["\\]/.test(s) ? s.replace(/["\\]/g, '\\$&') : s}"`;
const numElem = (x: number | null) => (x === null ? 'NULL' : String(x));

/** The 14 array literals of INSERT: the stored RTT list is the finite non-negative RTTs rounded to 100 ns, as JSON. */
export function pingLiterals(rows: PingRound[]): string[] {
  const site: string[] = [];
  const target: string[] = [];
  const ts: string[] = [];
  const sent: string[] = [];
  const received: string[] = [];
  const q: string[][] = [[], [], [], [], [], [], []];
  const rtts: string[] = [];
  const feed: string[] = [];
  for (const r of rows) {
    const ok = r.rtts.filter((x) => Number.isFinite(x) && x >= 0);
    const v = quantiles(ok);
    site.push(textElem(r.site));
    target.push(textElem(r.target));
    ts.push(numElem(r.ts));
    sent.push(numElem(r.sent));
    received.push(numElem(r.received));
    q[0].push(numElem(v.min));
    q[1].push(numElem(v.p10));
    q[2].push(numElem(v.p25));
    q[3].push(numElem(v.median));
    q[4].push(numElem(v.p75));
    q[5].push(numElem(v.p90));
    q[6].push(numElem(v.max));
    let list = '"[';
    for (let i = 0; i < ok.length; i++) {
      if (i) list += ',';
      list += tenthMicros(Math.round(ok[i] * 1e7));
    }
    rtts.push(`${list}]"`);
    feed.push(textElem(r.feed ?? ''));
  }
  return [site, target, ts, sent, received, ...q, rtts, feed].map((a) => `{${a.join(',')}}`);
}

/** One statement for up to CHUNK rounds, else one transaction of pipelined chunks; a missing partition (dropped, or an old spooled day) is created and the batch retried once. */
export async function writePingsPg(
  driver: PgDriver,
  parts: PartitionCache,
  rows: PingRound[],
): Promise<void> {
  if (!rows.length) return;
  const write = async () => {
    await parts.ensure(
      driver,
      rows.map((r) => r.ts),
    );
    // one statement is atomic by itself: BEGIN/COMMIT would only add two round trips
    if (rows.length <= CHUNK)
      await driver.sql.unsafe(INSERT, pingLiterals(rows), { prepare: true });
    else {
      await driver.sql.begin(async (tx) => {
        // each chunk is sent before the next is encoded, so the server inserts while we encode
        const sent: Promise<unknown>[] = [];
        for (let i = 0; i < rows.length; i += CHUNK) {
          const q = tx.unsafe(INSERT, pingLiterals(rows.slice(i, i + CHUNK)), { prepare: true });
          q.catch(() => {}); // awaited below; a failure aborts the transaction and the rest
          sent.push(q.execute());
          await new Promise((r) => setImmediate(r));
        }
        await Promise.all(sent);
      });
    }
  };
  try {
    await write();
  } catch (e) {
    // 23514: no partition of relation "ping" found for row
    if ((e as { code?: string }).code !== '23514') throw e;
    parts.forget();
    await write();
  }
}
