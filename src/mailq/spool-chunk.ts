/** Reads and parses a run of spool entries; runs in the main thread or in a worker. */
import fs from 'node:fs';
import os from 'node:os';
import { parseHeaderFile, readErrorMessage } from './spool-parse.js';
import { compileSelection, needsHeaders, needsFields, type Selection } from './select.js';
import { FORMATS, type Format, type FormatName, type Renderer } from './format/index.js';
import type { IndexView } from './spool-index.js';
import type { QueueMessage, SpoolEntry } from './types.js';

export interface ChunkRequest {
  entries: SpoolEntry[];
  now: number;
  select?: Selection;
  /** The output format's name (FORMATS): a worker thread makes its own renderer from it. */
  format: FormatName;
}

export interface ChunkResult {
  /** The selected messages, for a format that collects them (readQueue). */
  messages: QueueMessage[];
  /** The renderer's output of the selected messages, in order (latin1 Buffers or UTF-8 strings). */
  parts: (string | Buffer)[];
  /** Messages seen (selected or not), for "N matches out of M". */
  seen: number;
  matched: number;
  /** Collected messages: those seen whose -H could not be read (selected or not), for rm's preview. */
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

/** Sees every parsed message before selection; returns its -bp text after the age if it made it. */
export type Tap = (m: QueueMessage, reread: boolean, hstat?: Float64Array) => string | undefined;

/**
 * The records of one run in -bp order: parsed messages and queue index rows. Counts them,
 * applies the selection and hands the selected ones to the renderer of the chosen format.
 * Both readers (per-file JS, native bulk) and the index paths feed it the same way.
 */
export class ChunkSink {
  private readonly pred: ReturnType<typeof compileSelection> | null;
  private readonly wantHeaders: boolean;
  /** Subject, X-PHP-Script and From are decoded only for a format or a selection that reads them. */
  private readonly fields: boolean;
  readonly render: Renderer;
  /** Sees every parsed message before selection (the queue index is built from them). */
  private onParsed: Tap | null = null;
  seen = 0;
  matched = 0;

  constructor(
    format: Format,
    private readonly now: number,
    select?: Selection,
  ) {
    this.render = format.create(now);
    this.pred = select ? compileSelection(select) : null;
    this.wantHeaders = select ? needsHeaders(select) : false;
    this.fields = format.fields || (select !== undefined && needsFields(select));
  }

  /** Every parsed message, selected or not, goes to fn too. */
  tap(fn: Tap): void {
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
    const tail = this.onParsed?.(msg, hadJournal || hbuf === null, hstat);
    this.seen++;
    this.render.parsed?.(msg);
    if (this.pred && !this.pred(msg, headers, this.now)) return;
    this.matched++;
    this.render.message(msg, tail);
  }

  /** Row r of the queue index (a message answered by it, not read): selected and counted like a parsed one. */
  addRow(v: IndexView, r: number): void {
    this.seen++;
    if (this.pred && !this.pred(v.row(r), '', this.now)) return;
    this.matched++;
    this.render.row(v, r);
  }

  /**
   * Rows from..to-1 of the index, consecutive in the listing and handed over whole (the
   * renderer may write into the view's -bp column). Without a selection they go as one run.
   */
  addRows(v: IndexView, from: number, to: number): void {
    if (this.pred) {
      for (let r = from; r < to; r++) this.addRow(v, r);
      return;
    }
    this.seen += to - from;
    this.matched += to - from;
    this.render.rows(v, from, to);
  }

  /** Output rendered so far, as parts (the caller may write them out between batches). */
  takeParts(): (string | Buffer)[] {
    return this.render.take();
  }

  result(): ChunkResult {
    const rec = this.render.records?.();
    return {
      messages: rec?.messages ?? [],
      parts: this.takeParts(),
      seen: this.seen,
      matched: this.matched,
      unreadable: rec?.unreadable ?? [],
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
  const sink = new ChunkSink(FORMATS[req.format], req.now, req.select);
  for (const e of req.entries) readEntryInto(sink, e);
  return sink.result();
}
