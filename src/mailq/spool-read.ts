/**
 * Reads the whole queue: one directory scan, then the -H files split into contiguous runs that
 * worker threads parse in parallel (bounded: at most one worker per core, four at most). Small
 * queues are read in the calling thread, where starting workers would cost more than it saves.
 */
import os from 'node:os';
import path from 'node:path';
import { scanSpool, countSpool } from './spool-scan.js';
import { readChunk, type ChunkRequest, type ChunkResult } from './spool-chunk.js';
import { messageRecords } from './format/records.js';
import type { Format } from './format/renderer.js';
import { indexAnswers, type Selection } from './select.js';
import {
  IndexBuilder,
  countFromIndex,
  listFromIndex,
  indexNote,
  openIndex,
  reuseRows,
  type IndexView,
} from './spool-index.js';
import type { QueueMessage } from './types.js';
import { spoolAddon, readQueueNative } from './spool-native.js';
import { listBusy } from './spool-index-busy.js';

export interface ReadQueueOptions {
  select?: Selection;
  /** Epoch seconds used for ages; read once, like exim. */
  now?: number;
  /** Upper bound on worker threads (0 = read in this thread). */
  workers?: number;
  /** Receives the renderer's parts as they are ready (streamed output). */
  onParts?: (parts: (string | Buffer)[]) => Promise<void> | void;
  /** Use and refresh the queue index (spool-index.ts); default on, off with HOSTOPS_MAILQ_INDEX=0. */
  index?: boolean;
}

/** The queue index is on unless --no-index (index: false) or HOSTOPS_MAILQ_INDEX=0. */
const indexWanted = (index: boolean | undefined): boolean =>
  index !== false && process.env.HOSTOPS_MAILQ_INDEX !== '0';

/** exim -bpc: from the queue index when no spool directory changed, else by listing directories. */
export function countQueue(spool: string, opts: { index?: boolean } = {}): number {
  return (
    (indexWanted(opts.index) ? countFromIndex(path.join(spool, 'input')) : null) ??
    countSpool(spool)
  );
}

/**
 * Whether the index can answer: the format renders its rows, and the selection reads only what
 * it keeps. It keeps the envelope, not the headers: a selection on header lines, Subject or
 * X-PHP-Script (or an exipick variable it has no column for) reads the files.
 */
function indexable(format: Format, select: Selection | undefined): boolean {
  return format.fromIndex && !(select && !indexAnswers(select));
}

const WORKER_MIN_ENTRIES = 3000;

function workerUrl(): URL {
  // under tsx the sources are .ts; in dist they are .js
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./spool-worker${ext}`, import.meta.url);
}

async function runChunks(reqs: ChunkRequest[]): Promise<ChunkResult[]> {
  const { newWorker } = await import('./worker.js'); // worker_threads only for the JS fallback
  return Promise.all(
    reqs.map(
      (req) =>
        new Promise<ChunkResult>((resolve, reject) => {
          const w = newWorker(workerUrl());
          w.once('message', (r: { ok?: ChunkResult; error?: { message: string } }) => {
            void w.terminate();
            if (r.ok) resolve(r.ok);
            else reject(new Error(r.error?.message ?? 'spool worker failed'));
          });
          w.once('error', reject);
          w.postMessage(req);
        }),
    ),
  );
}

/**
 * The queue in -bp order, the selected messages rendered in `format` (the caller's choice:
 * format/), as per-chunk results.
 */
export async function readQueueChunks(
  spool: string,
  format: Format,
  opts: ReadQueueOptions = {},
): Promise<ChunkResult[]> {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const native = spoolAddon();
  if (native) {
    const input = path.join(spool, 'input');
    const useIndex = indexWanted(opts.index) && indexable(format, opts.select);
    let view: IndexView | null = null;
    if (useIndex) {
      const v = openIndex(input);
      if (typeof v === 'string') indexNote(`not used: ${v}`);
      else view = v;
    }
    try {
      if (view) {
        const r = await listFromIndex(view, input, format, now, opts.select);
        if (typeof r !== 'string') {
          indexNote('used');
          return [r];
        }
        indexNote(`not used as it is: ${r}`);
        const b = await listBusy(native, view, spool, format, now, opts.select);
        if (typeof b !== 'string') return [b];
        indexNote(`busy-spool path not taken: ${b}`);
      }
      const builder = useIndex ? IndexBuilder.start(input) : null;
      const v = view;
      const r = await readQueueNative(native, spool, {
        now,
        select: opts.select,
        format,
        onParts: opts.onParts,
        tap: builder?.add,
        // the messages of the old index that are still the same need no reading
        reuse: v ? (sc, ids) => reuseRows(native, input, v, sc, ids, builder) : undefined,
      });
      builder?.save();
      return [r];
    } finally {
      view?.idx.close();
    }
  }
  const entries = scanSpool(spool);
  const env = process.env.HOSTOPS_MAILQ_WORKERS;
  const max =
    opts.workers ?? (env !== undefined ? Number(env) : Math.min(4, os.availableParallelism()));
  const n =
    entries.length < WORKER_MIN_ENTRIES
      ? 0
      : Math.min(max, Math.ceil(entries.length / WORKER_MIN_ENTRIES));
  // worker threads are sent the format's name: they make their own renderer
  const name = format.name;
  if (n <= 1) return [readChunk({ entries, now, select: opts.select, format: name })];
  const per = Math.ceil(entries.length / n);
  const reqs: ChunkRequest[] = [];
  for (let i = 0; i < n; i++)
    reqs.push({
      entries: entries.slice(i * per, (i + 1) * per),
      now,
      select: opts.select,
      format: name,
    });
  // this thread takes the first run itself while the workers read the others: one isolate less
  const others = runChunks(reqs.slice(1));
  const first = readChunk(reqs[0]);
  return [first, ...(await others)];
}

/**
 * The selected messages, and apart from them every message whose -H cannot be read (no envelope,
 * so no selection but an id matches it): what a bulk action must not touch unasked.
 */
export async function readQueueSplit(
  spool: string,
  opts: ReadQueueOptions = {},
): Promise<{ messages: QueueMessage[]; unreadable: QueueMessage[] }> {
  const chunks = await readQueueChunks(spool, messageRecords, opts);
  return {
    messages: chunks.flatMap((c) => c.messages),
    unreadable: chunks.flatMap((c) => c.unreadable ?? []),
  };
}

/** Every message on the queue (or the selected ones), in exim -bp order. */
export async function readQueue(
  spool: string,
  opts: ReadQueueOptions = {},
): Promise<QueueMessage[]> {
  const chunks = await readQueueChunks(spool, messageRecords, opts);
  return chunks.length === 1 ? chunks[0].messages : chunks.flatMap((c) => c.messages);
}
