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
 * treats racily clean index entries. When a directory did change, the rescanned messages whose
 * -H file passes the same per-file check are taken from the index and only the others are read.
 *
 * Destructive commands (rm, freeze, thaw, deliver) never use the index: they read the spool.
 */
import path from 'node:path';
import {
  IndexFile,
  indexPath,
  indexDir,
  writeIndexFile,
  pruneIndexes,
  type ColumnData,
} from './spool-index-file.js';
import {
  INDEX_VERSION,
  RACY_MS,
  REWRITE_AT,
  dirStates,
  dirsUnchanged,
  realInput,
  type DirState,
  type IndexHeader,
} from './spool-index-check.js';
import { ChunkSink, readEntryInto, type ChunkResult } from './spool-chunk.js';
import { AGE_SLOT, formatBpTail, hasAge } from './bp-format.js';
import { spoolAddon, type SpoolAddon, type SpoolScan } from './spool-addon.js';
import type { Format } from './format/renderer.js';
import type { Selection } from './select.js';
import type { QueueMessage } from './types.js';

const FROZEN = 1;
const REREAD = 2;
const JOURNAL = 4;
const ERR_SHIFT = 3; // two bits: errorKind
const ERR_KINDS = [undefined, 'envelope', 'header', 'read'] as const;
// which optional fields are present (undefined and '' differ for selection)
const HAS_AUTH = 1,
  HAS_LOGIN = 2;
/** hasAge() for a row's flags (no error, or a header error): its -bp text starts with AGE_SLOT. */
const aged = (f: number): boolean => {
  const k = (f >> ERR_SHIFT) & 3;
  return k === 0 || k === 2;
};

/**
 * A column of latin1 strings: the bytes one after another, and n+1 offsets. Strings are copied
 * out at once: keeping them would keep each whole -H text alive (V8 slices share their parent).
 */
class StringColumn {
  private buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  private off = new Uint32Array(1 << 14);
  private n = 0;

  /** Room for len more bytes and one more offset. */
  private reserve(len: number): void {
    if (this.pos + len > this.buf.length) {
      const nb = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + len));
      this.buf.copy(nb, 0, 0, this.pos);
      this.buf = nb;
    }
    if (this.n + 2 > this.off.length) {
      const no = new Uint32Array(this.off.length * 2);
      no.set(this.off);
      this.off = no;
    }
  }

  push(s: string): void {
    this.reserve(s.length);
    this.pos += (this.buf as unknown as { latin1Write(s: string, o: number): number }).latin1Write(
      s,
      this.pos,
    );
    this.off[++this.n] = this.pos;
  }

  pushBytes(src: Uint8Array, start: number, end: number): void {
    this.reserve(end - start);
    this.buf.set(src.subarray(start, end), this.pos);
    this.pos += end - start;
    this.off[++this.n] = this.pos;
  }

  columns(name: string): Record<string, ColumnData> {
    return { [name]: this.blob(), [`${name}.off`]: this.off.subarray(0, this.n + 1) };
  }

  blob(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Collects every message of a read (parsed now or carried over from the last index), then writes the index. */
export class IndexBuilder {
  private readonly flags: number[] = [];
  private readonly present: number[] = [];
  private readonly subdir: number[] = [];
  private readonly time: number[] = [];
  private readonly size: number[] = [];
  private readonly hstat: number[] = [];
  private readonly hpath = new StringColumn();
  private readonly racyBefore = (Date.now() - RACY_MS) / 1000;
  private fresh = 0;
  private readonly cols = {
    id: new StringColumn(),
    bp: new StringColumn(),
    sender: new StringColumn(),
    rcpt: new StringColumn(),
    auth: new StringColumn(),
    login: new StringColumn(),
  };

  private constructor(
    private readonly inputDir: string,
    private readonly dirs: DirState[],
  ) {}

  /** Records the directories' state first: a change during the read then shows at the next run. */
  static start(inputDir: string): IndexBuilder | null {
    const dirs = dirStates(inputDir);
    return dirs ? new IndexBuilder(inputDir, dirs) : null;
  }

  private cancelled = false;

  /** Whether an index of `total` rows, `fresh` of them parsed in this run, is worth writing (see save). */
  worthWriting(fresh: number, total: number): boolean {
    return !this.dirs.some((d) => d.racy) || fresh * 10 >= total || fresh > REWRITE_AT;
  }

  /** Nothing more is collected and nothing is written. */
  cancel(reason: string): void {
    if (!this.cancelled) indexNote(`not written: ${reason}`);
    this.cancelled = true;
  }

  /** A message parsed in this run; returns its -bp text after the age (kept in the bp column). */
  readonly add = (m: QueueMessage, reread: boolean, hstat?: Float64Array): string | undefined => {
    if (this.cancelled) return undefined;
    this.fresh++;
    // not read by the native reader (nothing to check it against), or changed within the same
    // clock tick as its read: read again next time
    const untrusted = !hstat || hstat[1] + hstat[2] / 1e9 >= this.racyBefore;
    const kind = ERR_KINDS.indexOf(m.errorKind);
    this.flags.push(
      (m.frozen ? FROZEN : 0) |
        (reread || untrusted ? REREAD : 0) |
        (reread && m.errorKind !== 'read' ? JOURNAL : 0) |
        (kind << ERR_SHIFT),
    );
    this.present.push(
      (m.authId !== undefined ? HAS_AUTH : 0) | (m.login !== undefined ? HAS_LOGIN : 0),
    );
    this.subdir.push(m.subdir ? m.subdir.charCodeAt(0) : 0);
    this.time.push(m.time);
    this.size.push(m.size);
    const c = this.cols;
    c.id.push(m.id);
    // the age is the only part that depends on the time of listing: four bytes patched in place
    const tail = formatBpTail(m);
    c.bp.push(hasAge(m) ? AGE_SLOT + tail : tail);
    this.hpath.push(`${m.subdir ? m.subdir + '/' : ''}${m.id}-H\n`);
    if (reread || untrusted) this.hstat.push(-1, 0, 0, 0);
    else this.hstat.push(hstat![0], hstat![1], hstat![2], hstat![3]);
    c.sender.push(m.sender ?? '');
    let r = '';
    for (const x of m.recipients) if (!x.delivered) r += (r ? '\n' : '') + x.address;
    c.rcpt.push(r);
    c.auth.push(m.authId ?? '');
    c.login.push(m.login ?? '');
    return tail;
  };

  /** Row i of the last index, checked unchanged in this run: carried over as it was. */
  copy(v: IndexView, i: number): void {
    if (this.cancelled) return;
    this.flags.push(v.flags[i]);
    this.present.push(v.present[i]);
    this.subdir.push(v.subdir[i]);
    this.time.push(v.time[i]);
    this.size.push(v.size[i]);
    const h = v.hstat;
    this.hstat.push(h[4 * i], h[4 * i + 1], h[4 * i + 2], h[4 * i + 3]);
    const id = v.ids.get(i);
    this.cols.id.push(id);
    this.hpath.push(`${v.subdir[i] ? String.fromCharCode(v.subdir[i]) + '/' : ''}${id}-H\n`);
    this.cols.bp.pushBytes(v.bp, v.bpOff[i], v.bpOff[i + 1]);
    for (const k of ['sender', 'rcpt', 'auth', 'login'] as const)
      this.cols[k].push(v.cols[k].get(i));
  }

  /**
   * Writes the index; a cache that cannot be written is no reason to fail the listing. When a
   * directory changed in the last 2 s the index cannot answer a listing on its own, and it is
   * rewritten only if this run had to parse a tenth of the queue or more: a busy queue does
   * not pay for the write on every listing, and still keeps most of its rows.
   */
  save(): void {
    const file = indexPath(this.inputDir);
    const n = this.flags.length;
    if (this.cancelled) return;
    if (!this.worthWriting(this.fresh, n)) {
      indexNote('not written: the spool changed in the last 2 s');
      return;
    }
    const header: IndexHeader = {
      v: INDEX_VERSION,
      input: realInput(this.inputDir),
      count: n,
      dirs: this.dirs,
      built: Date.now(),
    };
    const columns: Record<string, ColumnData> = {
      flags: Uint8Array.from(this.flags),
      present: Uint8Array.from(this.present),
      subdir: Uint8Array.from(this.subdir),
      time: Float64Array.from(this.time),
      size: Float64Array.from(this.size),
      hstat: Float64Array.from(this.hstat),
      hpath: this.hpath.blob(),
    };
    for (const [name, col] of Object.entries(this.cols)) Object.assign(columns, col.columns(name));
    try {
      writeIndexFile(file, header, columns);
      indexNote(`written (${n} messages, ${this.fresh} read from the spool)`);
      pruneIndexes(indexDir(), file);
    } catch (e) {
      indexNote(`not written (${file}): ${(e as Error).message}`);
    }
  }
}

/** Reads string i of a column lazily loaded from the index. */
class Strings {
  private data: Buffer | null = null;
  private off: Uint32Array | null = null;
  constructor(
    private readonly idx: IndexFile<IndexHeader>,
    private readonly name: string,
  ) {}
  get(i: number): string {
    if (this.data === null) {
      this.data = this.idx.bytes(this.name);
      this.off = this.idx.u32(`${this.name}.off`);
      if (
        this.off.length !== this.idx.header.count + 1 ||
        this.off[this.off.length - 1] !== this.data.length
      )
        throw new Error(`column ${this.name} is damaged`);
    }
    return (this.data as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(
      this.off![i],
      this.off![i + 1],
    );
  }
}

const sane = (ok: boolean, what: string) => {
  if (!ok) throw new Error(`column ${what} disagrees with the header`);
};

/**
 * An open index's rows, the compact record view a renderer reads (format/): flags and times at
 * once, the other columns on first use. `row(i)` gives the fields a selection looks at.
 */
export class IndexView {
  readonly n: number;
  readonly flags: Uint8Array;
  readonly time: Float64Array;
  readonly ids: Strings;
  readonly cols: Record<'sender' | 'rcpt' | 'auth' | 'login', Strings>;
  private readonly r: Row;
  private _bp: Buffer | null = null;
  private _bpOff: Uint32Array | null = null;
  private _size: Float64Array | null = null;
  private _present: Uint8Array | null = null;
  private _subdir: Uint8Array | null = null;
  private _hstat: Float64Array | null = null;

  constructor(readonly idx: IndexFile<IndexHeader>) {
    const n = idx.header.count;
    sane(Number.isInteger(n) && n >= 0, 'count');
    this.n = n;
    this.flags = idx.u8('flags');
    this.time = idx.f64('time');
    sane(this.flags.length === n && this.time.length === n, 'flags/time');
    this.ids = new Strings(idx, 'id');
    this.cols = {
      sender: new Strings(idx, 'sender'),
      rcpt: new Strings(idx, 'rcpt'),
      auth: new Strings(idx, 'auth'),
      login: new Strings(idx, 'login'),
    };
    this.r = new Row(this.ids, this.cols);
  }

  get bp(): Buffer {
    this.loadBp();
    return this._bp!;
  }
  get bpOff(): Uint32Array {
    this.loadBp();
    return this._bpOff!;
  }
  private loadBp(): void {
    if (this._bp) return;
    this._bp = this.idx.bytes('bp');
    this._bpOff = this.idx.u32('bp.off');
    sane(this._bpOff.length === this.n + 1 && this._bpOff[this.n] === this._bp.length, 'bp');
    // rows are copied out by these offsets: each must lie inside the column, in order
    const off = this._bpOff;
    let ok = off[0] === 0;
    for (let i = 0; ok && i < this.n; i++) ok = off[i] <= off[i + 1];
    sane(ok, 'bp.off');
  }
  get size(): Float64Array {
    return (this._size ??= this.checked(this.idx.f64('size'), 1, 'size'));
  }
  get present(): Uint8Array {
    return (this._present ??= this.checked(this.idx.u8('present'), 1, 'present'));
  }
  get subdir(): Uint8Array {
    return (this._subdir ??= this.checked(this.idx.u8('subdir'), 1, 'subdir'));
  }
  get hstat(): Float64Array {
    return (this._hstat ??= this.checked(this.idx.f64('hstat'), 4, 'hstat'));
  }
  private checked<T extends { length: number }>(a: T, per: number, what: string): T {
    sane(a.length === per * this.n, what);
    return a;
  }

  /** Reads and checks every column (a damaged one throws here, not halfway through a listing). */
  loadAll(): void {
    void this.bp;
    void this.size;
    void this.present;
    void this.subdir;
    void this.hstat;
    if (this.n > 0) for (const c of [this.ids, ...Object.values(this.cols)]) c.get(0);
  }

  isReread(i: number): boolean {
    return (this.flags[i] & REREAD) !== 0;
  }
  hasJournal(i: number): boolean {
    return (this.flags[i] & JOURNAL) !== 0;
  }
  /** Row i's -bp text starts with AGE_SLOT (exim -bp prints an age for it). */
  aged(i: number): boolean {
    return aged(this.flags[i]);
  }

  /** The fields of row i a selection reads (one object, moved along: a predicate keeps none). */
  private rowPresent: Uint8Array | null = null;
  private rowSize: Float64Array | null = null;
  row(i: number): QueueMessage {
    // plain fields, not the lazy getters: this runs once per message of a selection
    if (this.rowPresent === null) {
      this.rowPresent = this.present;
      this.rowSize = this.size;
    }
    const r = this.r,
      f = this.flags[i];
    r.i = i;
    r.p = this.rowPresent[i];
    r.time = this.time[i];
    r.size = this.rowSize![i];
    r.frozen = (f & FROZEN) !== 0;
    r.errorKind = ERR_KINDS[(f >> ERR_SHIFT) & 3];
    return r as unknown as QueueMessage;
  }

  /** "<c>/<id>-H" lines, one per row, as verify() reads them. */
  hpath(): Buffer {
    return this.idx.bytes('hpath');
  }
}

/** See IndexView.row. */
class Row {
  i = 0;
  p = 0;
  time = 0;
  size = 0;
  frozen = false;
  errorKind: QueueMessage['errorKind'] = undefined;
  constructor(
    private readonly ids: Strings,
    private readonly c: Record<'sender' | 'rcpt' | 'auth' | 'login', Strings>,
  ) {}
  get id(): string {
    return this.ids.get(this.i);
  }
  get sender(): string {
    return this.c.sender.get(this.i);
  }
  get undelivered(): string[] {
    const r = this.c.rcpt.get(this.i);
    return r ? r.split('\n') : [];
  }
  get recipients(): { address: string; delivered: boolean }[] {
    return this.undelivered.map((address) => ({ address, delivered: false }));
  }
  get authId(): string | undefined {
    return this.p & HAS_AUTH ? this.c.auth.get(this.i) : undefined;
  }
  get login(): string | undefined {
    return this.p & HAS_LOGIN ? this.c.login.get(this.i) : undefined;
  }
}

/** With HOSTOPS_DEBUG set, what the index did (tests and puzzled admins read it). */
export function indexNote(s: string): void {
  if (process.env.HOSTOPS_DEBUG) process.stderr.write(`hostops: queue index: ${s}\n`);
}

/** An index in this format, built for this spool directory. */
const ours = (h: IndexHeader, inputDir: string): boolean =>
  h.v === INDEX_VERSION && h.input === realInput(inputDir);

/** The last index of this spool if it is in this format and for this spool (changed or not). */
export function openIndex(inputDir: string): IndexView | string {
  const idx = IndexFile.open<IndexHeader>(indexPath(inputDir));
  if (!idx) return 'none usable';
  if (!ours(idx.header, inputDir)) {
    idx.close();
    return 'none usable';
  }
  try {
    return new IndexView(idx);
  } catch (e) {
    idx.close();
    return `damaged (${(e as Error).message})`;
  }
}

/**
 * `list` (text, ids, count modes) from the index alone, when no spool directory has changed
 * since it was built; or why it cannot answer. Rows marked for re-reading are read now.
 * Nothing is written before every -H file is verified, so the caller can still fall back.
 */
export async function listFromIndex(
  view: IndexView,
  inputDir: string,
  format: Format,
  now: number,
  select: Selection | undefined,
): Promise<ChunkResult | string> {
  if (!format.fromIndex) return 'not for this output';
  const addon = spoolAddon();
  if (!addon) return 'no native reader';
  let verified: Promise<boolean> | null = null;
  try {
    const n = view.n;
    if (!dirsUnchanged(view.idx.header, inputDir)) return 'the spool directories changed';
    // the statx of every -H runs in native threads while the output is assembled here
    verified = addon.verify(inputDir, view.hpath(), view.hstat, n);
    const sink = new ChunkSink(format, now, select);
    sink.render.prepare(view);
    // the rows between two to re-read go as one run (this view of the index is not used for
    // anything else, so the renderer may write into it)
    let from = 0;
    for (let i = 0; i < n; i++) {
      if (!view.isReread(i)) continue;
      if (i > from) sink.addRows(view, from, i);
      const sd = view.subdir[i] ? String.fromCharCode(view.subdir[i]) : '';
      readEntryInto(sink, {
        dir: sd ? path.join(inputDir, sd) : inputDir,
        subdir: sd,
        name: view.ids.get(i) + '-H',
        hasJournal: view.hasJournal(i),
      });
      from = i + 1;
    }
    if (n > from) sink.addRows(view, from, n);
    const result = sink.result();
    const ok = await verified;
    verified = null;
    return ok ? result : 'a message file changed in place';
  } catch (e) {
    // a damaged index is only a missed shortcut: the caller reads the spool and rewrites it
    return `damaged (${(e as Error).message})`;
  } finally {
    if (verified) await verified.catch(() => false); // its thread still reads what the view holds
  }
}

/**
 * For a spool that changed since the index was built: which of the scanned messages are still
 * the ones in the index (same id and directory, no journal, -H with the recorded inode, ctime
 * and size), and how to emit them. The reader parses only the others.
 */
export async function reuseRows(
  addon: SpoolAddon,
  inputDir: string,
  view: IndexView,
  sc: SpoolScan,
  ids: string[],
  builder: IndexBuilder | null,
): Promise<{ keep: Uint8Array; emit: (i: number, sink: ChunkSink) => void; kept: number } | null> {
  const n = sc.count;
  // every column emit() and copy() use is read and checked now: output, once started, must not
  // fail (loadAll reads them all, so a renderer's prepare() has nothing left to fail on)
  try {
    view.loadAll();
  } catch (e) {
    indexNote(`not used: damaged (${(e as Error).message})`);
    return null;
  }
  const byId = new Map<string, number>();
  for (let r = 0; r < view.n; r++) if (!view.isReread(r)) byId.set(view.ids.get(r), r);
  const rowOf = new Int32Array(n).fill(-1);
  const expect = new Float64Array(4 * n).fill(-1);
  const lines: string[] = new Array(n);
  const hs = view.hstat,
    sub = view.subdir;
  for (let i = 0; i < n; i++) {
    const c = sc.subdir[i];
    lines[i] = (c ? String.fromCharCode(c) + '/' : '') + ids[i] + '-H\n';
    const r = byId.get(ids[i]);
    if (r === undefined || sc.journal[i] || sub[r] !== c) continue;
    rowOf[i] = r;
    expect.set(hs.subarray(4 * r, 4 * r + 4), 4 * i);
  }
  const keep = await addon.verify(inputDir, Buffer.from(lines.join(''), 'latin1'), expect, n, true);
  let kept = 0;
  for (let i = 0; i < n; i++) kept += keep[i];
  indexNote(`${kept} of ${n} messages taken from it, ${n - kept} read`);
  // decided now, before any row is collected for nothing
  if (builder && !builder.worthWriting(n - kept, n))
    builder.cancel('the spool changed in the last 2 s, and little of it was read');
  return {
    keep,
    kept,
    emit: (i, sink) => {
      const r = rowOf[i];
      builder?.copy(view, r);
      // one row at a time: the builder copies the rows, so the view's column is not written into
      sink.addRow(view, r);
    },
  };
}

/** exim -bpc from the index when no spool directory has changed; null otherwise. Reads the header only. */
export function countFromIndex(inputDir: string): number | null {
  const idx = IndexFile.open<IndexHeader>(indexPath(inputDir));
  const h = idx?.header;
  try {
    if (!h || !ours(h, inputDir) || !Number.isInteger(h.count)) {
      indexNote('not used: none usable');
      return null;
    }
    if (!dirsUnchanged(h, inputDir)) {
      indexNote('not used: the spool directories changed');
      return null;
    }
    indexNote('used');
    // rows whose file could not be read are counted too, as exim counts -H names
    return h.count;
  } finally {
    idx?.close();
  }
}
