/**
 * Listing a busy queue from the index. While mail arrives the spool directory changes every
 * second, so the index can never answer alone (spool-index.ts) and every listing rescans. The
 * general path (reuseRows) then builds a map and a path list of the whole queue in JS and waits
 * for the per-file check before it can emit anything. This path does the same checks with less:
 *
 * - the per-file check (one statx per indexed -H, two native threads) starts at once on the
 *   index's own path column and runs while the rescan is matched to the index rows here;
 * - scan and index are both in exim's order, so they are matched by walking them side by side
 *   (a message added or gone is a short step aside, found by looking a few rows ahead);
 * - the messages the index does not vouch for (new ones, journalled, changed, racy) are read in
 *   one native batch, and the others go to the renderer as runs of index rows, as for an
 *   unchanged queue (the -bp text is passed on from the index column, the ages in its slots).
 *
 * It answers only when the general path would not rewrite the index either (a directory changed
 * in the last 2 s, and under a tenth of the queue and at most REWRITE_AT messages to read);
 * otherwise that path reads, reuses and rewrites, so a queue that keeps growing gets a new
 * index now and then and the messages read on every listing stay few.
 */
import path from 'node:path';
import { ChunkSink, type ChunkResult } from './spool-chunk.js';
import { dirStates, REWRITE_AT } from './spool-index-check.js';
import { indexNote, type IndexView } from './spool-index.js';
import { errnoError, nativeScan } from './spool-native.js';
import type { SpoolAddon } from './spool-addon.js';
import type { Format } from './format/renderer.js';
import type { Selection } from './select.js';

/** How far ahead the side-by-side walk looks for a message added or removed. */
const LOOKAHEAD = 64;

/** The listing of a changed spool from the index plus the few files it cannot vouch for; or why not. */
export async function listBusy(
  addon: SpoolAddon,
  view: IndexView,
  spool: string,
  format: Format,
  now: number,
  select: Selection | undefined,
): Promise<ChunkResult | string> {
  if (!format.fromIndex) return 'not for this output';
  const input = path.join(spool, 'input');
  const dirs = dirStates(input);
  if (!dirs) return 'no input directory';
  if (!dirs.some((d) => d.racy)) return 'the spool is quiet: the index is rewritten';
  const sink = new ChunkSink(format, now, select);
  let vb: Buffer, vo: Uint32Array;
  try {
    // the columns used below, read and checked now: output, once started, must not fail
    if (select) view.loadAll();
    else {
      void view.subdir;
      void view.hstat;
    }
    sink.render.prepare(view);
    vb = view.idx.bytes('id');
    vo = view.idx.u32('id.off');
    if (vo.length !== view.n + 1 || vo[view.n] !== vb.length)
      throw new Error('column id is damaged');
  } catch (e) {
    return `damaged (${(e as Error).message})`;
  }
  const nv = view.n;
  // the statx of every indexed -H runs in native threads while the rescan is matched below
  const verify = addon.verify(input, view.hpath(), view.hstat, nv, true);
  let pending = true;
  const sc = nativeScan(addon, spool);
  try {
    const n = sc.count;
    // ids compared as bytes (scan names against the index's id column): no string per message
    const sb = Buffer.from(sc.names, 'latin1');
    const so = new Uint32Array(n + 1);
    for (let i = 0; i < n; i++) so[i + 1] = so[i] + sc.nameLen[i];
    const same = (i: number, r: number): boolean => {
      let a = so[i];
      const len = so[i + 1] - 2 - a;
      let b = vo[r];
      if (vo[r + 1] - b !== len) return false;
      for (const end = a + len; a < end; a++, b++) if (sb[a] !== vb[b]) return false;
      return true;
    };
    const idOf = (i: number) => sc.names.slice(so[i], so[i + 1] - 2);
    // rowOf[i]: the index row of scan entry i, or -1
    const rowOf = new Int32Array(n).fill(-1);
    let byId: Map<string, number> | null = null;
    let j = 0;
    for (let i = 0; i < n; i++) {
      let r = -1;
      if (j < nv && same(i, j)) r = j;
      else if (j < nv) {
        // a message added here: the index row expected next comes a little later in the scan
        let added = false;
        for (let k = 1; k <= LOOKAHEAD && i + k < n; k++)
          if (same(i + k, j)) {
            added = true;
            break;
          }
        // messages gone: this one comes a little later in the index
        if (!added)
          for (let k = 1; k <= LOOKAHEAD && j + k < nv; k++)
            if (same(i, j + k)) {
              r = j + k;
              break;
            }
        if (!added && r === -1) {
          // far out of step: ask a map of the whole index (made once)
          if (byId === null) {
            byId = new Map();
            for (let x = 0; x < nv; x++) byId.set(view.ids.get(x), x);
          }
          r = byId.get(idOf(i)) ?? -1;
        }
      }
      if (r !== -1) {
        j = r + 1;
        if (!view.isReread(r) && !sc.journal[i] && view.subdir[r] === sc.subdir[i]) rowOf[i] = r;
      }
    }
    const keep = await verify;
    pending = false;
    const pick: number[] = [];
    for (let i = 0; i < n; i++) {
      if (rowOf[i] !== -1 && !keep[rowOf[i]]) rowOf[i] = -1;
      if (rowOf[i] === -1) pick.push(i);
    }
    // as many as the general path would rewrite the index for (a tenth, or REWRITE_AT): let it
    if (pick.length > REWRITE_AT || pick.length * 10 >= n)
      return `${pick.length} of ${n} messages to read`;
    indexNote(
      `${n - pick.length} of ${n} messages taken from it, ${pick.length} read (busy spool)`,
    );
    const read = pick.length
      ? await addon.readBatch(sc.handle, 0, pick.length, 2, Uint32Array.from(pick))
      : null;
    const F = addon.FIELDS;
    // index rows consecutive in both the scan and the index go to the renderer as one run
    let runFrom = 0,
      runTo = 0;
    const endRun = () => {
      if (runTo > runFrom) sink.addRows(view, runFrom, runTo);
      runFrom = runTo = 0;
    };
    let p = 0;
    for (let i = 0; i < n; i++) {
      const r = rowOf[i];
      if (r === -1) {
        endRun();
        const mm = p++ * F;
        const m = read!.meta;
        const sd = sc.subdir[i] ? String.fromCharCode(sc.subdir[i]) : '';
        const err = m[mm + 2];
        if (err !== 0)
          sink.add(idOf(i), sd, null, errnoError(err), -1, undefined, sc.journal[i] === 1);
        else {
          const o = m[mm],
            jlen = m[mm + 5];
          const journal = jlen >= 0 ? read!.data.subarray(m[mm + 4], m[mm + 4] + jlen) : undefined;
          sink.add(
            idOf(i),
            sd,
            read!.data.subarray(o, o + m[mm + 1]),
            null,
            m[mm + 3],
            journal,
            sc.journal[i] === 1,
          );
        }
        continue;
      }
      if (r !== runTo) {
        endRun();
        runFrom = r;
      }
      runTo = r + 1;
    }
    endRun();
    return sink.result();
  } finally {
    if (pending) await verify.catch(() => null); // its threads still read what the view holds
    addon.release(sc.handle);
  }
}
