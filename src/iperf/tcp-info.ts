/**
 * TCP_INFO without a native getsockopt: `ss -tin` (iproute2) prints the kernel's tcp_info for
 * each socket. We read retransmits, cwnd, send window, RTT and PMTU for our own data sockets,
 * matched by local port, so reports carry iperf3's Retr / Cwnd columns. When ss is missing the
 * fields are simply absent (sender_has_retransmits 0), as on a platform without TCP_INFO.
 * Sockets are matched by local and remote port (server data sockets all share the local port).
 */
import { spawn, spawnSync } from 'node:child_process';

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

export function sampleTcpInfoSync(port: number, side: 'sport' | 'dport'): Map<string, TcpInfo> {
  const r = spawnSync('ss', args(port, side), { encoding: 'utf8', timeout: 2000, maxBuffer: 4 * 1024 * 1024 });
  return r.error || r.status !== 0 ? new Map() : parseSs(r.stdout);
}

/**
 * Periodic samples without stalling the event loop: spawning a process from Node blocks it for
 * ~10 ms (fork of a large process), which delays timers and pauses data once a second. So one
 * small `sh` per test runs `ss` on request (it does the forking) and we read its output
 * asynchronously. The script is a constant; only a checked side and port number are written to it.
 */
export class TcpInfoReader {
  private child: import('node:child_process').ChildProcess | null = null;
  private buf = '';
  private pending: ((m: Map<string, TcpInfo>) => void) | null = null;
  private inflight: Promise<Map<string, TcpInfo>> | null = null;

  constructor(private readonly port: number, private readonly side: 'sport' | 'dport') {
    if (!Number.isInteger(port) || port < 1 || port > 65535 || (side !== 'sport' && side !== 'dport')) return;
    const script = 'while read -r side port; do ss -tinH state established "( $side = :$port )"; echo @@end@@; done';
    try {
      const child = spawn('sh', ['-c', script], { stdio: ['pipe', 'pipe', 'ignore'] });
      child.on('error', () => this.fail());
      child.on('exit', () => this.fail());
      child.stdin!.on('error', () => this.fail());
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (d: string) => {
        this.buf += d;
        if (this.buf.length > 4 * 1024 * 1024) { this.buf = ''; this.fail(); return; }
        const at = this.buf.indexOf('@@end@@\n');
        if (at < 0) return;
        const text = this.buf.slice(0, at);
        this.buf = this.buf.slice(at + 8);
        const p = this.pending;
        this.pending = null;
        this.inflight = null;
        p?.(parseSs(text));
      });
      this.child = child;
    } catch {
      this.child = null;
    }
  }

  private fail(): void {
    this.child = null;
    const p = this.pending;
    this.pending = null;
    this.inflight = null;
    p?.(new Map());
  }

  /** The latest tcp_info of our sockets; a request already in flight is shared, not queued. */
  sample(): Promise<Map<string, TcpInfo>> {
    if (!this.child) return Promise.resolve(new Map());
    if (this.inflight) return this.inflight;
    this.inflight = new Promise((resolve) => { this.pending = resolve; });
    this.child.stdin!.write(`${this.side} ${this.port}\n`);
    return this.inflight;
  }

  close(): void {
    const c = this.child;
    this.child = null;
    if (c) { c.stdin!.end(); c.kill(); }
    this.fail();
  }
}
