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

export function readChunk(req: ChunkRequest): ChunkResult {
  const pred = req.select ? compileSelection(req.select) : null;
  const wantHeaders = req.select ? needsHeaders(req.select) : false;
  // the -bp text needs no header values unless a selection looks at them
  const fields = req.mode !== 'text' || req.select !== undefined;
  const messages: QueueMessage[] = [];
  // flat strings joined per batch: `text +=` would keep a cons-string node per piece alive
  const batches: string[] = [];
  let batch: string[] = [];
  let seen = 0;
  let matched = 0;
  for (const e of req.entries) {
    const id = e.name.slice(0, -2);
    const base = e.dir + '/';
    const hfile = base + e.name;
    let msg: QueueMessage;
    let headers = '';
    let hbuf: Buffer | null = null;
    try {
      hbuf = readWhole(hfile);
    } catch (err) {
      const x = err as NodeJS.ErrnoException;
      if (x.code === 'ENOENT') continue; // delivered or removed while listing: exim skips it too
      msg = readErrorMessage(id, e.subdir, x);
    }
    if (hbuf) {
      const st = fs.statSync(base + id + '-D', { throwIfNoEntry: false });
      let journal: Buffer | undefined;
      if (e.hasJournal) {
        try { journal = fs.readFileSync(base + id + '-J'); } catch { /* gone: delivery finished */ }
      }
      const p = parseHeaderFile({ id, subdir: e.subdir, buf: hbuf, dataSize: st ? st.size : -1, journal, wantHeaders,
        liveHeadersOnly: true, fields });
      msg = p.msg;
      headers = p.headers;
    }
    seen++;
    if (pred && !pred(msg!, headers, req.now)) continue;
    matched++;
    if (req.mode === 'text' || req.mode === 'ndjson') {
      batch.push(req.mode === 'text' ? formatBp(msg!, req.now) : JSON.stringify(toJsonMessage(msg!)) + '\n');
      if (batch.length === 1000) { batches.push(batch.join('')); batch = []; }
    }
    else if (req.mode === 'records') messages.push(msg!);
  }
  if (batch.length) batches.push(batch.join(''));
  return { messages, parts: batches, seen, matched };
}
