/**
 * Output assembled in latin1 Buffers of about 1 MB: the -bp text is spool bytes, so it is
 * written without re-encoding and handed out in parts that can be streamed while reading goes on.
 */
type Latin1Writer = { latin1Write(s: string, o: number): number };

export class OutBuffer {
  private out: Buffer | null = null;
  private pos = 0;
  private readonly parts: Buffer[] = [];

  private room(n: number): Buffer {
    if (this.out === null || this.pos + n > this.out.length) {
      this.flush();
      this.out = Buffer.allocUnsafe(Math.max(1 << 20, n));
    }
    return this.out;
  }

  latin1(s: string): void {
    // room() may start a new buffer and reset pos: it must run before pos is read (`this.pos +=
    // this.room(..)...` read the old pos first, and every later part was handed out whole)
    const b = this.room(s.length) as unknown as Latin1Writer;
    this.pos += b.latin1Write(s, this.pos);
  }

  bytes(src: Uint8Array, start: number, end: number): void {
    // counted as written only what is copied: a range past src would leave old bytes in the part
    if (!(start >= 0 && start <= end && end <= src.length))
      throw new Error(`OutBuffer: bytes ${start}..${end} of ${src.length}`);
    const b = this.room(end - start);
    b.set(src.subarray(start, end), this.pos);
    this.pos += end - start;
  }

  /** Passes b on as a part of its own (large runs: no copy), after what was written before. */
  view(b: Buffer): void {
    if (b.length < 4096) {
      this.bytes(b, 0, b.length);
      return;
    }
    this.flush();
    this.parts.push(b);
  }

  /** Overwrites the first s.length bytes of what was written `back` bytes ago (a fixed-width slot). */
  patchLatin1(s: string, back: number): void {
    const b = this.out!;
    const at = this.pos - back;
    if (at < 0 || s.length > back)
      throw new Error(`OutBuffer: patch of ${s.length} bytes ${back} back, ${this.pos} written`);
    for (let k = 0; k < s.length; k++) b[at + k] = s.charCodeAt(k);
  }

  private flush(): void {
    // a part is exactly the bytes written: never a buffer's capacity (uninitialised memory)
    if (this.out !== null && this.pos > this.out.length)
      throw new Error(`OutBuffer: ${this.pos} bytes counted in a buffer of ${this.out.length}`);
    if (this.out !== null && this.pos > 0) this.parts.push(this.out.subarray(0, this.pos));
    this.out = null;
    this.pos = 0;
  }

  /** The parts written so far; later writes start a new part. */
  take(): Buffer[] {
    this.flush();
    return this.parts.splice(0);
  }
}
