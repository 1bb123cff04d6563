/**
 * TCP_INFO without a native getsockopt: `ss -tin` (iproute2) prints the kernel's tcp_info for
 * each socket. We read retransmits, cwnd, send window, RTT and PMTU for our own data sockets,
 * matched by local port, so reports carry iperf3's Retr / Cwnd columns. When ss is missing the
 * fields are simply absent (sender_has_retransmits 0), as on a platform without TCP_INFO.
 * Sockets are matched by local and remote port (server data sockets all share the local port).
 */
import { execFile, spawnSync } from 'node:child_process';

export interface TcpInfo {
  /** Total retransmitted segments (the second number of ss's retrans:a/b). */
  retrans: number;
  /** Congestion window in bytes (segments × mss), as iperf3 reports snd_cwnd. */
  cwnd: number;
  sndWnd: number;
  /** Microseconds. */
  rtt: number;
  rttvar: number;
  pmtu: number;
  cc?: string;
}

let available: boolean | null = null;

export function tcpInfoAvailable(): boolean {
  if (available === null) {
    const r = spawnSync('ss', ['-V'], { encoding: 'utf8', timeout: 2000 });
    available = !r.error && r.status === 0;
  }
  return available;
}

const args = (port: number, side: 'sport' | 'dport') => ['-tinH', 'state', 'established', `( ${side} = :${port} )`];

/** Parse `ss -tinH` output into tcp_info keyed by "localPort-remotePort" of each socket. */
export function parseSs(text: string): Map<string, TcpInfo> {
  const out = new Map<string, TcpInfo>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length - 1; i++) {
    const head = lines[i];
    if (head.startsWith('\t') || head.startsWith(' ') || !head.trim()) continue;
    const cols = head.trim().split(/\s+/);
    if (cols.length < 4) continue;
    const portOf = (a: string) => Number(a.slice(a.lastIndexOf(':') + 1));
    const port = portOf(cols[2]);
    const peer = portOf(cols[3]);
    const info = lines[i + 1];
    if (!Number.isInteger(port) || !Number.isInteger(peer) || !/^\s/.test(info)) continue;
    const num = (re: RegExp) => { const m = re.exec(info); return m ? Number(m[1]) : 0; };
    const rtt = /\brtt:([\d.]+)\/([\d.]+)/.exec(info);
    const mss = num(/\bmss:(\d+)/);
    const cc = /^\s+(\w+)\s/.exec(info);
    out.set(`${port}-${peer}`, {
      retrans: num(/\bretrans:\d+\/(\d+)/),
      cwnd: num(/\bcwnd:(\d+)/) * mss,
      sndWnd: num(/\bsnd_wnd:(\d+)/),
      rtt: rtt ? Math.round(Number(rtt[1]) * 1000) : 0,
      rttvar: rtt ? Math.round(Number(rtt[2]) * 1000) : 0,
      pmtu: num(/\bpmtu:(\d+)/),
      cc: cc && !/^(ts|sack|wscale)$/.test(cc[1]) ? cc[1] : undefined,
    });
  }
  return out;
}

export function sampleTcpInfo(port: number, side: 'sport' | 'dport'): Promise<Map<string, TcpInfo>> {
  return new Promise((resolve) => {
    execFile('ss', args(port, side), { timeout: 2000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout) => {
      resolve(err ? new Map() : parseSs(stdout));
    });
  });
}

export function sampleTcpInfoSync(port: number, side: 'sport' | 'dport'): Map<string, TcpInfo> {
  const r = spawnSync('ss', args(port, side), { encoding: 'utf8', timeout: 2000, maxBuffer: 4 * 1024 * 1024 });
  return r.error || r.status !== 0 ? new Map() : parseSs(r.stdout);
}
