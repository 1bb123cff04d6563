/** Reads and parses a run of spool entries; runs in the main thread or in a worker. */
import fs from 'node:fs';
import { parseHeaderFile, readErrorMessage } from './spool-parse.js';
import { compileSelection, needsHeaders, type Selection } from './select.js';
import { formatBp } from './bp-format.js';
import { toJsonMessage } from './json.js';
import type { QueueMessage, SpoolEntry } from './types.js';

export interface ChunkRequest {
  entries: SpoolEntry[];
  now: number;
  select?: Selection;
  /** 'records': return messages; 'text': return only the exim -bp text of the selected ones. */
  /** records: messages; text: exim -bp text; ndjson: one JSON object per line; count: numbers only. */
  mode: 'records' | 'text' | 'ndjson' | 'count';
}

export interface ChunkResult {
  messages: QueueMessage[];
  /** Text of the selected messages in order, in flat batches of up to 1000 messages. */
  parts: string[];
  /** Messages seen (selected or not), for "N matches out of M". */
  seen: number;
  matched: number;
}

const buf = Buffer.allocUnsafe(64 * 1024);

function readWhole(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    let n = fs.readSync(fd, buf, 0, buf.length, 0);
    // the shared buffer is parsed before the next read, so no copy is needed
    if (n < buf.length) return buf.subarray(0, n);
    // large header file (many recipients): read the rest
    const parts = [Buffer.from(buf)];
    let off = n;
    for (;;) {
      const b = Buffer.allocUnsafe(1024 * 1024);
      n = fs.readSync(fd, b, 0, b.length, off);
      if (n <= 0) break;
      parts.push(b.subarray(0, n));
      off += n;
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
  // flat strings joined per batch: `text +=` would keep a cons-string node per piece alive
  private readonly batches: string[] = [];
  private batch: string[] = [];
  seen = 0;
  matched = 0;

  constructor(private readonly mode: ChunkRequest['mode'], private readonly now: number, select?: Selection) {
    this.pred = select ? compileSelection(select) : null;
    this.wantHeaders = select ? needsHeaders(select) : false;
    this.fields = mode !== 'text' || select !== undefined;
  }

  /** One -H file's contents (or the errno code of reading it; ENOENT = gone, skipped like exim). */
  add(id: string, subdir: string, hbuf: Buffer | null, readErr: NodeJS.ErrnoException | null, dataSize: number, journal: Buffer | undefined): void {
    let msg: QueueMessage;
    let headers = '';
    if (hbuf === null) {
      if (readErr!.code === 'ENOENT') return; // delivered or removed while listing: exim skips it too
      msg = readErrorMessage(id, subdir, readErr!);
    } else {
      const p = parseHeaderFile({ id, subdir, buf: hbuf, dataSize, journal, wantHeaders: this.wantHeaders,
        liveHeadersOnly: true, fields: this.fields });
      msg = p.msg;
      headers = p.headers;
    }
    this.seen++;
    if (this.pred && !this.pred(msg, headers, this.now)) return;
    this.matched++;
    const mode = this.mode;
    if (mode === 'text' || mode === 'ndjson') {
      this.batch.push(mode === 'text' ? formatBp(msg, this.now) : JSON.stringify(toJsonMessage(msg)) + '\n');
      if (this.batch.length === 1000) this.flush();
    } else if (mode === 'records') this.messages.push(msg);
  }

  /** Text formatted so far, as flat parts (the caller may write them out between batches). */
  takeParts(): string[] {
    this.flush();
    return this.batches.splice(0);
  }

  private flush(): void {
    if (this.batch.length) { this.batches.push(this.batch.join('')); this.batch = []; }
  }

  result(): ChunkResult {
    return { messages: this.messages, parts: this.takeParts(), seen: this.seen, matched: this.matched };
  }
}

export function readChunk(req: ChunkRequest): ChunkResult {
  const sink = new ChunkSink(req.mode, req.now, req.select);
  for (const e of req.entries) {
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
        try { journal = fs.readFileSync(base + id + '-J'); } catch { /* gone: delivery finished */ }
      }
    }
    sink.add(id, e.subdir, hbuf, readErr, dataSize, journal);
  }
  return sink.result();
}
