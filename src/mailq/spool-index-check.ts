/**
 * The directory checks that tell whether the queue index still describes the spool (the
 * reasons are in spool-index.ts).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Bump when what is stored, or how the spool is parsed or shown, changes. */
export const INDEX_VERSION = 1;
export const RACY_MS = 2000;
/** A busy spool's index is rewritten once more than this many messages had to be read (spool-index-busy.ts). */
export const REWRITE_AT = 2000;
const SUBDIRS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export interface DirState {
  name: string;
  ino: string;
  mtime: string;
  ctime: string;
  racy: boolean;
}
export interface IndexHeader {
  v: number;
  input: string;
  count: number;
  dirs: DirState[];
  built: number;
}

function statDir(p: string): fs.BigIntStats | null {
  let st: fs.BigIntStats | undefined;
  // ENOTDIR (the spool is a file), EACCES: no index; the spool reader names the error
  try {
    st = fs.statSync(p, { bigint: true, throwIfNoEntry: false });
  } catch {
    return null;
  }
  return st && st.isDirectory() ? st : null;
}

/** input/ and its split-spool subdirectories as they are now; null when input/ is missing. */
export function dirStates(inputDir: string): DirState[] | null {
  const now = BigInt(Date.now() - RACY_MS) * 1_000_000n;
  const state = (name: string, st: fs.BigIntStats): DirState => ({
    name,
    ino: String(st.ino),
    mtime: String(st.mtimeNs),
    ctime: String(st.ctimeNs),
    racy: st.mtimeNs >= now || st.ctimeNs >= now,
  });
  const top = statDir(inputDir);
  if (!top) return null;
  const out = [state('', top)];
  for (const c of SUBDIRS) {
    const st = statDir(path.join(inputDir, c));
    if (st) out.push(state(c, st));
  }
  return out;
}

export function realInput(inputDir: string): string {
  try {
    return fs.realpathSync(inputDir);
  } catch {
    return inputDir;
  }
}

export function dirsUnchanged(h: IndexHeader, inputDir: string): boolean {
  if (!Array.isArray(h.dirs)) return false;
  // a subdirectory made or removed since would have changed input/ itself
  for (const d of h.dirs) {
    const st = d.racy ? null : statDir(d.name ? path.join(inputDir, d.name) : inputDir);
    if (
      !st ||
      String(st.ino) !== d.ino ||
      String(st.mtimeNs) !== d.mtime ||
      String(st.ctimeNs) !== d.ctime
    )
      return false;
  }
  return true;
}
