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
  constructor(
    readonly bytes: number,
    readonly blocks: number,
    readonly onReached: () => void,
  ) {}
  get unlimited(): boolean {
    return this.bytes === 0 && this.blocks === 0;
  }
  exhausted(): boolean {
    return (
      (this.bytes > 0 && this.sentBytes >= this.bytes) ||
      (this.blocks > 0 && this.sentBlocks >= this.blocks)
    );
  }
  /** Book one block; true when the budget was just used up. */
  book(len: number): boolean {
    return this.bookMany(1, len);
  }

  bookMany(n: number, len: number): boolean {
    this.sentBytes += n * len;
    this.sentBlocks += n;
    if (this.exhausted()) {
      this.onReached();
      return true;
    }
    return false;
  }

  /** True when n more blocks of len stay within the budget. */
  roomFor(n: number, len: number): boolean {
    return (
      (this.bytes === 0 || this.sentBytes + n * len <= this.bytes) &&
      (this.blocks === 0 || this.sentBlocks + n <= this.blocks)
    );
  }
}

/** Token pacing for -b: how many bytes this stream may have sent by now. */
export class Pacer {
  private t0 = nowSec();
  constructor(readonly bitsPerSecond: number) {}
  reset(): void {
    this.t0 = nowSec();
  }
  allowance(sentBytes: number): number {
    return (this.bitsPerSecond / 8) * (nowSec() - this.t0) - sentBytes;
  }
}

const WRITES_PER_TURN = 32;

/**
 * At most this many bytes per stream before the sender yields to the event loop, so a control
 * message (TEST_END) waits for about one MiB per stream, as iperf3 sends 10 blocks of 128 KiB per
 * stream between two looks at its control socket. 32 writes of a 1 MiB group held the loop for up
 * to 30 ms at loopback rates, and the server went on sending that long after the client's end.
 */
const TURN_BYTES = 1024 * 1024;

/** Blocks are written several at a time (one syscall per ~1 MiB) when no budget is near. */
const GROUP_BYTES = Number(process.env.HOSTOPS_IPERF_GROUP ?? 1024 * 1024);

// One group buffer per block, shared by all streams of a test (128 streams must not mean 128 MiB).
const groups = new WeakMap<Buffer, Buffer>();
function groupOf(block: Buffer, n: number): Buffer {
  let g = groups.get(block);
  if (!g) {
    g = Buffer.concat(Array.from({ length: n }, () => block));
    groups.set(block, g);
  }
  return g;
}

export class TcpSender {
  private stopped = true;
  private paced = 0;
  private readonly group: Buffer;
  private readonly perGroup: number;
  private readonly pump = (): void => this.run();

  constructor(
    private readonly sock: Socket,
    readonly st: StreamStats,
    private readonly block: Buffer,
    private readonly budget: SendBudget,
    private readonly pacer: Pacer | null,
    private readonly pacingMs: number,
  ) {
    sock.on('error', () => {
      this.stopped = true;
    });
    // The group buffer is the block repeated, so the byte stream is the same as single writes.
    this.perGroup = pacer ? 1 : Math.max(1, Math.floor(GROUP_BYTES / block.length));
    this.group = this.perGroup === 1 ? block : groupOf(block, this.perGroup);
  }

  start(): void {
    this.stopped = false;
    this.pacer?.reset();
    this.run();
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * Stop for good before the socket is destroyed: what Node still holds for it (libuv's queue and
   * chunks not yet handed to libuv) is never sent then, so it leaves the count, which becomes what
   * the kernel took, as iperf3 counts what write() returned.
   */
  stopForClose(): void {
    this.stopped = true;
    const unsent = unsentBytes(this.sock);
    this.st.bytes -= unsent;
    // the rest of it, if any, was counted in an interval already reported
    this.st.ivBytes = Math.max(0, this.st.ivBytes - unsent);
  }

  /** Bytes sent since the pacer started; reset when the omit period ends. */
  resetPacing(): void {
    this.paced = 0;
    this.pacer?.reset();
  }

  private run(): void {
    const len = this.block.length;
    for (let i = 0, turn = 0; i < WRITES_PER_TURN && turn < TURN_BYTES; i++) {
      if (this.stopped || this.sock.destroyed) return;
      if (this.budget.exhausted()) {
        this.stopped = true;
        return;
      }
      if (this.pacer && this.pacer.allowance(this.paced) < len) {
        setTimeout(this.pump, this.pacingMs);
        return;
      }
      // A whole group only when the -n/-k budget cannot be crossed inside it.
      const many = this.perGroup > 1 && this.budget.roomFor(this.perGroup, len);
      const buf = many ? this.group : this.block;
      const n = many ? this.perGroup : 1;
      this.st.bytes += buf.length;
      this.st.ivBytes += buf.length;
      this.paced += buf.length;
      turn += buf.length;
      const ok = this.sock.write(buf);
      if (this.budget.bookMany(n, len)) {
        this.stopped = true;
        return;
      }
      if (!ok) {
        this.sock.once('drain', this.pump);
        return;
      }
    }
    setImmediate(this.pump);
  }
}

/** Bytes passed to sock.write() that the kernel has not taken: libuv's queue plus Node's buffer. */
export function unsentBytes(sock: Socket): number {
  const h = (sock as unknown as { _handle?: { writeQueueSize?: number } | null })._handle;
  let n = typeof h?.writeQueueSize === 'number' ? h.writeQueueSize : 0;
  const queued = (sock as unknown as { writableBuffer?: { chunk: unknown }[] }).writableBuffer;
  for (const e of queued ?? []) if (Buffer.isBuffer(e.chunk)) n += e.chunk.length;
  return n;
}

/** Counts what arrives; optionally stops at a -n / -k budget (the reverse-mode client does). */
export function countTcp(
  sock: Socket,
  st: StreamStats,
  isRunning: () => boolean,
  onBytes?: (n: number) => void,
): void {
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
export const SINK = Buffer.allocUnsafe(1024 * 1024);

export function sinkReader(
  st: StreamStats,
  isRunning: () => boolean,
  onBytes?: (n: number) => void,
): { buffer: Buffer; callback: (n: number) => boolean } {
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

interface HandleLike {
  readStop?: () => number;
  reading?: boolean;
}

/**
 * Server side: an accepted socket cannot be given `onread` by net.Server, so move its handle to
 * a new Socket that has one. Falls back to 'data' events when the handle is not reachable.
 */
export function adoptAsSink(sock: Socket, st: StreamStats, isRunning: () => boolean): Socket {
  return adoptWithReader(sock, sinkReader(st, isRunning));
}

/** Move an accepted socket's handle to a Socket that reads into `reader.buffer` (see adoptAsSink). */
export function adoptWithReader(
  sock: Socket,
  reader: { buffer: Buffer; callback: (n: number) => boolean },
): Socket {
  const handle = (sock as unknown as { _handle?: HandleLike | null })._handle;
  if (!handle || typeof handle.readStop !== 'function') {
    sock.on('data', (b: Buffer) => reader.callback(b.length));
    sock.resume();
    return sock;
  }
  handle.readStop();
  handle.reading = false; // net.Socket only calls readStart() when this flag says it is stopped
  (sock as unknown as { _handle: unknown })._handle = null;
  sock.destroy();
  const fresh = new NetSocket({
    handle: handle as never,
    readable: true,
    writable: true,
    onread: reader,
  } as never);
  fresh.on('error', () => {});
  return fresh;
}
