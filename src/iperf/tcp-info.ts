/**
 * TCP_INFO of our own sending sockets through getsockopt (hostops_sock): total retransmits,
 * cwnd in bytes (snd_cwnd × snd_mss, as iperf3 reports it), send window, RTT and PMTU. A read
 * costs microseconds, so it is taken right before each interval report and at the end. Without
 * the addon the fields are absent (sender_has_retransmits 0), as on a platform without TCP_INFO.
 */
import type net from 'node:net';
import { sockAddon, tcpFd } from './native-sock.js';

export interface TcpInfo {
  retrans: number;
  cwnd: number;
  sndWnd: number;
  /** Microseconds. */
  rtt: number;
  rttvar: number;
  pmtu: number;
}

export function tcpInfoAvailable(): boolean {
  return sockAddon() !== null;
}

const OUT = new Float64Array(8);

export function readTcpInfo(sock: net.Socket): TcpInfo | null {
  const a = sockAddon();
  const fd = tcpFd(sock);
  if (!a || fd < 0) return null;
  try {
    if (!a.tcpInfo(fd, OUT)) return null;
  } catch {
    return null;
  }
  return {
    retrans: OUT[0],
    cwnd: OUT[1],
    sndWnd: OUT[2],
    rtt: OUT[3],
    rttvar: OUT[4],
    pmtu: OUT[5],
  };
}
