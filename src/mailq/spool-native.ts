/**
 * The queue through the hostops_spool addon: one native directory scan (sorted in exim -bp
 * order), then batches of -H/-D/-J reads done by two native threads while this thread parses
 * the previous batch. JS makes no per-file system call; parsing is the same spool-parse.ts.
 * Falls back to the per-file reader (spool-read.ts) when the addon is not built.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spoolAddon, type SpoolAddon, type SpoolScan } from './spool-addon.js';
import { HostopsError } from '../lib/errors.js';
import { ChunkSink, type ChunkResult, type Tap } from './spool-chunk.js';
import type { Format } from './format/renderer.js';
import type { Selection } from './select.js';

export { spoolAddon };

/**
 * The named error for a spool whose input/ cannot be listed (scanSpool's too): a path that is a
 * file is a usage error (2); a missing or unreadable directory an environment error (3).
 */
export function spoolError(spool: string, e: NodeJS.ErrnoException): HostopsError {
  const input = path.join(spool, 'input');
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(spool);
  } catch {
    /* missing, or a parent we cannot search: below */
  }
  if (st && !st.isDirectory()) {
    return new HostopsError('MAILQ_SPOOL_NOT_DIR', `the spool path ${spool} is not a directory`, {
      where: spool,
    });
  }
  if (e.code === 'ENOENT' || e.code === 'ENOTDIR') {
    return new HostopsError('MAILQ_NO_SPOOL', `no Exim spool at ${spool} (missing ${input})`, {
      where: input,
    });
  }
  const why =
    e.code === 'EACCES' || e.code === 'EPERM'
      ? `${e.code} (permission denied)`
      : (e.code ?? e.message);
  return new HostopsError(
    'MAILQ_SPOOL_UNREADABLE',
    `cannot read the spool directory ${input}: ${why}`,
    { where: input },
  );
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

export function errnoError(n: number): NodeJS.ErrnoException {
  const e = new Error(ERRNO_CODE[n] ?? `errno ${n}`) as NodeJS.ErrnoException;
  e.code = ERRNO_CODE[n];
  e.errno = n;
  return e;
}

const BATCH = 4096;

/** Messages of the scan the queue index still holds: emitted from it, not read (spool-index.ts). */
export interface Reuse {
  /** 1 for each scanned entry taken from the index. */
  keep: Uint8Array;
  kept: number;
  emit(i: number, sink: ChunkSink): void;
}

export interface NativeReadOptions {
  now: number;
  select?: Selection;
  format: Format;
  /** Called with rendered parts as soon as a batch is done, to stream output. */
  onParts?: (parts: (string | Buffer)[]) => Promise<void> | void;
  threads?: number;
  /** Sees every parsed message before selection (builds the queue index). */
  tap?: Tap;
  /** Given the scan and its ids, the entries that need no reading. */
  reuse?: (sc: SpoolScan, ids: string[]) => Promise<Reuse | null>;
}

/** Reads and parses the whole queue in -bp order; parts go to onParts when given. */
export async function readQueueNative(
  a: SpoolAddon,
  spool: string,
  o: NativeReadOptions,
): Promise<ChunkResult> {
  const sc = nativeScan(a, spool);
  const sink = new ChunkSink(o.format, o.now, o.select);
  if (o.tap) sink.tap(o.tap);
  const subdirs = new Map<number, string>([[0, '']]);
  const threads = o.threads ?? 2;
  const n = sc.count;
  try {
    let ids: string[] | null = null;
    let reuse: Reuse | null = null;
    if (o.reuse && n > 0) {
      ids = new Array(n);
      for (let i = 0, off = 0; i < n; off += sc.nameLen[i], i++)
        ids[i] = sc.names.slice(off, off + sc.nameLen[i] - 2);
      reuse = await o.reuse(sc, ids);
    }
    // the entries to read: all, or those the index could not vouch for
    let pick: Uint32Array | undefined;
    if (reuse) {
      pick = new Uint32Array(n - reuse.kept);
      for (let i = 0, k = 0; i < n; i++) if (!reuse.keep[i]) pick[k++] = i;
    }
    const m = pick ? pick.length : n;
    // the addon rejects only when its buffers cannot grow: an environment error, not a bug
    const read = (from: number) => {
      const p = a
        .readBatch(sc.handle, from, Math.min(m, from + BATCH), threads, pick)
        .catch((e: Error) => {
          throw new HostopsError(
            'MAILQ_OUT_OF_MEMORY',
            `reading the spool ${spool} failed: ${e.message}`,
            { hint: 'free memory, or run with HOSTOPS_MAILQ_NATIVE=0 (one file at a time)' },
          );
        });
      p.catch(() => {}); // read ahead: awaited later, so not an unhandled rejection meanwhile
      return p;
    };
    let pending = m > 0 ? read(0) : null;
    let batchStart = 0,
      batchEnd = 0,
      pos = 0,
      nameOff = 0;
    let data: Buffer | null = null,
      meta: Float64Array | null = null;
    const F = a.FIELDS;
    for (let i = 0; i < n; i++) {
      const len = sc.nameLen[i];
      const id = ids ? ids[i] : sc.names.slice(nameOff, nameOff + len - 2);
      nameOff += len;
      if (reuse && reuse.keep[i]) reuse.emit(i, sink);
      else {
        if (pos >= batchEnd) {
          ({ data, meta } = await pending!);
          batchStart = pos;
          batchEnd = Math.min(m, pos + BATCH);
          // the next batch is read by the native threads while this one is parsed
          pending = batchEnd < m ? read(batchEnd) : null;
        }
        const sc0 = sc.subdir[i];
        let subdir = subdirs.get(sc0);
        if (subdir === undefined) subdirs.set(sc0, (subdir = String.fromCharCode(sc0)));
        const mm = (pos++ - batchStart) * F;
        const err = meta![mm + 2];
        if (err !== 0)
          sink.add(id, subdir, null, errnoError(err), -1, undefined, sc.journal[i] === 1);
        else {
          const off = meta![mm];
          const hbuf = data!.subarray(off, off + meta![mm + 1]);
          const jlen = meta![mm + 5];
          const journal =
            jlen >= 0 ? data!.subarray(meta![mm + 4], meta![mm + 4] + jlen) : undefined;
          sink.add(
            id,
            subdir,
            hbuf,
            null,
            meta![mm + 3],
            journal,
            sc.journal[i] === 1,
            o.tap && meta![mm + 6] >= 0 ? meta!.subarray(mm + 6, mm + 10) : undefined,
          );
        }
      }
      if (o.onParts && (i + 1) % BATCH === 0) {
        const parts = sink.takeParts();
        if (parts.length) await o.onParts(parts);
      }
    }
  } finally {
    a.release(sc.handle);
  }
  return sink.result();
}
