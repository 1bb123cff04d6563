/**
 * Feeds mainlog files to the scanner: plain files in 64 KB chunks (small chunks keep the
 * latin1 decoding in cache), gzip through zlib, and large plain files split into byte ranges
 * that worker threads scan in parallel.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import {
  MainlogScanner,
  newState,
  mergeState,
  type ScanOptions,
  type ScanState,
} from './mainlog-scan.js';
import { nativeMainlogScanner, type NativeMainlogScanner } from './mainlog-native.js';

const CHUNK = 64 * 1024;

/** Buffer#latin1Slice (undocumented but stable in Node) skips toString's argument handling. */
const latin1 = (b: Buffer, start: number, end: number): string =>
  (b as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(start, end);

/** First byte after the newline at or after `pos` (or the file size). */
export function lineStartAfter(fd: number, pos: number, size: number): number {
  if (pos <= 0) return 0;
  const b = Buffer.allocUnsafe(4096);
  let at = pos - 1;
  while (at < size) {
    const n = fs.readSync(fd, b, 0, b.length, at);
    if (n <= 0) break;
    const i = b.subarray(0, n).indexOf(10);
    if (i !== -1) return at + i + 1;
    at += n;
  }
  return size;
}

/** Scan bytes [start, end) of a plain file, which begin and end at line boundaries. */
export function scanRange(file: string, start: number, end: number, o: ScanOptions): ScanState {
  const nat = nativeMainlogScanner(o);
  if (nat) return scanRangeNative(nat, file, start, end);
  const sc = new MainlogScanner(o);
  const fd = fs.openSync(file, 'r');
  try {
    let buf = Buffer.allocUnsafe(CHUNK * 2);
    let carry = 0;
    let off = start;
    while (off < end) {
      if (buf.length - carry < CHUNK) {
        const nb = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(nb, 0, 0, carry);
        buf = nb;
      }
      const n = fs.readSync(fd, buf, carry, Math.min(CHUNK, end - off), off);
      if (n <= 0) break;
      off += n;
      const len = carry + n;
      const nl = off >= end ? len - 1 : buf.lastIndexOf(10, len - 1);
      if (nl === -1) {
        carry = len;
        continue;
      } // a line longer than the buffer: read more
      sc.feed(latin1(buf, 0, nl + 1));
      buf.copy(buf, 0, nl + 1, len);
      carry = len - nl - 1;
    }
    if (carry > 0) sc.feed(latin1(buf, 0, carry));
  } finally {
    fs.closeSync(fd);
  }
  return sc.st;
}

/** The C scanner over 1 MB reads (no decoding: it works on the bytes). */
function scanRangeNative(
  sc: NativeMainlogScanner,
  file: string,
  start: number,
  end: number,
): ScanState {
  const fd = fs.openSync(file, 'r');
  const CH = 1 << 20;
  try {
    let buf = Buffer.allocUnsafe(CH * 2);
    let carry = 0;
    let off = start;
    while (off < end) {
      if (buf.length - carry < CH) {
        const nb = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(nb, 0, 0, carry);
        buf = nb;
      }
      const n = fs.readSync(fd, buf, carry, Math.min(CH, end - off), off);
      if (n <= 0) break;
      off += n;
      const len = carry + n;
      const nl = off >= end ? len - 1 : buf.lastIndexOf(10, len - 1);
      if (nl === -1) {
        carry = len;
        continue;
      }
      sc.feedBytes(buf, 0, nl + 1);
      buf.copy(buf, 0, nl + 1, len);
      carry = len - nl - 1;
    }
    if (carry > 0) sc.feedBytes(buf, 0, carry);
  } finally {
    fs.closeSync(fd);
  }
  return sc.result();
}

export async function scanGzip(file: string, o: ScanOptions): Promise<ScanState> {
  const nat = nativeMainlogScanner(o);
  if (nat) return scanGzipNative(nat, file, o);
  const sc = new MainlogScanner(o);
  let carry: Buffer = Buffer.alloc(0);
  const stream = fs.createReadStream(file).pipe(zlib.createGunzip());
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const b = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const nl = b.lastIndexOf(10);
      if (nl === -1) {
        carry = b;
        continue;
      }
      sc.feed(latin1(b, 0, nl + 1));
      carry = b.subarray(nl + 1);
    }
  } catch (e) {
    // a truncated or corrupt .gz: keep what was read and say where it broke
    sc.st.garbage++;
    sc.st.garbageSamples.push({
      line: sc.st.lines + 1,
      text: `(gzip error: ${(e as Error).message})`,
    });
  }
  if (carry.length) sc.feed(latin1(carry, 0, carry.length));
  return sc.st;
}

async function scanGzipNative(
  sc: NativeMainlogScanner,
  file: string,
  o: ScanOptions,
): Promise<ScanState> {
  let carry: Buffer = Buffer.alloc(0);
  const stream = fs.createReadStream(file).pipe(zlib.createGunzip());
  let gzipError: string | undefined;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const b = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const nl = b.lastIndexOf(10);
      if (nl === -1) {
        carry = b;
        continue;
      }
      sc.feedBytes(b, 0, nl + 1);
      carry = b.subarray(nl + 1);
    }
  } catch (e) {
    gzipError = (e as Error).message;
  }
  if (gzipError === undefined) {
    if (carry.length) sc.feedBytes(carry, 0, carry.length);
    return sc.result();
  }
  // as the JS scanner: the error counts as one garbage line noted before the partial tail
  const before = sc.result();
  if (carry.length) sc.feedBytes(carry, 0, carry.length);
  const st = sc.result();
  st.garbage++;
  const tailSamples = st.garbageSamples.slice(before.garbageSamples.length);
  st.garbageSamples = before.garbageSamples;
  st.garbageSamples.push({ line: before.lines + 1, text: `(gzip error: ${gzipError})` });
  for (const g of tailSamples)
    if (st.garbageSamples.length < (o.maxSamples ?? 20)) st.garbageSamples.push(g);
  return st;
}

/** Combine range results in file order: line numbers of later ranges shift by the lines before. */
export function combineRanges(parts: ScanState[]): ScanState {
  const total = newState();
  let before = 0;
  for (const p of parts) {
    for (const g of p.garbageSamples) g.line += before;
    for (const g of p.truncatedSamples) g.line += before;
    before += p.lines;
    mergeState(total, p);
  }
  return total;
}
