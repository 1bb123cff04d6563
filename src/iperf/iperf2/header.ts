/**
 * iperf 2's first bytes on a TCP test (payloads.h client_hdr_v1 + client_hdrext, big-endian
 * int32s), laid out as Debian's iperf 2.1.8 client sends them for a plain TCP test.
 */
export const HEADER_EXTEND = 0x40000000;
export const HEADER_VERSION1 = 0x80000000;
const FLAGS_PLAIN_TCP = 0x40010078;
export const HEADER_LEN = 60;

export function clientHeader(opts: {
  threads: number;
  port: number;
  duration?: number;
  bytes?: number;
}): Buffer {
  const b = Buffer.alloc(HEADER_LEN);
  b.writeUInt32BE(FLAGS_PLAIN_TCP, 0);
  b.writeInt32BE(opts.threads, 4);
  b.writeInt32BE(opts.port, 8);
  b.writeInt32BE(0, 12); // bufLen
  b.writeInt32BE(0, 16); // winBand
  // mAmount: negative = time in 10 ms units, positive = bytes
  b.writeInt32BE(
    opts.bytes ? Math.min(opts.bytes, 0x7fffffff) : -Math.round((opts.duration ?? 10) * 100),
    20,
  );
  b.writeUInt32BE(0x00020001, 36); // version words of 2.1.8
  b.writeUInt32BE(0x00080003, 40);
  return b;
}

/** What a server needs from the first bytes: the thread count, when the header says it has one. */
export function parseHeader(first: Buffer): { threads: number } | null {
  if (first.length < 8) return null;
  const flags = first.readUInt32BE(0);
  if (!(flags & (HEADER_EXTEND | HEADER_VERSION1))) return null;
  const threads = first.readInt32BE(4);
  return { threads: threads >= 1 && threads <= 128 ? threads : 1 };
}
