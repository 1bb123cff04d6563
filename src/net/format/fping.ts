/** fping 5.x's other text views: -C per-probe RTTs, "timed out" lines, alive lists and -s stats. */
import type { PingSummary } from '../ping.js';
import { fpingMs } from './ping.js';

/** `host : [2], timed out (0.040 avg, 33% loss)`; `NaN avg` before any reply, as fping prints it. */
export function fpingTimedOut(
  target: string,
  width: number,
  seq: number,
  st: { sum: number; n: number },
): string {
  const avg = st.n ? fpingMs(st.sum / st.n) : 'NaN';
  const loss = Math.round(((seq - st.n) * 100) / Math.max(1, seq));
  return `${target.padEnd(width)} : [${seq - 1}], timed out (${avg} avg, ${loss}% loss)`;
}

/** fping -C N's summary line: every probe's RTT in order, `-` for a lost one. */
export function fpingVcount(s: PingSummary, width: number): string {
  const rtts = s.rtts.map((r) => (r === null ? '-' : fpingMs(Math.round(r * 1e6))));
  return `${s.target.padEnd(width)} :${rtts.map((r) => ' ' + r).join('')}`;
}

export interface FpingTotals {
  /** targets that resolved (fping counts unknown names apart) */
  targets: number;
  unknown: number;
  summaries: PingSummary[];
  elapsedMs: number;
}

const n7 = (n: number) => ' ' + String(n).padStart(7);

/** fping -s: the global statistics block (stderr), blank line before and after. */
export function fpingStats(t: FpingTotals): string {
  const s = t.summaries;
  const alive = s.filter((x) => x.received > 0).length;
  const sent = s.reduce((a, x) => a + x.transmitted, 0);
  const recv = s.reduce((a, x) => a + x.received, 0);
  const timeouts = s.reduce((a, x) => a + x.transmitted - x.received - x.errors, 0);
  const other = s.reduce((a, x) => a + x.errors, 0);
  const rtts = s.flatMap((x) =>
    x.rtts.filter((r): r is number => r !== null).map((r) => Math.round(r * 1e6)),
  );
  const min = rtts.length ? Math.min(...rtts) : 0;
  const max = rtts.length ? Math.max(...rtts) : 0;
  const avg = rtts.length ? rtts.reduce((a, r) => a + r, 0) / rtts.length : 0;
  return [
    '',
    `${n7(t.targets)} targets`,
    `${n7(alive)} alive`,
    `${n7(t.targets - alive)} unreachable`,
    `${n7(t.unknown)} unknown addresses`,
    '',
    `${n7(timeouts)} timeouts (waiting for response)`,
    `${n7(sent)} ICMP Echos sent`,
    `${n7(recv)} ICMP Echo Replies received`,
    `${n7(other)} other ICMP received`,
    '',
    ` ${fpingMs(min)} ms (min round trip time)`,
    ` ${fpingMs(avg)} ms (avg round trip time)`,
    ` ${fpingMs(max)} ms (max round trip time)`,
    ` ${(t.elapsedMs / 1000).toFixed(3).padStart(12)} sec (elapsed real time)`,
    '',
    '',
  ].join('\n');
}
