/**
 * Probe I/O. `native`: the hostops_scan addon (sendmmsg batches, recvmmsg drained from a libuv
 * poll callback). `dgram`: plain Node sockets, one send() per probe; the fallback when the addon
 * is missing and the baseline the benchmark compares against. Both hand replies over as the
 * same fixed-size records: u32 source IPv4, u16 port, u16 length, u16 captured, pad, payload head.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { loadAddon } from '../lib/native.js';
import { HostopsError } from '../lib/errors.js';
import { u32ToV4, v4ToU32 } from '../lib/ip.js';

export const REC_HDR = 16;
export const REC_CAP = 112;
export const REC_SIZE = REC_HDR + REC_CAP;

export type RecordHandler = (records: Buffer, count: number) => void;

export interface Engine {
  kind: 'native' | 'dgram';
  port: number;
  /** Most probes to hand to one send() call before the loop turns again (and reads replies); Infinity: no limit. */
  maxBurst: number;
  /** True when replies are likely still waiting in the socket: hold sending for a loop turn. */
  backlogged(): boolean;
  setPayloads(p: Buffer[]): void;
  /** Send entries [start, start+count) of `dsts` (8 bytes each); returns how many went out. */
  send(dsts: Buffer, start: number, count: number): number;
  /** dropped: replies the kernel discarded because the socket buffer was full (undefined when unknown). */
  stats(): { sent: number; failed: number; received: number; dropped?: number };
  close(): Promise<void>;
}

interface ScanAddon {
  open(
    cb: RecordHandler,
    opts?: { rcvbuf?: number; sndbuf?: number },
  ): { handle: unknown; port: number };
  setPayloads(h: unknown, p: Buffer[]): void;
  send(h: unknown, dsts: Buffer, start: number, count: number): number;
  stats(h: unknown): { sent: number; failed: number; received: number; dropped: number };
  close(h: unknown): void;
  responderStart(rules: unknown[]): unknown;
  responderStop(h: unknown): {
    received: number;
    sent: number;
    unmatched: number;
    sendErrors: number;
  };
  RECORD_SIZE: number;
}

export function scanAddon(): ScanAddon {
  const a = loadAddon<ScanAddon>('hostops_scan');
  if (typeof a.open !== 'function' || a.RECORD_SIZE !== REC_SIZE) {
    throw new HostopsError(
      'NATIVE_ADDON_STALE',
      'hostops_scan addon is out of date: rebuild with `npx node-gyp rebuild`',
    );
  }
  return a;
}

export function nativeEngine(onRecords: RecordHandler): Engine {
  const a = scanAddon();
  const { handle, port } = a.open(onRecords, { rcvbuf: 128 << 20, sndbuf: 8 << 20 });
  let closed = false;
  return {
    kind: 'native',
    port,
    // recvmmsg drains the socket (128 MiB buffer, SO_RXQ_OVFL counts any loss) whenever it is
    // readable, and one send() of everything due is cheaper than many turns (measured)
    maxBurst: Number.POSITIVE_INFINITY,
    backlogged: () => false,
    setPayloads: (p) => a.setPayloads(handle, p),
    send: (d, s, c) => a.send(handle, d, s, c),
    stats: () => a.stats(handle),
    close: async () => {
      if (!closed) {
        closed = true;
        a.close(handle);
      }
    },
  };
}

/**
 * libuv reads at most 32 datagrams from a UDP socket per loop turn (uv__udp_recvmsg). Sending
 * more probes than that per turn outruns the reads: replies pile up in the receive buffer
 * (net.core.rmem_max caps it, 8 MiB = ~3,600 1,200-byte replies by default) and the kernel drops
 * the rest. So the dgram engine sends at most this many probes per turn, and none in a turn after
 * one that read a full batch (more are probably queued).
 */
export const UV_UDP_READS_PER_TURN = 32;

/** Datagrams the kernel dropped on the local UDP port `port` (receive buffer full), from /proc/self/net/udp; null when unreadable. */
export function udpDrops(port: number): number | null {
  try {
    const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    for (const line of readFileSync('/proc/self/net/udp', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(hex)) return Number(f[f.length - 1]);
    }
  } catch {
    /* no procfs: unknown */
  }
  return null;
}

export async function dgramEngine(onRecords: RecordHandler): Promise<Engine> {
  const sock = dgram.createSocket({
    type: 'udp4',
    recvBufferSize: 32 << 20,
    sendBufferSize: 8 << 20,
  });
  let payloads: Buffer[] = [];
  let sent = 0,
    failed = 0,
    received = 0,
    sinceCheck = 0;
  sock.on('message', (msg, rinfo) => {
    received++;
    sinceCheck++;
    const r = Buffer.alloc(REC_SIZE);
    r.writeUInt32BE(v4ToU32(rinfo.address), 0);
    r.writeUInt16BE(rinfo.port, 4);
    r.writeUInt16BE(Math.min(msg.length, 65535), 6);
    const cap = Math.min(msg.length, REC_CAP);
    r.writeUInt16BE(cap, 8);
    msg.copy(r, REC_HDR, 0, cap);
    onRecords(r, 1);
  });
  sock.on('error', () => {
    failed++;
  });
  await new Promise<void>((res) => sock.bind(0, res));
  const port = sock.address().port;
  return {
    kind: 'dgram',
    port,
    maxBurst: UV_UDP_READS_PER_TURN,
    backlogged() {
      const full = sinceCheck >= UV_UDP_READS_PER_TURN;
      sinceCheck = 0;
      return full;
    },
    setPayloads: (p) => {
      payloads = p.map((b) => Buffer.from(b));
    },
    send(d, s, c) {
      for (let i = s; i < s + c; i++) {
        const o = i * 8;
        sock.send(
          payloads[d.readUInt16BE(o + 6)],
          d.readUInt16BE(o + 4),
          u32ToV4(d.readUInt32BE(o)),
          (e) => {
            if (e) failed++;
            else sent++;
          },
        );
      }
      return c;
    },
    stats: () => ({ sent, failed, received, dropped: udpDrops(port) ?? undefined }),
    close: () => new Promise((r) => sock.close(() => r())),
  };
}
