/**
 * The control connection: single signed-byte states and JSON blobs framed by a 4-byte big-endian
 * length. Every read has a deadline and a length cap, and the reader never buffers more than a
 * small window ahead of what was asked for (the socket is paused instead), so a hostile peer
 * cannot make us allocate or wait without bound.
 */
import type { Socket } from 'node:net';
import { HostopsError } from '../lib/errors.js';

const HIGH_WATER = 64 * 1024;

export class ControlError extends HostopsError {
  constructor(code: string, message: string, where?: string) {
    super(code, message, { exitCode: 1, where });
  }
}

interface Pending {
  n: number;
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
}

export class ControlChannel {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private pending: Pending | null = null;
  private ended = false;
  private failure: Error | null = null;
  readonly peer: string;

  constructor(
    readonly socket: Socket,
    peer?: string,
  ) {
    this.peer = peer ?? `${socket.remoteAddress} port ${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => {
      this.chunks.push(b);
      this.buffered += b.length;
      if (this.buffered >= HIGH_WATER && !this.pending) socket.pause();
      this.pump();
    });
    socket.on('end', () => {
      this.ended = true;
      this.pump();
    });
    socket.on('close', () => {
      this.ended = true;
      this.pump();
    });
    socket.on('error', (e) => {
      this.failure = e;
      this.pump();
    });
  }

  /** Bytes already received and not yet consumed. */
  get available(): number {
    return this.buffered;
  }

  private take(n: number): Buffer {
    if (this.chunks[0].length === n) {
      this.buffered -= n;
      return this.chunks.shift()!;
    }
    if (this.chunks[0].length > n) {
      const head = this.chunks[0];
      this.chunks[0] = head.subarray(n);
      this.buffered -= n;
      return Buffer.from(head.subarray(0, n));
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }

  private pump(): void {
    const p = this.pending;
    if (!p) return;
    if (this.buffered >= p.n) {
      this.pending = null;
      if (p.timer) clearTimeout(p.timer);
      if (this.buffered < HIGH_WATER) this.socket.resume();
      p.resolve(this.take(p.n));
    } else if (this.failure || this.ended) {
      this.pending = null;
      if (p.timer) clearTimeout(p.timer);
      p.reject(
        this.failure
          ? new ControlError(
              'IPERF_CONTROL_ERROR',
              `control connection failed: ${this.failure.message}`,
              this.peer,
            )
          : new ControlError(
              'IPERF_CONTROL_CLOSED',
              'control socket has closed unexpectedly',
              this.peer,
            ),
      );
    }
  }

  /** Read exactly n bytes; timeoutMs 0 waits as long as the socket lives. */
  readExact(n: number, timeoutMs: number): Promise<Buffer> {
    if (this.pending) return Promise.reject(new Error('ControlChannel: concurrent read'));
    return new Promise((resolve, reject) => {
      const p: Pending = { n, resolve, reject, timer: null };
      if (timeoutMs > 0) {
        p.timer = setTimeout(() => {
          if (this.pending !== p) return;
          this.pending = null;
          reject(
            new ControlError(
              'IPERF_CONTROL_TIMEOUT',
              `no ${n}-byte message from the peer within ${timeoutMs / 1000} s`,
              this.peer,
            ),
          );
        }, timeoutMs);
      }
      this.pending = p;
      this.socket.resume();
      this.pump();
    });
  }

  async readState(timeoutMs: number): Promise<number> {
    const b = await this.readExact(1, timeoutMs);
    return b.readInt8(0);
  }

  /** A length-prefixed JSON object; lengths over maxLen are refused before anything is allocated. */
  async readJson(maxLen: number, timeoutMs: number): Promise<Record<string, unknown>> {
    const len = (await this.readExact(4, timeoutMs)).readUInt32BE(0);
    if (len === 0 || len > maxLen) {
      throw new ControlError(
        'IPERF_JSON_TOO_LONG',
        `peer announced a ${len}-byte JSON message (limit ${maxLen})`,
        this.peer,
      );
    }
    const text = (await this.readExact(len, timeoutMs)).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ControlError(
        'IPERF_JSON_INVALID',
        'peer sent a JSON message that does not parse',
        this.peer,
      );
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ControlError(
        'IPERF_JSON_INVALID',
        'peer sent JSON that is not an object',
        this.peer,
      );
    }
    return value as Record<string, unknown>;
  }

  writeState(state: number): void {
    const b = Buffer.allocUnsafe(1);
    b.writeInt8(state, 0);
    if (!this.socket.destroyed) this.socket.write(b);
  }

  writeJson(obj: unknown): void {
    const body = Buffer.from(JSON.stringify(obj), 'utf8');
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(body.length, 0);
    if (!this.socket.destroyed) this.socket.write(Buffer.concat([head, body]));
  }

  /** SERVER_ERROR then i_errno and errno as int32 big-endian, as iperf3 sends it. */
  writeServerError(ierrno: number, errno = 0): void {
    const b = Buffer.allocUnsafe(9);
    b.writeInt8(-2, 0);
    b.writeInt32BE(ierrno, 1);
    b.writeInt32BE(errno, 5);
    if (!this.socket.destroyed) this.socket.write(b);
  }

  close(): void {
    if (this.pending) {
      const p = this.pending;
      this.pending = null;
      if (p.timer) clearTimeout(p.timer);
      p.reject(new ControlError('IPERF_CONTROL_CLOSED', 'control connection closed', this.peer));
    }
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}
