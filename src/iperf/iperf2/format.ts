/** iperf 2.1's text layout: 4-decimal intervals, Transfer 1024-based, Bandwidth 1000-based. */
import { readFileSync } from 'node:fs';
import { formatUnit } from '../units.js';

export const RULE = '------------------------------------------------------------';
export const HEADER = '[ ID] Interval       Transfer     Bandwidth';

export function row(id: number | 'SUM', start: number, end: number, bytes: number): string {
  const tag = id === 'SUM' ? '[SUM]' : `[${String(id).padStart(3)}]`;
  const secs = end - start;
  const bps = secs > 0 ? bytes / secs : 0;
  return `${tag} ${start.toFixed(4)}-${end.toFixed(4)} sec  ${formatUnit(bytes, 'A')}s  ${formatUnit(bps, 'a')}s/sec`;
}

/** The kernel's default socket buffer (tcp_rmem / tcp_wmem middle value), as iperf 2 prints it. */
export function defaultWindow(kind: 'rmem' | 'wmem'): string {
  try {
    const v = Number(readFileSync(`/proc/sys/net/ipv4/tcp_${kind}`, 'utf8').trim().split(/\s+/)[1]);
    return `${formatUnit(v, 'A')} (default)`;
  } catch {
    return '(default)';
  }
}

export function peerLine(
  id: number,
  local: { host: string; port: number },
  remote: { host: string; port: number },
): string {
  return `[${String(id).padStart(3)}] local ${local.host} port ${local.port} connected with ${remote.host} port ${remote.port}`;
}
