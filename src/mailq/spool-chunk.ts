/** Reads and parses a run of spool entries; runs in the main thread or in a worker. */
import fs from 'node:fs';
import os from 'node:os';
import { parseHeaderFile, readErrorMessage } from './spool-parse.js';
import {
  compileSelection,
  isUnreadable,
  needsHeaders,
  needsFields,
  type Selection,
} from './select.js';
import { formatAge, formatBpTail, hasAge } from './bp-format.js';
import { OutBuffer } from './out-buffer.js';
import { toJsonMessage } from './json.js';
import type { QueueMessage, SpoolEntry } from './types.js';

export interface ChunkRequest {
  entries: SpoolEntry[];
  now: number;
  select?: Selection;
  /** 'records': return messages; 'text': return only the exim -bp text of the selected ones. */
  /** records: messages; text: exim -bp text; ndjson: one JSON object per line; ids: one id per line; count: numbers only. */
  mode: 'records' | 'text' | 'ndjson' | 'ids' | 'count';
}

export interface ChunkResult {
  messages: QueueMessage[];
  /**
   * Output of the selected messages in order: text mode as latin1 Buffers of about 1 MB (the -bp
   * bytes), ndjson as strings of up to 1000 objects.
   */
  parts: (string | Buffer)[];
  /** Messages seen (selected or not), for "N matches out of M". */
  seen: number;
  matched: number;
  /** Records mode: the messages seen whose -H could not be read (selected or not), for rm's preview. */
  unreadable: QueueMessage[];
}

const buf = Buffer.allocUnsafe(64 * 1024);

/** -H and -J files are small (exim's header_maxsize is 1 MB): larger ones are EFBIG, not read.
 * The same cap as MAX_SPOOL_FILE in native/spool/addon.c. */
export const MAX_SPOOL_FILE = 64 * 1024 * 1024;

function errnoError(code: 'EISDIR' | 'ESPIPE' | 'EFBIG', file: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${file}`) as NodeJS.ErrnoException;
  e.code = code;
  e.errno = os.constants.errno[code];
  return e;
}

/** Opens a spool file as the addon does: never through a symlink (ELOOP), never blocking on a
 * FIFO (O_NONBLOCK; not a regular file is ESPIPE, a directory EISDIR), at most MAX_SPOOL_FILE. */
function openSpoolFile(file: string): number {
  const fd = fs.openSync(
    file,
    fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK,
  );
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw errnoError(st.isDirectory() ? 'EISDIR' : 'ESPIPE', file);
    if (st.size > MAX_SPOOL_FILE) throw errnoError('EFBIG', file);
    return fd;
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** The whole file; shared: in the module's buffer when it fits (the -H, parsed before the next
 * read), otherwise in a buffer of its own (the -J, read while the -H is still in use). */
function readWhole(file: string, shared = true): Buffer {
  const fd = openSpoolFile(file);
  try {
    const first = shared ? buf : Buffer.allocUnsafe(buf.length);
    let n = fs.readSync(fd, first, 0, first.length, 0);
    // the shared buffer is parsed before the next read, so no copy is needed
    if (n < first.length) return first.subarray(0, n);
    // large header file (many recipients): read the rest
    const parts = [shared ? Buffer.from(first) : first];
    let off = n;
    for (;;) {
      const b = Buffer.allocUnsafe(1024 * 1024);
      n = fs.readSync(fd, b, 0, b.length, off);
      if (n <= 0) break;
      parts.push(b.subarray(0, n));
      off += n;
      if (off > MAX_SPOOL_FILE) throw errnoError('EFBIG', file); // grew while read
    }
    return Buffer.concat(parts);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Collects parsed messages of one run in -bp order: applies the selection and formats text or
 * NDJSON in flat batches. Both readers (per-file JS, native bulk) feed it the same way.
 */
export class ChunkSink {
  private readonly pred: ReturnType<typeof compileSelection> | null;
  private readonly wantHeaders: boolean;
  /** The -bp text needs no header values unless a selection looks at them. */
  private readonly fields: boolean;
  readonly messages: QueueMessage[] = [];
  readonly unreadable: QueueMessage[] = [];
  // ndjson: flat strings joined per batch (`text +=` would keep a cons-string node per piece alive)
  private readonly batches: (string | Buffer)[] = [];
  private batch: string[] = [];
  // text: each message's -bp block written straight into latin1 buffers (no join, no re-encoding)
  private readonly out = new OutBuffer();
  /** Sees every parsed message before selection (the queue index is built from them). */
  private onParsed:
    | ((m: QueueMessage, reread: boolean, bpTail: string, hstat?: Float64Array) => void)
    | null = null;
  seen = 0;
  matched = 0;

  constructor(
    private readonly mode: ChunkRequest['mode'],
    private readonly now: number,
    select?: Selection,
  ) {
    this.pred = select ? compileSelection(select) : null;
    this.wantHeaders = select ? needsHeaders(select) : false;
    // Subject, X-PHP-Script and From are decoded only for records/JSON or a selection on them
    this.fields =
      mode === 'records' || mode === 'ndjson' || (select !== undefined && needsFields(select));
  }

  /** Every parsed message, selected or not, goes to fn too (with its -bp text after the age). */
  tap(fn: (m: QueueMessage, reread: boolean, bpTail: string, hstat?: Float64Array) => void): void {
    this.onParsed = fn;
  }

  /** One -H file's contents (or the errno code of reading it; ENOENT = gone, skipped like exim). */
  add(
    id: string,
    subdir: string,
    hbuf: Buffer | null,
    readErr: NodeJS.ErrnoException | null,
    dataSize: number,
    journal: Buffer | undefined,
    hadJournal = journal !== undefined,
    hstat?: Float64Array,
  ): void {
    let msg: QueueMessage;
    let headers = '';
    if (hbuf === null) {
      if (readErr!.code === 'ENOENT') return; // delivered or removed while listing: exim skips it too
      msg = readErrorMessage(id, subdir, readErr!);
    } else {
      const p = parseHeaderFile({
        id,
        subdir,
        buf: hbuf,
        dataSize,
        journal,
        wantHeaders: this.wantHeaders,
        liveHeadersOnly: true,
        fields: this.fields,
      });
      msg = p.msg;
      headers = p.headers;
    }
    // a journal grows while its delivery runs, and a read error may clear: never kept as is
    // the -bp text after the age: made once for the index and the listing
    const tail = this.onParsed !== null || this.mode === 'text' ? formatBpTail(msg) : '';
    this.onParsed?.(msg, hadJournal || hbuf === null, tail, hstat);
    this.seen++;
    if (this.mode === 'records' && isUnreadable(msg)) this.unreadable.push(msg);
    if (this.pred && !this.pred(msg, headers, this.now)) return;
    this.matched++;
    const mode = this.mode;
    if (mode === 'text') {
      if (hasAge(msg)) this.out.latin1(formatAge(this.now - msg.time));
      this.out.latin1(tail);
    } else if (mode === 'ids') this.out.latin1(msg.id + '\n');
    else if (mode === 'ndjson') {
      this.batch.push(JSON.stringify(toJsonMessage(msg)) + '\n');
      if (this.batch.length === 1000) this.flush();
    } else if (mode === 'records') this.messages.push(msg);
  }

  /**
   * A message answered by the queue index: selected and counted like a parsed one; `text`
   * writes its -bp block (text mode). `m` needs only the fields a selection reads.
   */
  addCached(m: QueueMessage, text: (out: OutBuffer, row: number) => void, row: number): void {
    this.seen++;
    if (this.pred && !this.pred(m, '', this.now)) return;
    this.matched++;
    if (this.mode === 'text') text(this.out, row);
    else if (this.mode === 'ids') this.out.latin1(m.id + '\n');
  }

  /** -bp text of `rows` unselected-for messages from the queue index, passed on as it is. */
  addBytes(b: Buffer, rows: number): void {
    this.seen += rows;
    this.matched += rows;
    this.out.view(b);
  }

  /** Output formatted so far, as parts (the caller may write them out between batches). */
  takeParts(): (string | Buffer)[] {
    this.flush();
    for (const b of this.out.take()) this.batches.push(b);
    return this.batches.splice(0);
  }

  private flush(): void {
    if (this.batch.length) {
      this.batches.push(this.batch.join(''));
      this.batch = [];
    }
  }

  result(): ChunkResult {
    return {
      messages: this.messages,
      parts: this.takeParts(),
      seen: this.seen,
      matched: this.matched,
      unreadable: this.unreadable,
    };
  }
}

/** Reads one entry's -H (and -D size, -J) with plain fs calls and hands it to the sink. */
export function readEntryInto(sink: ChunkSink, e: SpoolEntry): void {
  const id = e.name.slice(0, -2);
  const base = e.dir + '/';
  let hbuf: Buffer | null = null;
  let readErr: NodeJS.ErrnoException | null = null;
  try {
    hbuf = readWhole(base + e.name);
  } catch (err) {
    readErr = err as NodeJS.ErrnoException;
  }
  let dataSize = -1;
  let journal: Buffer | undefined;
  if (hbuf) {
    const st = fs.statSync(base + id + '-D', { throwIfNoEntry: false });
    if (st) dataSize = st.size;
    if (e.hasJournal) {
      try {
        journal = readWhole(base + id + '-J', false);
      } catch {
        /* gone: delivery finished */
      }
    }
  }
  sink.add(id, e.subdir, hbuf, readErr, dataSize, journal, e.hasJournal);
}

export function readChunk(req: ChunkRequest): ChunkResult {
  const sink = new ChunkSink(req.mode, req.now, req.select);
  for (const e of req.entries) readEntryInto(sink, e);
  return sink.result();
}
