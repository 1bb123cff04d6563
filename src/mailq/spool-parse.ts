/**
 * Parser for Exim -H spool files that accepts and rejects exactly what exim's
 * spool_read_header() does, so a listing marks the same files as broken. The error
 * classes follow exim: an error before the headers section is an "envelope" error (exim -bp
 * prints only the id), an error inside the headers leaves the envelope usable.
 */
import type { QueueMessage } from './types.js';
import { HostopsError } from '../lib/errors.js';

export interface ParsedHeader {
  msg: QueueMessage;
  /** Raw header section (all headers, including `*` ones, as stored), for header selection. */
  headers: string;
}

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * Sequential line reader over the file that mimics fgets + strlen (a NUL ends the C string).
 * The file is decoded once (latin1: one character per byte, so offsets are byte offsets).
 */
/** Buffer#latin1Slice (undocumented but stable in Node) skips toString's argument handling. */
const latin1 = (b: Buffer): string =>
  (b as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(0, b.length);

class Lines {
  pos = 0;
  /**
   * Decoded text. `whole`: the file at once (string searches cost less than Buffer#indexOf
   * calls). Otherwise only the envelope until more is needed, so that strings kept in records
   * (V8 slices of this one) do not keep the header section alive.
   */
  s: string;
  readonly firstNul: number;
  constructor(
    readonly buf: Buffer,
    whole: boolean,
  ) {
    if (whole) {
      this.s = latin1(buf);
      this.firstNul = this.s.indexOf('\0');
    } else {
      const env = buf.indexOf('\n\n');
      this.s = buf.toString('latin1', 0, env === -1 ? buf.length : env + 2);
      this.firstNul = buf.indexOf(0);
    }
  }
  /** The whole file as text (decoded on first need). */
  all(): string {
    if (this.s.length < this.buf.length) this.s = latin1(this.buf);
    return this.s;
  }
  /** Next line including its newline, cut at the first NUL; null at EOF. */
  next(): string | null {
    if (this.pos >= this.buf.length) return null;
    let end = this.s.indexOf('\n', this.pos);
    if (end === -1 && this.s.length < this.buf.length) {
      this.all(); // a malformed file: decode the rest
      end = this.s.indexOf('\n', this.pos);
    }
    const { s } = this;
    end = end === -1 ? s.length : end + 1;
    const start = this.pos;
    this.pos = end;
    if (this.firstNul !== -1 && this.firstNul < end) {
      const z = s.indexOf('\0', start);
      if (z !== -1 && z < end) return s.slice(start, z);
    }
    return s.slice(start, end);
  }
}

/** Lookup types of Debian's exim4-daemon-light/heavy and cPanel builds, for `--(type)name` lines. */
const QUOTERS = new Set([
  'lsearch',
  'wildlsearch',
  'nwildlsearch',
  'iplsearch',
  'cdb',
  'dbm',
  'dbmjz',
  'dbmnz',
  'dnsdb',
  'dsearch',
  'nis',
  'nis0',
  'passwd',
  'mysql',
  'pgsql',
  'sqlite',
  'ldap',
  'ldapdn',
  'ldapm',
  'redis',
  'json',
  'lmdb',
  'nisplus',
  'oracle',
  'ibase',
  'spf',
  'psl',
  'readsock',
  'whoson',
  'testdb',
]);

// caught in this file (the message is listed as a format error); never reaches a user as such
class SpoolFormatError extends HostopsError {
  constructor() {
    super('MAILQ_SPOOL_FORMAT', 'spool format error');
  }
}
const fail = (): never => {
  throw new SpoolFormatError();
};

/** sscanf("%ld") at the start (after optional whitespace); null when no number. */
function scanInt(s: string, from = 0): number | null {
  const r = scanIntAt(s, from);
  return r === null ? null : r.value;
}

/** sscanf("%ld")-like: optional whitespace, sign, digits; the value and where it ended. */
function scanIntAt(s: string, i: number): { value: number; end: number } | null {
  const n = s.length;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  let neg = false;
  const c = s.charCodeAt(i);
  if (c === 43 || c === 45) {
    neg = c === 45;
    i++;
  }
  const start = i;
  let v = 0;
  while (i < n) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    i++;
  }
  if (i === start) return null;
  return { value: neg ? -v : v, end: i };
}

/** The address part of a recipient line, read right to left as exim does (4.x and 3.x forms). */
export function recipientAddress(line: string): string {
  // line has its last character (the newline) removed already
  let p = line.length - 1;
  while (p >= 0 && isDigit(line.charCodeAt(p))) p--;
  const c = line[p];
  if (c === ',') {
    while (--p >= 0 && (isDigit(line.charCodeAt(p)) || line[p] === ','));
    return p >= 0 && line[p] === ' ' ? line.slice(0, p) : line;
  }
  if (c === ' ') return line.slice(0, p);
  if (c === '#') {
    const flags = scanInt(line, p + 1) ?? 0;
    const skipBack = () => {
      while (--p >= 0 && (isDigit(line.charCodeAt(p)) || line[p] === ',' || line[p] === '-'));
      const len = scanInt(line, p + 1) ?? 0;
      if (len > 0) p -= len;
    };
    if (flags & 1) skipBack(); // errors_to
    --p;
    if (flags & 2) skipBack(); // orcpt
    --p;
    return line.slice(0, Math.max(0, p));
  }
  return line;
}

/**
 * Reads the non-recipients tree (preorder `YN addr` lines) into `out` in tree (sorted) order.
 * Iterative, so a hostile file with a very deep tree cannot overflow the stack.
 */
function readTree(first: string, lines: Lines, out: string[]): void {
  // each frame: the node's name, whether its right subtree is still to be read
  const stack: { name: string; right: boolean }[] = [];
  let line: string | null = first;
  for (;;) {
    // descend along left children, reading one line per node
    for (;;) {
      const n = line!.length;
      if (n < 5) fail();
      stack.push({ name: line!.slice(3, n - 1), right: line![1] === 'Y' });
      if (line![0] !== 'Y') break;
      line = lines.next();
      if (line === null) fail();
    }
    // climb: emit nodes until one has a right subtree to read
    for (;;) {
      const top = stack.pop();
      if (!top) return;
      out.push(top.name);
      if (top.right) {
        line = lines.next();
        if (line === null) fail();
        break;
      }
    }
  }
}

function headerValue(text: string, name: string): string | undefined {
  // text is "Name: value\n" with possible folded continuation lines
  const colon = text.indexOf(':');
  if (colon === -1 || text.slice(0, colon).trim().toLowerCase() !== name) return undefined;
  return text
    .slice(colon + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();
}

export interface ParseInput {
  id: string;
  subdir: string;
  /** The whole -H file. */
  buf: Buffer;
  /** Size of the -D file, or -1 when it is missing. */
  dataSize: number;
  /** Contents of the -J journal, if any. */
  journal?: Buffer;
  wantHeaders?: boolean;
  /** Decode Subject, X-PHP-Script and From into the record (default true; not needed for -bp text). */
  fields?: boolean;
  /** With wantHeaders: leave out `*` (deleted or rewritten) headers. */
  liveHeadersOnly?: boolean;
}

/** Parse one -H file. Never throws on bad content: the result's `error` says what exim would print. */
export function parseHeaderFile(inp: ParseInput): ParsedHeader {
  const { id, buf } = inp;
  // every field present from the start: one object shape for all messages keeps property access fast
  const msg: QueueMessage = {
    id,
    time: 0,
    size: 0,
    sender: '',
    recipients: [],
    frozen: false,
    authId: undefined,
    phpScript: undefined,
    subject: undefined,
    error: undefined,
    errorKind: undefined,
    login: undefined,
    uid: undefined,
    gid: undefined,
    senderSetUntrusted: undefined,
    frozenAt: undefined,
    hostAddress: undefined,
    hostAuth: undefined,
    authSender: undefined,
    protocol: undefined,
    fromHeader: undefined,
    extraDelivered: undefined,
    subdir: inp.subdir,
  };
  const fields = inp.fields !== false;
  const lines = new Lines(buf, !fields);
  let inHeader = false;
  let headerBytes = 0;
  let headers = '';
  const delivered: string[] = [];
  try {
    const l1 = lines.next();
    if (l1 === null || l1.length !== id.length + 3 || l1.slice(0, id.length + 2) !== id + '-H')
      fail();

    const l2 = lines.next();
    if (l2 === null) fail();
    let p = l2!.length;
    while (p > 0 && isSpace(l2!.charCodeAt(p - 1))) p--;
    const trailingNumber = (): number => {
      if (p === 0 || !isDigit(l2!.charCodeAt(p - 1))) fail();
      const end = p;
      while (p > 0 && (isDigit(l2!.charCodeAt(p - 1)) || l2!.charCodeAt(p - 1) === 45) /* - */) p--;
      // parseInt semantics without a slice: optional '-', then digits up to the first non-digit
      let i = p;
      const neg = l2!.charCodeAt(i) === 45;
      if (neg) i++;
      let v = 0;
      let any = false;
      for (; i < end; i++) {
        const d = l2!.charCodeAt(i) - 48;
        if (d < 0 || d > 9) break;
        v = v * 10 + d;
        any = true;
      }
      if (!any) v = NaN;
      else if (neg) v = -v;
      if (p <= 0 || l2![--p] !== ' ') fail();
      return v;
    };
    msg.gid = trailingNumber();
    msg.uid = trailingNumber();
    msg.login = l2!.slice(0, p);

    const l3 = lines.next();
    if (l3 === null) fail();
    const n3 = l3!.length;
    if (n3 < 3 || l3![0] !== '<' || l3![n3 - 2] !== '>') fail();
    msg.sender = l3!.slice(1, n3 - 2);

    const l4 = lines.next();
    if (l4 === null) fail();
    // (?!\d): %ld takes every digit, so the regex must not split one number into two
    // sscanf("%ld %d"): two numbers, any whitespace (or none) between them
    const t4 = scanIntAt(l4!, 0);
    if (t4 === null || scanIntAt(l4!, t4.end) === null) fail();
    msg.time = t4!.value;

    let line: string | null;
    for (;;) {
      line = lines.next();
      // 4.96 reads these lines with fgets_big_buffer(): each must end in a newline (a NUL ends it early)
      if (line === null || line.length === 0 || line[line.length - 1] !== '\n') fail();
      if (line![0] !== '-') break;
      const body = line!.slice(0, line!.length - 1);
      let v = body[1] === '-' ? 2 : 1; // "--name" = tainted value, same meaning here
      if (body[v] === '(') {
        // "--(lookup)name": a value quoted for a lookup type exim must know
        const close = body.indexOf(')', v);
        if (close === -1 || !QUOTERS.has(body.slice(v + 1, close))) fail();
        v = close + 1;
      }
      const name = body.slice(v);
      switch (name[0]) {
        case 'a':
          if (name.startsWith('aclc ') || name.startsWith('aclm ')) {
            const sp = name.indexOf(' ', 5); // after "aclc ": the space that ends the variable name
            if (sp === -1) fail();
            const count = scanInt(name, sp);
            if (count === null) fail();
            if (lines.pos + count! > buf.length) fail();
            lines.pos = Math.min(buf.length, lines.pos + Math.max(0, count! + 1));
          } else if (name.startsWith('acl ')) {
            const m = /^[ \t]*(\d+)[ \t]+(\d+)/.exec(name.slice(4));
            if (!m || Number(m[1]) >= 20 || Number(m[2]) > 16384) fail();
            const count = Number(m![2]);
            if (lines.pos + count > buf.length) fail();
            lines.pos = Math.min(buf.length, lines.pos + count + 1);
          } else if (name.startsWith('auth_id')) msg.authId = name.slice(8);
          else if (name.startsWith('auth_sender')) msg.authSender = name.slice(12);
          break;
        case 'f':
          if (name.startsWith('frozen')) {
            msg.frozen = true;
            const t = scanInt(name, 6);
            if (t === null) fail();
            msg.frozenAt = t!;
          }
          break;
        case 'h':
          if (name.startsWith('host_auth_pubname')) {
            /* not needed */
          } else if (name.startsWith('host_auth')) msg.hostAuth = name.slice(10);
          else if (name.startsWith('host_address')) msg.hostAddress = name.slice(13);
          break;
        case 'r':
          if (name.startsWith('received_protocol')) msg.protocol = name.slice(18);
          break;
        case 's':
          if (name.startsWith('sender_set_untrusted')) msg.senderSetUntrusted = true;
          break;
      }
    }

    if (!line!.startsWith('XX\n')) readTree(line!, lines, delivered);

    const lc = lines.next();
    if (lc === null) fail();
    const rcount = scanInt(lc!);
    if (rcount === null || rcount > 16384) fail();
    for (let i = 0; i < rcount!; i++) {
      const l = lines.next();
      // exim 4.96 rejects a recipient line cut off without its newline (seen with exim -bp)
      if (l === null || l.length < 2 || l[l.length - 1] !== '\n') fail();
      msg.recipients.push({
        address: recipientAddress(l!.slice(0, l!.length - 1)),
        delivered: false,
      });
    }

    inHeader = true;
    const blank = lines.next();
    if (blank === null || blank[0] !== '\n') fail();

    // Headers: "%d%c " then exactly n bytes, none of them NUL.
    let pos = lines.pos;
    const firstNul = lines.firstNul === -1 ? -1 : lines.all().indexOf('\0', pos);
    while (pos < buf.length) {
      let c = buf[pos];
      if (!isDigit(c)) fail();
      let n = 0;
      while (pos < buf.length && isDigit((c = buf[pos]))) {
        n = n * 10 + (c - 48);
        pos++;
      }
      const flag = pos < buf.length ? buf[pos++] : 32;
      while (pos < buf.length && isSpace(buf[pos])) pos++;
      if (flag !== 42 /* * */) headerBytes += n; // counted before the bytes are checked, as exim does
      if (pos + n > buf.length || (firstNul !== -1 && firstNul < pos + n && firstNul >= pos))
        fail();
      const start = pos;
      pos += n;
      if (inp.wantHeaders && !(flag === 42 && inp.liveHeadersOnly))
        headers += buf.toString('latin1', start, pos);
      if (flag === 42 || !fields || n === 0) continue;
      // only the few headers the message record carries are decoded
      const c0 = buf[start] | 0x20;
      if (c0 === 0x73 /* s */ && msg.subject === undefined)
        msg.subject = headerValue(buf.toString('latin1', start, pos), 'subject');
      else if (c0 === 0x78 /* x */ && msg.phpScript === undefined)
        msg.phpScript = headerValue(buf.toString('latin1', start, pos), 'x-php-script');
      else if (flag === 70 /* F */ && msg.fromHeader === undefined)
        msg.fromHeader = headerValue(buf.toString('latin1', start, pos), 'from');
    }
  } catch (e) {
    if (!(e instanceof SpoolFormatError)) throw e;
    msg.errorKind = inHeader ? 'header' : 'envelope';
    msg.error = `*** spool format error: size=${buf.length} ***`;
    if (!inHeader) msg.recipients = [];
  }
  if (msg.errorKind !== 'envelope') {
    if (inp.dataSize >= 0) msg.size = headerBytes + inp.dataSize - (id.length + 3) + 1;
    if (delivered.length === 0 && !inp.journal) return { msg, headers }; // nothing delivered: no sets
    const done = new Set(delivered);
    if (inp.journal) {
      // exim drops the last character of every journal line (normally the newline)
      const parts = inp.journal.toString('latin1').split('\n');
      for (let i = 0; i < parts.length - 1; i++) done.add(parts[i]);
      const last = parts[parts.length - 1];
      if (last) done.add(last.slice(0, -1));
    }
    const top = new Set<string>();
    for (const r of msg.recipients)
      if (done.has(r.address)) {
        r.delivered = true;
        top.add(r.address);
      }
    const extra = delivered.filter((a) => !top.has(a));
    if (extra.length) msg.extraDelivered = extra;
  }
  return { msg, headers };
}

/** What exim -bp prints for a -H file that could not be read (strerror of the errno). */
export function readErrorMessage(
  id: string,
  subdir: string,
  err: NodeJS.ErrnoException,
): QueueMessage {
  const text = STRERROR[err.code ?? ''] ?? err.message;
  return {
    id,
    subdir,
    time: 0,
    size: 0,
    sender: '',
    recipients: [],
    frozen: false,
    errorKind: 'read',
    error: `*** spool read error: ${text} ***`,
  };
}

const STRERROR: Record<string, string> = {
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  EIO: 'Input/output error',
  ELOOP: 'Too many levels of symbolic links',
  EMFILE: 'Too many open files',
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  ENAMETOOLONG: 'File name too long',
  EFBIG: 'File too large',
  ESPIPE: 'Not a regular file', // our own reader's refusals (spool-chunk.ts)
};
