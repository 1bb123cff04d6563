/**
 * Streaming scanner for exim mainlog text. Works on latin1 strings of whole lines (the caller
 * cuts chunks at newlines) and touches each line at a few fixed offsets; only arrival (`<=`) and
 * `cwd=` lines are parsed further. Lines that do not start with a timestamp are counted as
 * garbage and the first few are kept with their line number.
 */

export interface Count {
  messages: number;
  recipients: number;
}
export interface CwdCount {
  invocations: number;
  submissions: number;
  admin: number;
}

export interface ScanState {
  lines: number;
  messages: number;
  recipients: number;
  /** Arrivals without a `for` list (+received_recipients off): recipients unknown. */
  unknownRecipients: number;
  /** Arrivals by unauthenticated SMTP from other hosts (not counted per sender). */
  inbound: number;
  cwdLines: number;
  spoolCwdLines: number;
  garbage: number;
  garbageSamples: { line: number; text: string }[];
  /** cwd= lines cut off before their ` N args:` part (a log ending mid-line): no directory is trusted. */
  truncated: number;
  truncatedSamples: { line: number; text: string }[];
  /** Earliest and latest arrival time stamps (not the first and last arrival lines). */
  first?: string;
  last?: string;
  hourly: Map<string, Count>;
  senders: Map<string, Count>;
  authUsers: Map<string, Count>;
  localUsers: Map<string, Count>;
  clientIps: Map<string, Count>;
  /** Client addresses of unauthenticated SMTP arrivals (inbound mail, or relaying by IP). */
  smtpIps: Map<string, Count>;
  cwds: Map<string, CwdCount>;
}

export interface ScanOptions {
  /** Inclusive lower / exclusive upper bound as "YYYY-MM-DD HH:MM:SS" in the log's local time. */
  since?: string;
  until?: string;
  /** cwd prefixes that are exim's own re-executions (the spool directory). */
  spoolDirs: string[];
  maxSamples?: number;
  /** Skip arrival lines (only the cwd= report is wanted). */
  scriptsOnly?: boolean;
}

export function newState(): ScanState {
  return {
    lines: 0,
    messages: 0,
    recipients: 0,
    unknownRecipients: 0,
    inbound: 0,
    cwdLines: 0,
    spoolCwdLines: 0,
    garbage: 0,
    garbageSamples: [],
    truncated: 0,
    truncatedSamples: [],
    hourly: new Map(),
    senders: new Map(),
    authUsers: new Map(),
    localUsers: new Map(),
    clientIps: new Map(),
    smtpIps: new Map(),
    cwds: new Map(),
  };
}

/**
 * A copy of s that does not point into the chunk it was sliced from. V8 keeps slices of long
 * strings as views on the parent, so a Map key would otherwise pin a whole 64 KB chunk.
 */
export function own(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'latin1').toString('latin1');
}

function bump(m: Map<string, Count>, k: string, r: number): void {
  const c = m.get(k);
  if (c) {
    c.messages++;
    c.recipients += r;
  } else m.set(own(k), { messages: 1, recipients: r });
}

/** Exim argv flags that list, inspect or run the queue rather than submit a message. */
const ADMIN_FLAG = / -(?:bp\w*|bP|bV|bt|bv|brw|be|bh\w*|bi|bd\w*|M\w*|q\w*|R\w*|S\w*|v|N)(?= |$)/;

const isSubmission = (args: string): boolean => !ADMIN_FLAG.test(' ' + args);

export const printable = (s: string) =>
  s
    .replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .slice(0, 120);

const isD = (c: number) => c >= 48 && c <= 57;

/** Compare the 19-character timestamp at s[p] with a "YYYY-MM-DD HH:MM:SS" string, without slicing. */
function cmpStamp(s: string, p: number, stamp: string): number {
  for (let i = 0; i < 19; i++) {
    const d = s.charCodeAt(p + i) - stamp.charCodeAt(i);
    if (d) return d;
  }
  return 0;
}

/** Value of ` X=` between from and limit in line L, up to the next space. */
function fieldOf(L: string, name: string, from: number, limit: number): string | undefined {
  const i = L.indexOf(name, from);
  if (i === -1 || i >= limit) return undefined;
  let e = L.indexOf(' ', i + name.length);
  if (e === -1 || e > limit) e = limit;
  return L.slice(i + name.length, e);
}

export class MainlogScanner {
  readonly st: ScanState;
  private hour = '';
  private hourCount: Count = { messages: 0, recipients: 0 };

  constructor(
    private readonly o: ScanOptions,
    st?: ScanState,
  ) {
    this.st = st ?? newState();
  }

  /** Feed complete lines (s ends with a newline, or is the file's unterminated tail). */
  feed(s: string): void {
    const st = this.st;
    const { since, until, scriptsOnly } = this.o;
    const len = s.length;
    let p = 0;
    while (p < len) {
      let q = s.indexOf('\n', p);
      if (q === -1) q = len;
      st.lines++;
      // timestamp "YYYY-MM-DD HH:MM:SS"
      if (
        q - p < 20 ||
        s.charCodeAt(p + 4) !== 45 ||
        s.charCodeAt(p + 7) !== 45 ||
        s.charCodeAt(p + 10) !== 32 ||
        s.charCodeAt(p + 13) !== 58 ||
        s.charCodeAt(p + 16) !== 58 ||
        !isD(s.charCodeAt(p)) ||
        !isD(s.charCodeAt(p + 18))
      ) {
        if (!(s.charCodeAt(p) === 46 && s.startsWith('...', p)) && q > p) this.garbage(s, p, q);
        p = q + 1;
        continue;
      }
      if (
        (since !== undefined && cmpStamp(s, p, since) < 0) ||
        (until !== undefined && cmpStamp(s, p, until) >= 0)
      ) {
        p = q + 1;
        continue;
      }
      // message part: skip .mmm, a time zone and [pid] when those selectors are on
      let o = p + 19;
      if (s.charCodeAt(o) === 46) o += 4;
      o++;
      let c = s.charCodeAt(o);
      if ((c === 43 || c === 45) && isD(s.charCodeAt(o + 1))) {
        o += 6;
        c = s.charCodeAt(o);
      }
      if (c === 91) {
        const e = s.indexOf('] ', o);
        if (e !== -1 && e < q) {
          o = e + 2;
          c = s.charCodeAt(o);
        }
      }
      // each marker must end inside this line (after a cut line o is past q): as mainlog.c
      if (o + 4 <= q && c === 99 && s.startsWith('cwd=', o)) this.cwd(s, o + 4, q);
      else if (scriptsOnly) {
        /* arrivals not wanted */
      } else if (s.charCodeAt(o + 6) === 45) {
        if (
          o + 20 <= q &&
          s.charCodeAt(o + 13) === 45 &&
          s.charCodeAt(o + 16) === 32 &&
          s.charCodeAt(o + 17) === 60 &&
          s.charCodeAt(o + 18) === 61 &&
          s.charCodeAt(o + 19) === 32
        )
          this.arrival(s, p, o + 20, q);
        else if (
          o + 27 <= q &&
          s.charCodeAt(o + 18) === 45 &&
          s.charCodeAt(o + 23) === 32 &&
          s.charCodeAt(o + 24) === 60 &&
          s.charCodeAt(o + 25) === 61 &&
          s.charCodeAt(o + 26) === 32
        )
          this.arrival(s, p, o + 27, q);
      }
      p = q + 1;
    }
  }

  private garbage(s: string, p: number, q: number): void {
    const st = this.st;
    st.garbage++;
    if (st.garbageSamples.length < (this.o.maxSamples ?? 20))
      st.garbageSamples.push({
        line: st.lines,
        text: own(printable(s.slice(p, Math.min(q, p + 200)))),
      });
  }

  private cwd(s: string, a: number, q: number): void {
    const st = this.st;
    st.cwdLines++;
    const args = s.indexOf(' args: ', a);
    if (args === -1 || args > q) {
      // exim always writes "cwd=DIR N args: ...": without it the line was cut (a log that ends
      // mid-line), and DIR may be cut too, so it is reported apart, not counted as a directory
      st.truncated++;
      if (st.truncatedSamples.length < (this.o.maxSamples ?? 20))
        st.truncatedSamples.push({
          line: st.lines,
          text: own(printable(s.slice(a - 4, Math.min(q, a + 196)))),
        });
      return;
    }
    let end = args - 1;
    while (end > a && isD(s.charCodeAt(end))) end--;
    const dir = s.slice(a, end);
    for (const sp of this.o.spoolDirs) {
      if (dir === sp || dir.startsWith(sp + '/')) {
        st.spoolCwdLines++;
        return;
      }
    }
    const sub = isSubmission(s.slice(args + 7, q));
    const c = st.cwds.get(dir);
    if (c) {
      c.invocations++;
      if (sub) c.submissions++;
      else c.admin++;
    } else st.cwds.set(own(dir), { invocations: 1, submissions: sub ? 1 : 0, admin: sub ? 0 : 1 });
  }

  private arrival(s: string, p: number, a: number, q: number): void {
    const st = this.st;
    // work on the line alone so that searches for absent fields stop at its end
    const L = s.slice(a, q);
    const n = L.length;
    let se = L.indexOf(' ');
    if (se === -1) se = n;
    // fields end where the subject or the recipient list starts
    const tq = L.indexOf(' T="', se);
    let forAt: number;
    if (tq !== -1) {
      forAt = tq + 4;
      for (;;) {
        forAt = L.indexOf('" for ', forAt);
        if (forAt === -1) break;
        if (L.charCodeAt(forAt - 1) !== 92) {
          forAt += 1;
          break;
        }
        forAt += 2;
      }
    } else forAt = L.indexOf(' for ', se);
    const fe = tq !== -1 ? tq : forAt !== -1 ? forAt : n;
    let rc = 0;
    if (forAt !== -1) {
      rc = 1;
      for (let i = L.indexOf(' ', forAt + 5); i !== -1; i = L.indexOf(' ', i + 1)) rc++;
    } else st.unknownRecipients++;
    const r = rc || 1;
    st.messages++;
    st.recipients += rc;
    // Only mail that originates here (local submissions and SMTP AUTH) is counted per sender:
    // unauthenticated SMTP from other hosts is inbound mail, not something this server sends.
    const auth = fieldOf(L, ' A=', se, fe);
    const h = L.indexOf(' H=', se);
    if (auth !== undefined) {
      const colon = auth.indexOf(':');
      bump(st.authUsers, colon === -1 ? auth : auth.slice(colon + 1), r);
      bump(st.senders, L.slice(0, se), r);
      const b = h === -1 || h >= fe ? -1 : L.indexOf('[', h);
      const e = b === -1 ? -1 : L.indexOf(']', b);
      if (e !== -1 && e < fe) bump(st.clientIps, L.slice(b + 1, e), r);
    } else if (h !== -1 && h < fe) {
      // inbound (or relayed by IP): counted per client address only
      st.inbound++;
      const b = L.indexOf('[', h);
      const e = b === -1 ? -1 : L.indexOf(']', b);
      if (e !== -1 && e < fe) bump(st.smtpIps, L.slice(b + 1, e), r);
    } else {
      bump(st.senders, L.slice(0, se), r);
      const u = fieldOf(L, ' U=', se, fe);
      const proto = fieldOf(L, ' P=', se, fe);
      if (u !== undefined && (proto === undefined || proto.startsWith('local')))
        bump(st.localUsers, u, r);
    }
    // per-hour counts; the hour changes rarely, so compare in place before allocating a key
    if (!(this.hour && s.startsWith(this.hour, p))) {
      this.hour = own(s.slice(p, p + 13));
      let c = st.hourly.get(this.hour);
      if (!c) {
        c = { messages: 0, recipients: 0 };
        st.hourly.set(this.hour, c);
      }
      this.hourCount = c;
    }
    this.hourCount.messages++;
    this.hourCount.recipients += rc;
    // the window is the earliest and latest time seen: logs are not always in time order
    // (merged, rotated by hand, a clock set back)
    if (st.first === undefined || cmpStamp(s, p, st.first) < 0) st.first = own(s.slice(p, p + 19));
    if (st.last === undefined || cmpStamp(s, p, st.last) > 0) st.last = own(s.slice(p, p + 19));
  }
}

/** Merge b into a (worker results, several files). Garbage sample line numbers must already be absolute. */
export function mergeState(a: ScanState, b: ScanState, maxSamples = 20): ScanState {
  a.lines += b.lines;
  a.messages += b.messages;
  a.recipients += b.recipients;
  a.unknownRecipients += b.unknownRecipients;
  a.inbound += b.inbound;
  a.cwdLines += b.cwdLines;
  a.spoolCwdLines += b.spoolCwdLines;
  a.garbage += b.garbage;
  for (const g of b.garbageSamples)
    if (a.garbageSamples.length < maxSamples) a.garbageSamples.push(g);
  a.truncated += b.truncated;
  for (const g of b.truncatedSamples)
    if (a.truncatedSamples.length < maxSamples) a.truncatedSamples.push(g);
  if (b.first !== undefined && (a.first === undefined || b.first < a.first)) a.first = b.first;
  if (b.last !== undefined && (a.last === undefined || b.last > a.last)) a.last = b.last;
  for (const k of [
    'hourly',
    'senders',
    'authUsers',
    'localUsers',
    'clientIps',
    'smtpIps',
  ] as const) {
    for (const [key, v] of b[k]) {
      const c = a[k].get(key);
      if (c) {
        c.messages += v.messages;
        c.recipients += v.recipients;
      } else a[k].set(key, { ...v });
    }
  }
  for (const [key, v] of b.cwds) {
    const c = a.cwds.get(key);
    if (c) {
      c.invocations += v.invocations;
      c.submissions += v.submissions;
      c.admin += v.admin;
    } else a.cwds.set(key, { ...v });
  }
  return a;
}
