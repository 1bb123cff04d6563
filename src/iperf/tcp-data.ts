/**
 * TCP data streams. The sender writes one preallocated block again and again (no per-write
 * allocation), keeps the socket's queue just full (write until it reports backpressure, then wait
 * for 'drain') and yields to the event loop every few writes so timers and the control channel
 * stay live. The receiver only counts.
 */
import { Socket as NetSocket, type Socket } from 'node:net';
import { nowSec } from './clock.js';
import type { StreamStats } from './stream.js';

/** Test-wide -n / -k budget shared by all sending streams (iperf3 counts them together). */
export class SendBudget {
  sentBytes = 0;
  sentBlocks = 0;
  constructor(readonly bytes: number, readonly blocks: number, readonly onReached: () => void) {}
  get unlimited(): boolean { return this.bytes === 0 && this.blocks === 0; }
  exhausted(): boolean {
    return (this.bytes > 0 && this.sentBytes >= this.bytes) || (this.blocks > 0 && this.sentBlocks >= this.blocks);
  }
  /** Book one block; true when the budget was just used up. */
  book(len: number): boolean {
    this.sentBytes += len;
    this.sentBlocks++;
    if (this.exhausted()) { this.onReached(); return true; }
    return false;
  }
}

/** Token pacing for -b: how many bytes this stream may have sent by now. */
export class Pacer {
  private t0 = nowSec();
  constructor(readonly bitsPerSecond: number) {}
  reset(): void { this.t0 = nowSec(); }
  allowance(sentBytes: number): number {
    return (this.bitsPerSecond / 8) * (nowSec() - this.t0) - sentBytes;
  }
}

const WRITES_PER_TURN = 32;

export class TcpSender {
  private stopped = true;
  private paced = 0;
  private readonly pump = (): void => this.run();

  constructor(private readonly sock: Socket, readonly st: StreamStats, private readonly block: Buffer,
    private readonly budget: SendBudget, private readonly pacer: Pacer | null, private readonly pacingMs: number) {
    sock.on('error', () => { this.stopped = true; });
  }

  start(): void {
    this.stopped = false;
    this.pacer?.reset();
    this.run();
  }

  stop(): void { this.stopped = true; }

  /** Bytes sent since the pacer started; reset when the omit period ends. */
  resetPacing(): void { this.paced = 0; this.pacer?.reset(); }

  private run(): void {
    const len = this.block.length;
    for (let i = 0; i < WRITES_PER_TURN; i++) {
      if (this.stopped || this.sock.destroyed) return;
      if (this.budget.exhausted()) { this.stopped = true; return; }
      if (this.pacer && this.pacer.allowance(this.paced) < len) {
        setTimeout(this.pump, this.pacingMs);
        return;
      }
      this.st.bytes += len;
      this.st.ivBytes += len;
      this.paced += len;
      const ok = this.sock.write(this.block);
      if (this.budget.book(len)) { this.stopped = true; return; }
      if (!ok) { this.sock.once('drain', this.pump); return; }
    }
    setImmediate(this.pump);
  }
}

/** Counts what arrives; optionally stops at a -n / -k budget (the reverse-mode client does). */
export function countTcp(sock: Socket, st: StreamStats, isRunning: () => boolean, onBytes?: (n: number) => void): void {
  sock.on('data', (b: Buffer) => {
    if (!isRunning()) return;
    st.bytes += b.length;
    st.ivBytes += b.length;
    onBytes?.(b.length);
  });
  sock.on('error', () => {});
}

/**
 * Receive buffer shared by every counting stream: libuv reads straight into it and we only add
 * up lengths, so the payload is never allocated as Buffers (Node's default is a fresh 64 KiB
 * Buffer per read). Content is discarded, so one buffer serves all streams.
 */
const SINK = Buffer.allocUnsafe(1024 * 1024);

export function sinkReader(st: StreamStats, isRunning: () => boolean, onBytes?: (n: number) => void):
  { buffer: Buffer; callback: (n: number) => boolean } {
  return {
    buffer: SINK,
    callback: (n: number) => {
      if (isRunning()) {
        st.bytes += n;
        st.ivBytes += n;
        onBytes?.(n);
      }
      return true;
    },
  };
}

interface HandleLike { readStop?: () => number; reading?: boolean }

/**
 * Server side: an accepted socket cannot be given `onread` by net.Server, so move its handle to
 * a new Socket that has one. Falls back to 'data' events when the handle is not reachable.
 */
export function adoptAsSink(sock: Socket, st: StreamStats, isRunning: () => boolean): Socket {
  const handle = (sock as unknown as { _handle?: HandleLike | null })._handle;
  if (!handle || typeof handle.readStop !== 'function') {
    countTcp(sock, st, isRunning);
    sock.resume();
    return sock;
  }
  handle.readStop();
  handle.reading = false; // net.Socket only calls readStart() when this flag says it is stopped
  (sock as unknown as { _handle: unknown })._handle = null;
  sock.destroy();
  const fresh = new NetSocket({ handle: handle as never, readable: true, writable: true, onread: sinkReader(st, isRunning) } as never);
  fresh.on('error', () => {});
  return fresh;
}
