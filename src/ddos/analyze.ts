/** Streams a capture file or stream through the reader and analyzer in large reused chunks. */
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { HostopsError, usageError } from '../lib/errors.js';
import { Analyzer, type WatchEvent } from './analyzer.js';
import { CaptureReader, MAX_RECORD } from './capture-reader.js';
import { REFLECTORS, type Reflector } from './protocols.js';
import { buildReport, type DdosReport } from './report.js';

export interface AnalyzeOptions {
  /** Peak packets/s a (victim, protocol) vector must reach to be reported; default 1000. */
  minPps?: number;
  /** Distinct reflectors a vector must have; default 10. */
  minReflectors?: number;
  /** Frame bytes a vector must total; default 0. */
  minBytes?: number;
  /** Reflectors listed per victim; default 10. */
  topReflectors?: number;
  /** Include every UDP conversation in the report (udpConversations). */
  conversations?: boolean;
  /**
   * Called as soon as a (victim, protocol) vector crosses the thresholds (type 'attack'), and when
   * it has then been silent for `quietAfter` seconds of capture time (type 'end'): `--watch`.
   */
  onAlert?: (e: WatchEvent) => void;
  /** Bound on tracked UDP conversations (about 150 bytes each); default 4,000,000. */
  maxConversations?: number;
  /** Seconds of silence (capture time) after which an alerted attack is reported as ended; default 10. */
  quietAfter?: number;
  /** Called after each chunk with bytes read so far and the total (null for streams). */
  onProgress?: (bytesRead: number, total: number | null) => void;
  /** Override the reflector port list. */
  reflectors?: readonly Reflector[];
  /** Name used in messages for a stream input; default 'stdin'. */
  name?: string;
  /** Read size; default 4 MiB. */
  chunkSize?: number;
}

export const DEFAULTS = { minPps: 1000, minReflectors: 10, minBytes: 0, topReflectors: 10 };

/** Window over the input: keeps a partial record at the front and reads behind it. */
class Window {
  buf: Buffer;
  start = 0;
  end = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  /** Make room for at least n more bytes behind `end`, keeping [start, end). */
  room(n: number, need: number): void {
    const keep = this.end - this.start;
    if (
      this.start > 0 &&
      (this.buf.length - this.end < n || keep + n > this.buf.length - this.start)
    ) {
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.start = 0;
      this.end = keep;
    }
    const want = Math.max(keep + n, need);
    if (want > this.buf.length) {
      const b = Buffer.allocUnsafe(Math.max(want, this.buf.length * 2));
      this.buf.copy(b, 0, this.start, this.end);
      this.buf = b;
      this.end = keep;
      this.start = 0;
    }
  }
}

export async function analyzeCapture(
  input: string | NodeJS.ReadableStream,
  opts: AnalyzeOptions = {},
): Promise<DdosReport> {
  const thresholds = {
    minPps: opts.minPps ?? DEFAULTS.minPps,
    minReflectors: opts.minReflectors ?? DEFAULTS.minReflectors,
    minBytes: opts.minBytes ?? DEFAULTS.minBytes,
  };
  for (const [k, v] of Object.entries(thresholds)) {
    if (!Number.isFinite(v) || v < 0)
      throw usageError('DDOS_BAD_THRESHOLD', `${k} must be a number >= 0, got ${v}`);
  }
  const reflectors = opts.reflectors ?? REFLECTORS;
  const an = new Analyzer(
    reflectors,
    thresholds,
    opts.onAlert,
    opts.quietAfter ?? 10,
    opts.maxConversations ?? 4_000_000,
  );
  const source = typeof input === 'string' ? input : (opts.name ?? 'stdin');
  const reader = new CaptureReader(an, source);
  const chunk = opts.chunkSize ?? 4 * 1024 * 1024;
  const w = new Window(chunk + 65536);
  let total = 0;

  let gz = false;
  let gzipTruncated: string | null = null;
  let stream: AsyncIterable<Buffer | string> | null =
    typeof input === 'string' ? null : (input as AsyncIterable<Buffer | string>);
  if (typeof input === 'string') {
    let fh: FileHandle;
    try {
      fh = await open(input, 'r');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new HostopsError(
        'DDOS_CAPTURE_UNREADABLE',
        `cannot open capture ${input}: ${err.code ?? err.message}`,
        { where: input, exitCode: err.code === 'EACCES' ? 3 : 2 },
      );
    }
    try {
      const head = Buffer.alloc(2);
      await fh.read(head, 0, 2, 0);
      if (head[0] === 0x1f && head[1] === 0x8b) {
        gz = true;
        stream = createReadStream(input, { highWaterMark: 1 << 20 });
      }
      const size = (await stat(input)).size;
      for (; !gz; ) {
        w.room(chunk, reader.need);
        const { bytesRead } = await fh.read(w.buf, w.end, w.buf.length - w.end, null);
        if (bytesRead === 0) break;
        w.end += bytesRead;
        total += bytesRead;
        w.start = reader.feed(w.buf, w.start, w.end);
        checkNeed(reader, source);
        opts.onProgress?.(total, size);
      }
    } catch (e) {
      if (e instanceof HostopsError) throw e;
      const err = e as NodeJS.ErrnoException;
      // EISDIR and friends: the path is not a capture (2); EIO and the like: the system failed (3)
      throw new HostopsError(
        'DDOS_CAPTURE_UNREADABLE',
        `cannot read capture ${input}: ${err.code ?? err.message}`,
        {
          where: `${input}: byte offset ${total}`,
          exitCode: err.code === 'EISDIR' || err.code === 'EINVAL' ? 2 : 3,
        },
      );
    } finally {
      await fh.close();
    }
  }
  if (stream) {
    const it = gunzipIfNeeded(stream, () => {
      gz = true;
    });
    try {
      for await (const c of it) {
        const b = typeof c === 'string' ? Buffer.from(c, 'latin1') : c;
        w.room(b.length, reader.need);
        b.copy(w.buf, w.end);
        w.end += b.length;
        total += b.length;
        w.start = reader.feed(w.buf, w.start, w.end);
        checkNeed(reader, source);
        opts.onProgress?.(total, null);
      }
    } catch (e) {
      if (e instanceof HostopsError) throw e;
      const err = e as NodeJS.ErrnoException;
      // a gzip stream cut short still gave us everything before the cut: report it as truncation
      if (gz && err.code === 'Z_BUF_ERROR')
        gzipTruncated = `the gzip stream ends early (${err.message}) after ${total} decompressed bytes`;
      else if (gz)
        throw new HostopsError(
          'DDOS_CAPTURE_GZIP',
          `${source} is a damaged gzip stream: ${err.message}`,
          { where: `${source}: decompressed byte offset ${total}` },
        );
      else
        throw new HostopsError(
          'DDOS_CAPTURE_UNREADABLE',
          `reading ${source} failed: ${err.code ?? err.message}`,
          { where: source },
        );
    }
  }
  const truncated =
    reader.finish(w.start, w.end) ??
    (gzipTruncated && reader.format ? { offset: reader.offset, message: gzipTruncated } : null);
  return buildReport(an, {
    source,
    format: reader.format!,
    compressed: gz,
    linktypes: [...reader.linktypes],
    truncated,
    topReflectors: opts.topReflectors ?? DEFAULTS.topReflectors,
    conversations: opts.conversations ?? false,
  });
}

/** Pass chunks through, or through gunzip when the first bytes are the gzip magic (1f 8b). */
async function* gunzipIfNeeded(
  src: AsyncIterable<Buffer | string>,
  onGzip: () => void,
): AsyncGenerator<Buffer | string> {
  const it = src[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const b0 = typeof first.value === 'string' ? Buffer.from(first.value, 'latin1') : first.value;
  if (!(b0.length >= 2 && b0[0] === 0x1f && b0[1] === 0x8b)) {
    yield b0;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    return;
  }
  onGzip();
  const gunzip = createGunzip();
  (async () => {
    try {
      if (!gunzip.write(b0)) await new Promise((r) => gunzip.once('drain', r));
      for (let r = await it.next(); !r.done; r = await it.next()) {
        if (!gunzip.write(r.value)) await new Promise((res) => gunzip.once('drain', res));
      }
      gunzip.end();
    } catch (e) {
      gunzip.destroy(e as Error);
    }
  })();
  yield* gunzip as AsyncIterable<Buffer>;
}

function checkNeed(reader: CaptureReader, source: string): void {
  if (reader.need > MAX_RECORD + 64) {
    throw new HostopsError(
      'DDOS_CAPTURE_BAD_RECORD',
      `record of ${reader.need} bytes at byte offset ${reader.offset} of ${source} exceeds the limit`,
      { where: `${source}: byte offset ${reader.offset}` },
    );
  }
}
