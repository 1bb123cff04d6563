/** Text views of ping results: iputils ping for one target, fping -c for many. */
import type { PingEvent, PingSummary } from '../ping.js';
import type { Resolved } from '../resolve.js';
import { pingTime, usMs } from '../stats.js';

export function iputilsHeader(
  r: Resolved,
  size: number,
  from?: { source: string; device?: string },
): string {
  const shown = r.target; // as typed, like iputils ("PING 127.1 (127.0.0.1)")
  // with -I, iputils names the source it sends from and the interface ('' for an address)
  const via = from ? `from ${from.source} ${from.device ?? ''}: ` : '';
  if (r.family === 6) return `PING ${shown}(${r.address}) ${via}${size} data bytes`;
  return `PING ${shown} (${r.address}) ${via}${size}(${size + 28}) bytes of data.`;
}

/** One event as iputils prints it; `name` is the reverse name of the sender (or undefined for -n). */
export function iputilsLine(
  e: PingEvent,
  opts: { timestamp: boolean; name?: string },
): string | null {
  const ts = opts.timestamp ? `[${e.time.toFixed(6)}] ` : '';
  const who = (from: string) => (opts.name && opts.name !== from ? `${opts.name} (${from})` : from);
  switch (e.type) {
    case 'reply': {
      let s = `${ts}${e.bytes} bytes from ${who(e.from)}: icmp_seq=${e.seq}${e.ttl >= 0 ? ` ttl=${e.ttl}` : ''}`;
      if (e.timing) s += ` time=${pingTime(e.rttUs)} ms`;
      if (e.dup) s += ' (DUP!)';
      return s;
    }
    case 'truncated':
      return `${ts}${e.bytes} bytes from ${who(e.from)}: icmp_seq=${e.seq}${e.ttl >= 0 ? ` ttl=${e.ttl}` : ''} (truncated)`;
    case 'corrupted':
      return `${ts}${e.bytes} bytes from ${who(e.from)}: icmp_seq=${e.seq} (BAD CHECKSUM!)`;
    case 'error':
      return `${ts}From ${who(e.from)} icmp_seq=${e.seq} ${e.text}`;
    case 'noanswer':
      return `${ts}no answer yet for icmp_seq=${e.seq}`;
    case 'senderror':
      return `ping: sendmsg: ${e.message}`;
    case 'late':
      return null; // iputils has no such line; late replies are simply not counted
  }
}

export function iputilsSummary(s: PingSummary, shown: string, timing: boolean): string {
  const lines = [``, `--- ${shown} ping statistics ---`];
  let l = `${s.transmitted} packets transmitted, ${s.received} received`;
  if (s.duplicates) l += `, +${s.duplicates} duplicates`;
  if (s.corrupted) l += `, +${s.corrupted} corrupted`;
  if (s.errors) l += `, +${s.errors} errors`;
  if (s.transmitted) {
    const loss = Math.fround(((s.transmitted - s.received) * 100) / s.transmitted);
    l += `, ${fmtG(loss)}% packet loss, time ${s.timeMs}ms`;
  }
  lines.push(l);
  lines.push(
    s.us && timing && s.received
      ? `rtt min/avg/max/mdev = ${usMs(s.us.min)}/${usMs(s.us.avg)}/${usMs(s.us.max)}/${usMs(s.us.mdev)} ms`
      : '',
  );
  return lines.join('\n');
}

/** C's %g (6 significant digits, trailing zeros dropped). */
export function fmtG(v: number): string {
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 6)
    return v
      .toExponential(5)
      .replace(/\.?0+e/, 'e')
      .replace(/e([+-])(\d)$/, 'e$10$2');
  return String(Number(v.toPrecision(6)));
}

/** fping's time format (sprint_tm). */
export function fpingMs(us: number): string {
  const ms = us / 1000;
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return String(Math.round(ms));
}

export function fpingLine(
  e: PingEvent,
  width: number,
  st: { sum: number; n: number; sent: number },
): string | null {
  const name = e.target.padEnd(width);
  if (e.type === 'reply' && !e.dup) {
    const loss = Math.round(((st.sent - st.n) * 100) / Math.max(1, st.sent));
    return `${name} : [${e.seq - 1}], ${e.bytes} bytes, ${fpingMs(e.rttUs)} ms (${fpingMs(st.sum / st.n)} avg, ${loss}% loss)`;
  }
  if (e.type === 'reply' && e.dup)
    return `${name} : duplicate for [${e.seq - 1}], ${e.bytes} bytes, ${fpingMs(e.rttUs)} ms`;
  if (e.type === 'error')
    return `${e.text.replace(/^Destination /, 'ICMP ')} from ${e.from} for ICMP Echo sent to ${e.target}`;
  return null;
}

export function fpingSummary(s: PingSummary, width: number): string {
  const loss = s.transmitted ? Math.round(((s.transmitted - s.received) * 100) / s.transmitted) : 0;
  let l = `${s.target.padEnd(width)} : xmt/rcv/%loss = ${s.transmitted}/${s.received}/${loss}%`;
  if (s.received && s.us)
    l += `, min/avg/max = ${fpingMs(s.us.min)}/${fpingMs(s.us.avg)}/${fpingMs(s.us.max)}`;
  return l;
}
