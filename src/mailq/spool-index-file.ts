/**
 * The on-disk form of the queue index (see spool-index.ts): a JSON header, then columns, each
 * 8-byte aligned so typed arrays map them without a copy. Only the columns a command needs are
 * read (pread per column): `count` reads the header alone, `list` the ages and -bp text.
 *
 * The index holds what exim -bp shows (senders, recipients, subjects), so it is private: written
 * 0600 in a 0700 directory, and ignored unless owned by this user and writable by nobody else.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';

const MAGIC = 'HMQIDX03';
/** Magic, JSON length, JSON checksum; the JSON header follows. */
const HEAD = 16;

/** Where indexes live: $HOSTOPS_CACHE_DIR, else /var/cache/hostops for root, else the XDG cache. */
export function indexDir(): string {
  const base =
    process.env.HOSTOPS_CACHE_DIR ??
    (process.getuid?.() === 0
      ? '/var/cache/hostops'
      : path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'hostops'));
  return path.join(base, 'mailq');
}

/** FNV-1a, 64 bits, as hex: enough to name a file, and no crypto module to load at start-up. */
function fnv1a64(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < s.length; i++)
    h = BigInt.asUintN(64, (h ^ BigInt(s.charCodeAt(i))) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

/** One index per spool input directory and user. */
export function indexPath(inputDir: string): string {
  let real = inputDir;
  try {
    real = fs.realpathSync(inputDir);
  } catch {
    /* missing: the reader reports it */
  }
  // the name only spreads spools over files; the header's own path is what is checked
  return path.join(indexDir(), `${fnv1a64(`${real}\0${process.getuid?.() ?? ''}`)}.idx`);
}

export type ColumnType = 'u8' | 'f64' | 'u32' | 'bytes';
export interface ColumnInfo {
  name: string;
  type: ColumnType;
  offset: number;
  bytes: number;
  crc: number;
}

/** A column as written: typed arrays, or a string column (latin1 bytes + n+1 offsets). */
export type ColumnData = Uint8Array | Float64Array | Uint32Array;

const typeOf = (d: ColumnData): ColumnType =>
  d instanceof Float64Array
    ? 'f64'
    : d instanceof Uint32Array
      ? 'u32'
      : d instanceof Buffer
        ? 'bytes'
        : 'u8';
const pad8 = (n: number) => (n + 7) & ~7;

const uid = () => process.getuid?.() ?? -1;

/**
 * Makes the index directory (0700) or checks the one there: a symlink, a non-directory or a
 * directory of another user is refused (a root run must not write where others point it); one
 * others may write to is made 0700 again. Its parent must not let others swap it (writable by
 * others without the sticky bit, or owned by someone but us or root).
 */
export function privateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = fs.openSync(
      dir,
      fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW,
    );
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ELOOP' || code === 'ENOTDIR'
        ? `${dir} is a symlink or not a directory`
        : `${dir}: ${code}`,
    );
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.uid !== uid())
      throw new Error(`${dir} belongs to uid ${st.uid}, not to this user (${uid()})`);
    if ((st.mode & 0o077) !== 0) fs.fchmodSync(fd, 0o700); // fchmod: the directory checked, not a path swapped in since
  } finally {
    fs.closeSync(fd);
  }
  const parent = path.dirname(dir);
  const ps = fs.statSync(parent);
  if ((ps.uid !== uid() && ps.uid !== 0) || ((ps.mode & 0o022) !== 0 && (ps.mode & 0o1000) === 0)) {
    throw new Error(
      `${parent} may be changed by other users (owner uid ${ps.uid}, mode ${(ps.mode & 0o7777).toString(8)})`,
    );
  }
}

/** A new file only this user can read: never an existing file or a symlink planted at the name. */
function createNew(file: string): number {
  const c = fs.constants;
  return fs.openSync(file, c.O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW, 0o600);
}

/** A temporary name beside `file` that others cannot guess in advance. */
function tmpName(file: string): string {
  const r = Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(9))).toString('base64url');
  return `${file}.${r}.tmp`;
}

/**
 * Writes header + columns to a new temporary file and renames it into place (readers never see
 * half; rename replaces a symlink at the index name, it does not write through it).
 */
export function writeIndexFile(
  file: string,
  header: object,
  columns: Record<string, ColumnData>,
): void {
  const dir = path.dirname(file);
  privateDir(dir);
  const infos: ColumnInfo[] = [];
  let off = 0;
  for (const [name, d] of Object.entries(columns)) {
    // a checksum per column: a bit flipped on disk must not become a wrong line in a listing
    infos.push({
      name,
      type: typeOf(d),
      offset: off,
      bytes: d.byteLength,
      crc: crc32(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)),
    });
    off = pad8(off + d.byteLength);
  }
  const json = Buffer.from(JSON.stringify({ ...header, columns: infos }), 'utf8');
  const head = Buffer.alloc(pad8(HEAD + json.length));
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(json.length, 8);
  head.writeUInt32LE(crc32(json), 12);
  json.copy(head, HEAD);
  const tmp = tmpName(file);
  const fd = createNew(tmp);
  try {
    fs.writeSync(fd, head);
    let pos = head.length;
    for (let i = 0; i < infos.length; i++) {
      const d = columns[infos[i].name];
      const at = head.length + infos[i].offset;
      if (at > pos) fs.writeSync(fd, Buffer.alloc(at - pos));
      fs.writeSync(fd, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      pos = at + d.byteLength;
    }
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      /* closed already */
    }
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** An open index: its header, and columns read on demand. */
export class IndexFile<H> {
  private constructor(
    private readonly fd: number,
    readonly header: H & { columns: ColumnInfo[] },
    private readonly base: number,
  ) {}

  /** Opens and checks an index; null when absent, foreign, unsafe or not in this format. */
  static open<H>(file: string): IndexFile<H> | null {
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch {
      return null;
    }
    try {
      const st = fs.fstatSync(fd);
      // someone else's file (or one others may write) could make us print a false queue
      if (!st.isFile() || st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) {
        fs.closeSync(fd);
        return null;
      }
      const first = Buffer.alloc(Math.min(st.size, 64 * 1024));
      fs.readSync(fd, first, 0, first.length, 0);
      if (first.length < HEAD || first.toString('latin1', 0, 8) !== MAGIC) {
        fs.closeSync(fd);
        return null;
      }
      const jlen = first.readUInt32LE(8);
      let json = first;
      if (HEAD + jlen > first.length) {
        json = Buffer.alloc(HEAD + jlen);
        fs.readSync(fd, json, 0, json.length, 0);
      }
      // the header holds the count `count` prints: checked like every column
      if (
        HEAD + jlen > json.length ||
        crc32(json.subarray(HEAD, HEAD + jlen)) !== first.readUInt32LE(12)
      ) {
        fs.closeSync(fd);
        return null;
      }
      const header = JSON.parse(json.toString('utf8', HEAD, HEAD + jlen));
      const base = pad8(HEAD + jlen);
      // a file cut short (disk full, a crash before rename is impossible, but copies happen)
      const cols: ColumnInfo[] = Array.isArray(header?.columns) ? header.columns : [];
      if (
        !cols.length ||
        cols.some((c) => !(c.offset >= 0 && c.bytes >= 0 && base + c.offset + c.bytes <= st.size))
      ) {
        fs.closeSync(fd);
        return null;
      }
      return new IndexFile<H>(fd, header, base);
    } catch {
      fs.closeSync(fd);
      return null;
    }
  }

  private read(name: string): Buffer {
    const c = this.header.columns.find((x) => x.name === name);
    if (!c) throw new Error(`index column ${name} missing`);
    // allocUnsafeSlow: its own ArrayBuffer at offset 0, so Float64Array views are aligned
    const b = Buffer.allocUnsafeSlow(c.bytes);
    let got = 0;
    while (got < c.bytes) {
      const n = fs.readSync(this.fd, b, got, c.bytes - got, this.base + c.offset + got);
      if (n <= 0) throw new Error(`index column ${name} truncated`);
      got += n;
    }
    if (crc32(b) !== c.crc) throw new Error(`index column ${name} fails its checksum`);
    return b;
  }

  bytes(name: string): Buffer {
    return this.read(name);
  }
  u8(name: string): Uint8Array {
    const b = this.read(name);
    return new Uint8Array(b.buffer, b.byteOffset, b.length);
  }
  u32(name: string): Uint32Array {
    const b = this.read(name);
    return new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
  }
  f64(name: string): Float64Array {
    const b = this.read(name);
    return new Float64Array(b.buffer, b.byteOffset, b.length / 8);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** Drops indexes nobody has rewritten for a week (spools that went away, one-off copies). */
export function pruneIndexes(dir: string, keep: string, maxAgeMs = 7 * 86400_000): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  const old = Date.now() - maxAgeMs;
  for (const n of names) {
    const p = path.join(dir, n);
    if (p === keep || !(n.endsWith('.idx') || n.endsWith('.tmp'))) continue;
    // lstat: a symlink is judged (and removed) as itself, never by what it points at
    try {
      if (fs.lstatSync(p).mtimeMs < old) fs.rmSync(p, { force: true });
    } catch {
      /* raced with another run */
    }
  }
}
