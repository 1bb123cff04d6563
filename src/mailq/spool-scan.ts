/** Finds the queue's -H files the way exim -bp does: input/ plus one-character subdirectories. */
import fs from 'node:fs';
import path from 'node:path';
import { isHeaderFileName, sortKey } from './ids.js';
import type { SpoolEntry } from './types.js';
import { spoolAddon, nativeCount, spoolError } from './spool-native.js';

const isAlnum = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

function readDir(dir: string): string[] | null {
  try {
    return fs.readdirSync(dir);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
    throw err;
  }
}

/** Entries in exim's -bp order (id time, then sub-second; directory order on ties). */
export function scanSpool(spool: string, opts: { sort?: boolean } = {}): SpoolEntry[] {
  const input = path.join(spool, 'input');
  let top: string[] | null;
  try {
    top = readDir(input);
  } catch (e) {
    throw spoolError(spool, e as NodeJS.ErrnoException);
  }
  if (top === null)
    throw spoolError(spool, Object.assign(new Error('missing'), { code: 'ENOENT' }));
  const out: SpoolEntry[] = [];
  const collect = (dir: string, subdir: string, names: string[]) => {
    let journals: Set<string> | null = null;
    for (const n of names) if (n.endsWith('-J')) (journals ??= new Set()).add(n.slice(0, -2));
    for (const n of names) {
      if (isHeaderFileName(n))
        out.push({
          dir,
          subdir,
          name: n,
          hasJournal: journals !== null && journals.has(n.slice(0, -2)),
        });
    }
  };
  collect(input, '', top);
  for (const n of top) {
    if (n.length === 1 && isAlnum(n.charCodeAt(0))) {
      const sub = path.join(input, n);
      const names = readDir(sub);
      if (names) collect(sub, n, names);
    }
  }
  if (opts.sort !== false) {
    // one key per entry (time digits + sub-second part) instead of slicing inside the comparator
    const keyed = out.map((e) => ({ e, k: sortKey(e.name) }));
    keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0)); // stable: directory order on ties
    for (let i = 0; i < keyed.length; i++) out[i] = keyed[i].e;
  }
  return out;
}

/** exim -bpc: the number of -H names, without opening any message file. */
export function countSpool(spool: string): number {
  const native = spoolAddon();
  if (native) return nativeCount(native, spool);
  const input = path.join(spool, 'input');
  let top: string[] | null;
  try {
    top = readDir(input);
  } catch {
    top = null;
  }
  if (top === null) return scanSpool(spool).length; // raises the named error
  let n = 0;
  for (const name of top) {
    if (isHeaderFileName(name)) n++;
    else if (name.length === 1 && isAlnum(name.charCodeAt(0))) {
      for (const x of readDir(path.join(input, name)) ?? []) if (isHeaderFileName(x)) n++;
    }
  }
  return n;
}
