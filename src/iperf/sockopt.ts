/**
 * What we can know about TCP socket options without a native setsockopt: Node exposes neither
 * TCP_CONGESTION nor SO_SNDBUF/SO_RCVBUF for TCP sockets. The kernel's default congestion
 * control is readable, so -C is honoured when it names that algorithm and refused otherwise.
 */
import { readFileSync } from 'node:fs';
import { HostopsError } from '../lib/errors.js';

export function defaultCongestion(): string | undefined {
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function availableCongestion(): string[] {
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8').trim().split(/\s+/);
  } catch {
    return [];
  }
}

/** The algorithm our own TCP sockets use; throws when -C asks for one we cannot set. */
export function localCongestion(requested?: string): string | undefined {
  const dflt = defaultCongestion();
  if (requested && requested !== dflt) {
    const avail = availableCongestion();
    const known = avail.includes(requested);
    throw new HostopsError('IPERF_CONGESTION', known
      ? `cannot select TCP congestion control "${requested}" per socket from Node.js (system default is "${dflt}")`
      : `TCP congestion control algorithm "${requested}" is not available (have: ${avail.join(', ') || 'unknown'})`,
    { exitCode: 3, hint: 'use the system default, or set net.ipv4.tcp_congestion_control on this host' });
  }
  return dflt;
}
