/**
 * The queue through the hostops_spool addon: one native directory scan (sorted in exim -bp
 * order), then batches of -H/-D/-J reads done by two native threads while this thread parses
 * the previous batch. JS makes no per-file system call; parsing is the same spool-parse.ts.
 * Falls back to the per-file reader (spool-read.ts) when the addon is not built.
 */
import os from 'node:os';
import path from 'node:path';
import { spoolAddon, type SpoolAddon, type SpoolScan } from './spool-addon.js';
import { HostopsError } from '../lib/errors.js';
import { ChunkSink, type ChunkRequest, type ChunkResult } from './spool-chunk.js';
import type { Selection } from './select.js';
import type { QueueMessage } from './types.js';

export { spoolAddon };

/** The same named errors as scanSpool for a missing or unreadable input/ directory. */
function spoolError(spool: string, e: NodeJS.ErrnoException): HostopsError {
  const input = path.join(spool, 'input');
  if (e.code === 'ENOENT' || e.code === 'ENOTDIR') {
    return new HostopsError('MAILQ_NO_SPOOL', `no Exim spool at ${spool} (missing ${input})`,
      { exitCode: 3, where: input, hint: 'pass --spool <dir> (Debian: /var/spool/exim4, cPanel: /var/spool/exim)' });
  }
  return new HostopsError('MAILQ_SPOOL_UNREADABLE', `cannot read the spool directory ${input}: ${e.message}`,
    { exitCode: 3, where: input, hint: 'run as root or as the exim user, or pass --spool' });
}

export function nativeScan(a: SpoolAddon, spool: string): SpoolScan {
  try {
    return a.scan(path.join(spool, 'input'));
  } catch (e) {
    throw spoolError(spool, e as NodeJS.ErrnoException);
  }
}

/** exim -bpc through the addon (no file opened). */
export function nativeCount(a: SpoolAddon, spool: string): number {
  try {
    return a.count(path.join(spool, 'input'));
  } catch (e) {
    throw spoolError(spool, e as NodeJS.ErrnoException);
  }
}

const ERRNO_CODE: string[] = [];
for (const [code, n] of Object.entries(os.constants.errno)) ERRNO_CODE[n] ??= code;

function errnoError(n: number): NodeJS.ErrnoException {
  const e = new Error(ERRNO_CODE[n] ?? `errno ${n}`) as NodeJS.ErrnoException;
  e.code = ERRNO_CODE[n];
  e.errno = n;
  return e;
}

const BATCH = 4096;

export interface NativeReadOptions {
  now: number;
  select?: Selection;
  mode: ChunkRequest['mode'];
  /** Called with formatted parts as soon as a batch is done (text/ndjson), to stream output. */
  onParts?: (parts: (string | Buffer)[]) => Promise<void> | void;
  threads?: number;
  /** Sees every parsed message before selection (builds the queue index). */
  tap?: (m: QueueMessage, reread: boolean, bpTail: string, hstat?: Float64Array) => void;
}

/** Reads and parses the whole queue in -bp order; parts go to onParts when given. */
export async function readQueueNative(a: SpoolAddon, spool: string, o: NativeReadOptions): Promise<ChunkResult> {
  const sc = nativeScan(a, spool);
  const sink = new ChunkSink(o.mode, o.now, o.select);
  if (o.tap) sink.tap(o.tap);
  const subdirs = new Map<number, string>([[0, '']]);
  const threads = o.threads ?? 2;
  const n = sc.count;
  let nameOff = 0;
  try {
    let pending = n > 0 ? a.readBatch(sc.handle, 0, Math.min(n, BATCH), threads) : null;
    for (let start = 0; start < n; start += BATCH) {
      const end = Math.min(n, start + BATCH);
      const { data, meta } = await pending!;
      // the next batch is read by the native threads while this one is parsed
      pending = end < n ? a.readBatch(sc.handle, end, Math.min(n, end + BATCH), threads) : null;
      const F = a.FIELDS;
      for (let i = start; i < end; i++) {
        const len = sc.nameLen[i];
        const id = sc.names.slice(nameOff, nameOff + len - 2);
        nameOff += len;
        const sc0 = sc.subdir[i];
        let subdir = subdirs.get(sc0);
        if (subdir === undefined) subdirs.set(sc0, (subdir = String.fromCharCode(sc0)));
        const m = (i - start) * F;
        const err = meta[m + 2];
        if (err !== 0) { sink.add(id, subdir, null, errnoError(err), -1, undefined, sc.journal[i] === 1); continue; }
        const off = meta[m];
        const hbuf = data.subarray(off, off + meta[m + 1]);
        const jlen = meta[m + 5];
        const journal = jlen >= 0 ? data.subarray(meta[m + 4], meta[m + 4] + jlen) : undefined;
        sink.add(id, subdir, hbuf, null, meta[m + 3], journal, sc.journal[i] === 1, o.tap && meta[m + 6] >= 0 ? meta.subarray(m + 6, m + 10) : undefined);
      }
      if (o.onParts) {
        const parts = sink.takeParts();
        if (parts.length) await o.onParts(parts);
      }
    }
  } finally {
    a.release(sc.handle);
  }
  return sink.result();
}
