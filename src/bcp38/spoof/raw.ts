/** Typed access to the hostops_raw addon (raw-socket UDP send with a chosen source). */
import { envError, HostopsError } from '../../lib/errors.js';
import { loadAddon } from '../../lib/native.js';

interface RawAddon {
  version(): string;
  open(family: 4 | 6): number;
  close(fd: number): void;
  sendUdp(
    fd: number,
    src: string,
    dst: string,
    sport: number,
    dport: number,
    payload: Buffer,
    ttl?: number,
  ): number;
}

export class RawSender {
  private fd: number;
  private readonly addon: RawAddon;
  constructor(readonly family: 4 | 6) {
    this.addon = loadAddon<RawAddon>('hostops_raw');
    try {
      this.fd = this.addon.open(family);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EPERM' || err.code === 'EACCES') {
        throw envError('BCP38_RAW_DENIED', `cannot open a raw IPv${family} socket: ${err.message}`);
      }
      throw envError('BCP38_RAW_FAILED', `cannot open a raw IPv${family} socket: ${err.message}`);
    }
  }

  send(src: string, dst: string, sport: number, dport: number, payload: Buffer, ttl = 64): number {
    try {
      return this.addon.sendUdp(this.fd, src, dst, sport, dport, payload, ttl);
    } catch (e) {
      throw new HostopsError(
        'BCP38_RAW_SEND',
        `sending a probe from ${src} to ${dst} failed: ${(e as Error).message}`,
      );
    }
  }

  close(): void {
    if (this.fd >= 0) {
      this.addon.close(this.fd);
      this.fd = -1;
    }
  }
}
