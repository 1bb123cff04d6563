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
    // latin1Write: Buffer#write without the encoding lookup (undocumented, stable in Node)
    this.pos += (this.room(s.length) as unknown as Latin1Writer).latin1Write(s, this.pos);
  }

  bytes(src: Uint8Array, start: number, end: number): void {
    const b = this.room(end - start);
    b.set(src.subarray(start, end), this.pos);
    this.pos += end - start;
  }

  /** Passes b on as a part of its own (large runs: no copy), after what was written before. */
  view(b: Buffer): void {
    if (b.length < 4096) return this.bytes(b, 0, b.length);
    this.flush();
    this.parts.push(b);
  }

  /** Overwrites the first s.length bytes of what was written `back` bytes ago (a fixed-width slot). */
  patchLatin1(s: string, back: number): void {
    const b = this.out!;
    const at = this.pos - back;
    for (let k = 0; k < s.length; k++) b[at + k] = s.charCodeAt(k);
  }

  private flush(): void {
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
