/**
 * The queue index: what a full read of the spool found, kept between runs so that `list`,
 * `count` and exiqgrep-style selection answer from one file while the queue has not changed.
 *
 * When is it still right? exim never edits a -H file in place: every change (a delivery, -Mf,
 * -Mmd, a new message, a removal) writes a new file and renames it, or unlinks one, which moves
 * the mtime and ctime of the directory holding it. So the index is used only when input/ and
 * each split-spool subdirectory has the inode, mtime and ctime it had when the index was built;
 * and, against hand edits made in place, every -H file must still have the inode, ctime and size
 * it had when it was read (one statx each, in two native threads, while the output is being
 * assembled). -D files never change after reception (exim -Meb writes a new one). Messages
 * with a -J journal (it grows while a delivery runs) and files that could not be read are
 * re-read on every run. A directory or file whose time was within two seconds of the build is
 * "racy" (a change in the same clock tick would not move its time) and is not trusted, as git
 * treats racily clean index entries.
 *
 * Destructive commands (rm, freeze, thaw, deliver) never use the index: they read the spool.
 */
import fs from 'node:fs';
import path from 'node:path';
import { IndexFile, indexPath, indexDir, writeIndexFile, pruneIndexes, type ColumnData } from './spool-index-file.js';
import { ChunkSink, readEntryInto, type ChunkRequest, type ChunkResult } from './spool-chunk.js';
import { formatAge, hasAge } from './bp-format.js';
import { spoolAddon } from './spool-addon.js';
import { OutBuffer } from './out-buffer.js';
import { compileSelection, type Selection } from './select.js';
import type { QueueMessage } from './types.js';

/** Bump when what is stored, or how the spool is parsed or shown, changes. */
export const INDEX_VERSION = 1;
const RACY_MS = 2000;
const AGE_SLOT = '????';
const SUBDIRS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const FROZEN = 1;
const REREAD = 2;
const JOURNAL = 4;
const ERR_SHIFT = 3; // two bits: errorKind
const ERR_KINDS = [undefined, 'envelope', 'header', 'read'] as const;
// which optional fields are present (undefined and '' differ for selection)
const HAS_AUTH = 1, HAS_LOGIN = 2;

interface DirState { name: string; ino: string; mtime: string; ctime: string; racy: boolean }
interface IndexHeader {
  v: number; input: string; count: number; dirs: DirState[]; built: number;
  /** A -H file changed within RACY_MS of its read: the rows cannot be verified, only counted. */
  racyFiles: boolean;
}

function statDir(p: string): fs.BigIntStats | null {
  const st = fs.statSync(p, { bigint: true, throwIfNoEntry: false });
  return st && st.isDirectory() ? st : null;
}

/** input/ and its split-spool subdirectories as they are now; null when input/ is missing. */
function dirStates(inputDir: string): DirState[] | null {
  const now = BigInt(Date.now() - RACY_MS) * 1_000_000n;
  const state = (name: string, st: fs.BigIntStats): DirState => ({
    name, ino: String(st.ino), mtime: String(st.mtimeNs), ctime: String(st.ctimeNs),
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

function realInput(inputDir: string): string {
  try { return fs.realpathSync(inputDir); } catch { return inputDir; }
}

/** The index when no directory of the spool has changed since it was built; else why not. */
function openClean(inputDir: string): IndexFile<IndexHeader> | string {
  const idx = IndexFile.open<IndexHeader>(indexPath(inputDir));
  if (!idx) return 'none usable';
  const h = idx.header;
  let clean = h.v === INDEX_VERSION && h.input === realInput(inputDir) && Array.isArray(h.dirs);
  if (clean) {
    // a subdirectory made or removed since would have changed input/ itself
    for (const d of h.dirs) {
      const st = d.racy ? null : statDir(d.name ? path.join(inputDir, d.name) : inputDir);
      if (!st || String(st.ino) !== d.ino || String(st.mtimeNs) !== d.mtime || String(st.ctimeNs) !== d.ctime) { clean = false; break; }
    }
  }
  if (!clean) { idx.close(); return 'the spool directories changed'; }
  return idx;
}

/**
 * A column of latin1 strings: the bytes one after another, and n+1 offsets. Strings are copied
 * out at once: keeping them would keep each whole -H text alive (V8 slices share their parent).
 */
class StringColumn {
  private buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  private off = new Uint32Array(1 << 14);
  private n = 0;

  push(s: string): void {
    if (this.pos + s.length > this.buf.length) {
      const nb = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + s.length));
      this.buf.copy(nb, 0, 0, this.pos);
      this.buf = nb;
    }
    if (this.n + 2 > this.off.length) {
      const no = new Uint32Array(this.off.length * 2);
      no.set(this.off);
      this.off = no;
    }
    this.pos += (this.buf as unknown as { latin1Write(s: string, o: number): number }).latin1Write(s, this.pos);
    this.off[++this.n] = this.pos;
  }

  columns(name: string): Record<string, ColumnData> {
    return { [name]: this.blob(), [`${name}.off`]: this.off.subarray(0, this.n + 1) };
  }

  blob(): Buffer { return this.buf.subarray(0, this.pos); }
}

/** Collects every message of a full read, then writes the index. */
export class IndexBuilder {
  private readonly flags: number[] = [];
  private readonly present: number[] = [];
  private readonly subdir: number[] = [];
  private readonly time: number[] = [];
  private readonly size: number[] = [];
  private readonly hstat: number[] = [];
  private readonly hpath = new StringColumn();
  private racyFiles = false;
  private readonly racyBefore = (Date.now() - RACY_MS) / 1000;
  private readonly cols = {
    id: new StringColumn(), bp: new StringColumn(), sender: new StringColumn(), rcpt: new StringColumn(),
    auth: new StringColumn(), login: new StringColumn(),
  };

  private constructor(private readonly inputDir: string, private readonly dirs: DirState[]) {}

  /** Records the directories' state first: a change during the read then shows at the next run. */
  static start(inputDir: string): IndexBuilder | null {
    const dirs = dirStates(inputDir);
    return dirs ? new IndexBuilder(inputDir, dirs) : null;
  }

  readonly add = (m: QueueMessage, reread: boolean, tail: string, hstat?: Float64Array): void => {
    if (!hstat) reread = true; // not read by the native reader: nothing to verify it against
    const kind = ERR_KINDS.indexOf(m.errorKind);
    this.flags.push((m.frozen ? FROZEN : 0) | (reread ? REREAD : 0) | (reread && m.errorKind !== 'read' ? JOURNAL : 0) | (kind << ERR_SHIFT));
    this.present.push((m.authId !== undefined ? HAS_AUTH : 0) | (m.login !== undefined ? HAS_LOGIN : 0));
    this.subdir.push(m.subdir ? m.subdir.charCodeAt(0) : 0);
    this.time.push(m.time);
    this.size.push(m.size);
    const c = this.cols;
    c.id.push(m.id);
    // the age is the only part that depends on the time of listing: four bytes patched in place
    c.bp.push(hasAge(m) ? AGE_SLOT + tail : tail);
    this.hpath.push(`${m.subdir ? m.subdir + '/' : ''}${m.id}-H\n`);
    if (reread) this.hstat.push(-1, 0, 0, 0);
    else {
      this.hstat.push(hstat![0], hstat![1], hstat![2], hstat![3]);
      if (hstat![1] + hstat![2] / 1e9 >= this.racyBefore) this.racyFiles = true;
    }
    c.sender.push(m.sender ?? '');
    let r = '';
    for (const x of m.recipients) if (!x.delivered) r += (r ? '\n' : '') + x.address;
    c.rcpt.push(r);
    c.auth.push(m.authId ?? '');
    c.login.push(m.login ?? '');
  };

  /** Writes the index; a cache that cannot be written is no reason to fail the listing. */
  save(): void {
    const file = indexPath(this.inputDir);
    const header: IndexHeader = {
      v: INDEX_VERSION, input: realInput(this.inputDir), count: this.flags.length, dirs: this.dirs, built: Date.now(), racyFiles: this.racyFiles,
    };
    const columns: Record<string, ColumnData> = {
      flags: Uint8Array.from(this.flags), present: Uint8Array.from(this.present), subdir: Uint8Array.from(this.subdir),
      time: Float64Array.from(this.time), size: Float64Array.from(this.size),
      hstat: Float64Array.from(this.hstat), hpath: this.hpath.blob(),
    };
    for (const [name, col] of Object.entries(this.cols)) Object.assign(columns, col.columns(name));
    try {
      writeIndexFile(file, header, columns);
      indexNote(`written (${header.count} messages)`);
      pruneIndexes(indexDir(), file);
    } catch (e) {
      if (process.env.HOSTOPS_DEBUG) process.stderr.write(`hostops: queue index not written (${file}): ${(e as Error).message}\n`);
    }
  }
}

/** Reads string i of a column lazily loaded from the index. */
class Strings {
  private data: Buffer | null = null;
  private off: Uint32Array | null = null;
  constructor(private readonly idx: IndexFile<IndexHeader>, private readonly name: string) {}
  get(i: number): string {
    if (this.data === null) {
      this.data = this.idx.bytes(this.name);
      this.off = this.idx.u32(`${this.name}.off`);
      if (this.off.length !== this.idx.header.count + 1 || this.off[this.off.length - 1] !== this.data.length) throw new Error(`column ${this.name} is damaged`);
    }
    return (this.data as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(this.off![i], this.off![i + 1]);
  }
}

/**
 * The fields of row i a selection looks at, one object moved along the rows (a predicate keeps
 * no reference); strings come from their column only when a test reads them.
 */
class Row {
  i = 0; f = 0; p = 0; time = 0; size = 0; frozen = false;
  errorKind: QueueMessage['errorKind'] = undefined;
  constructor(private readonly ids: Strings, private readonly c: Record<'sender' | 'rcpt' | 'auth' | 'login', Strings>) {}
  get id(): string { return this.ids.get(this.i); }
  get sender(): string { return this.c.sender.get(this.i); }
  get recipients(): { address: string; delivered: boolean }[] {
    const r = this.c.rcpt.get(this.i);
    return r ? r.split('\n').map((address) => ({ address, delivered: false })) : [];
  }
  get authId(): string | undefined { return this.p & HAS_AUTH ? this.c.auth.get(this.i) : undefined; }
  get login(): string | undefined { return this.p & HAS_LOGIN ? this.c.login.get(this.i) : undefined; }
}

/** With HOSTOPS_DEBUG set, what the index did (tests and puzzled admins read it). */
export function indexNote(s: string): void {
  if (process.env.HOSTOPS_DEBUG) process.stderr.write(`hostops: queue index: ${s}\n`);
}

/** Age column text by whole minutes (what formatAge depends on), made once per value. */
class Ages {
  private readonly memo = new Map<number, string>();
  constructor(private readonly now: number) {}
  get(time: number): string {
    const min = Math.trunc((this.now - time) / 60);
    let s = this.memo.get(min);
    if (s === undefined) this.memo.set(min, (s = formatAge(this.now - time)));
    return s;
  }
}

/** Runs shorter than this are copied into the output buffer; longer ones are passed as views. */
const VIEW_MIN = 64 * 1024;

/**
 * `list` (text, ids, count modes) from the index, or why it cannot answer (none, or the spool
 * has changed since). Output is the same as a full read's; rows marked for re-reading are read now.
 * Nothing is written before the files are verified, so the caller can still fall back.
 */
export async function listFromIndex(inputDir: string, mode: ChunkRequest['mode'], now: number, select: Selection | undefined): Promise<ChunkResult | string> {
  if (mode !== 'text' && mode !== 'ids' && mode !== 'count') return 'not for this output';
  const addon = spoolAddon();
  if (!addon) return 'no native reader';
  const idx = openClean(inputDir);
  if (typeof idx === 'string') return idx;
  let verified: Promise<boolean> | null = null;
  try {
    if (idx.header.racyFiles) return 'files changed just before it was built';
    const n = idx.header.count;
    const hstat = idx.f64('hstat');
    const flags = idx.u8('flags');
    const time = idx.f64('time');
    const sane = (ok: boolean) => { if (!ok) throw new Error('columns disagree with the header'); };
    sane(Number.isInteger(n) && n >= 0 && hstat.length === 4 * n && flags.length === n && time.length === n);
    // the statx of every -H runs in native threads while the output is assembled here
    verified = addon.verify(inputDir, idx.bytes('hpath'), hstat, n);
    const pred = select ? compileSelection(select) : null;
    const ids = new Strings(idx, 'id');
    let bp: Buffer | null = null, bpOff: Uint32Array | null = null;
    if (mode === 'text') {
      bp = idx.bytes('bp');
      bpOff = idx.u32('bp.off');
      sane(bpOff.length === n + 1 && bpOff[n] === bp.length);
    }
    let size: Float64Array | null = null, present: Uint8Array | null = null, subdir: Uint8Array | null = null;
    const cols = { sender: new Strings(idx, 'sender'), rcpt: new Strings(idx, 'rcpt'), auth: new Strings(idx, 'auth'), login: new Strings(idx, 'login') };
    const row = new Row(ids, cols);
    const ages = new Ages(now);
    const out = new OutBuffer();
    const parts: (string | Buffer)[] = [];
    // a run of consecutive rows of the bp column, emitted as one piece
    let runStart = -1, runEnd = -1;
    const endRun = () => {
      if (runStart < 0) return;
      if (runEnd - runStart < VIEW_MIN) out.bytes(bp!, runStart, runEnd);
      else { for (const p of out.take()) parts.push(p); parts.push(bp!.subarray(runStart, runEnd)); }
      runStart = -1;
    };
    let reread: ChunkSink | null = null;
    let seen = 0, matched = 0;
    for (let i = 0; i < n; i++) {
      const f = flags[i];
      if (f & REREAD) {
        subdir ??= idx.u8('subdir');
        reread ??= new ChunkSink(mode, now, select);
        const sd = subdir[i] ? String.fromCharCode(subdir[i]) : '';
        const before = reread.matched;
        readEntryInto(reread, { dir: sd ? path.join(inputDir, sd) : inputDir, subdir: sd, name: ids.get(i) + '-H', hasJournal: (f & JOURNAL) !== 0 });
        if (reread.matched !== before) {
          endRun();
          for (const p of [...out.take(), ...reread.takeParts()]) parts.push(p);
        }
        continue;
      }
      seen++;
      const kind = (f >> ERR_SHIFT) & 3;
      if (pred) {
        size ??= idx.f64('size');
        present ??= idx.u8('present');
        row.i = i; row.f = f; row.p = present[i]; row.time = time[i]; row.size = size[i];
        row.frozen = (f & FROZEN) !== 0; row.errorKind = ERR_KINDS[kind];
        if (!pred(row as unknown as QueueMessage, '', now)) continue;
      }
      matched++;
      if (mode === 'text') {
        let from = bpOff![i];
        const to = bpOff![i + 1];
        if (kind === 0 || kind === 2) { // hasAge(): the row starts with AGE_SLOT
          const age = ages.get(time[i]);
          if (age.length === AGE_SLOT.length) {
            for (let k = 0; k < 4; k++) bp![from + k] = age.charCodeAt(k);
          } else { // a century or a clock far off: the age does not fit the slot
            endRun();
            out.latin1(age);
            from += AGE_SLOT.length;
          }
        }
        if (runStart >= 0 && runEnd === from) runEnd = to;
        else { endRun(); runStart = from; runEnd = to; }
      } else if (mode === 'ids') out.latin1(ids.get(i) + '\n');
    }
    endRun();
    for (const p of out.take()) parts.push(p);
    if (reread) { seen += reread.seen; matched += reread.matched; }
    const ok = await verified;
    verified = null;
    return ok ? { messages: [], parts, seen, matched } : 'a message file changed in place';
  } catch (e) {
    // a damaged index is only a missed shortcut: the caller reads the spool and rewrites it
    return `damaged (${(e as Error).message})`;
  } finally {
    // a pending verify keeps its own references; wait for it before closing nothing it uses
    if (verified) await verified.catch(() => false);
    idx.close();
  }
}

/** exim -bpc from the index when the spool has not changed; null otherwise. */
export function countFromIndex(inputDir: string): number | null {
  const idx = openClean(inputDir);
  if (typeof idx === 'string') { indexNote(`not used: ${idx}`); return null; }
  indexNote('used');
  try {
    // rows whose file could not be read are counted too, as exim counts -H names
    return idx.header.count;
  } finally {
    idx.close();
  }
}
