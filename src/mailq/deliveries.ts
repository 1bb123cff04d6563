/**
 * Delivery analytics from the exim mainlog (eximstats' job, per remote host and recipient
 * domain): deliveries (=> and ->), deferrals (==), failures (**) and rejections, per hour, the
 * defer and bounce reasons grouped into categories, joined with the live queue per domain.
 * Counting follows eximstats where it has a table, so both give the same numbers:
 * - host is the H= value ("local" without one); `=>` counts a message and an address, `->` an
 *   address only;
 * - a rejection is a line without a delivery flag that says rejected/refused/dropped (plus the
 *   `=>` lines without T=, ACL discards), keyed by the [ip] of H= (or "Connection from [ip]",
 *   "SMTP call from ... [ip]"), temporary when exim says "temporarily";
 * - delayed / failed messages are messages whose arrival is in the log with at least one == / **.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { HostopsError } from '../lib/errors.js';
import {
  categorize,
  reasonOf,
  normalizeReason,
  CATEGORIES,
  type Category,
} from './deliveries-classify.js';
import type { QueueMessage } from './types.js';
import { own } from './mainlog-scan.js';

export interface DeliveriesOptions {
  logs: string[];
  /** "YYYY-MM-DD HH:MM:SS" in the log's local time: inclusive lower, exclusive upper bound. */
  since?: string;
  until?: string;
  queue?: QueueMessage[];
  top?: number;
}

export interface HostRow {
  host: string;
  ip?: string;
  delivered: number;
  addresses: number;
  deferred: number;
  failed: number;
}
export interface DomainRow {
  domain: string;
  delivered: number;
  deferred: number;
  failed: number;
  queued?: number;
  frozen?: number;
}
export interface RejectRow {
  ip: string;
  rejected: number;
  temporary: number;
}
export interface ReasonText {
  text: string;
  count: number;
  example: string;
}
export interface CategoryRow {
  category: Category;
  count: number;
  texts: ReasonText[];
}
export interface HourRow {
  hour: string;
  received: number;
  delivered: number;
  addresses: number;
  deferred: number;
  failed: number;
  rejected: number;
}

export interface DeliveriesReport {
  files: { path: string; lines: number; error?: string }[];
  window: { since?: string; until?: string; first?: string; last?: string };
  lines: number;
  totals: {
    received: number;
    /** `=>` lines (eximstats "Delivered" messages). */
    delivered: number;
    /** `=>` plus `->` lines (eximstats "Delivered" addresses). */
    addresses: number;
    deferrals: number;
    failures: number;
    /** Arrivals in the log with at least one deferral (eximstats "Delayed"). */
    delayedMessages: number;
    /** Arrivals in the log with at least one failure (eximstats "Had error"). */
    failedMessages: number;
    rejections: number;
    temporaryRejections: number;
  };
  hosts: HostRow[];
  domains: DomainRow[];
  rejectingIps: RejectRow[];
  deferReasons: CategoryRow[];
  bounceReasons: CategoryRow[];
  rejectReasons: ReasonText[];
  hourly: HourRow[];
  /** Queued messages per destination domain (when the queue was read), including domains without log lines. */
  queue?: { messages: number; frozen: number };
}

const HEAD = /^(\d{4}-\d\d-\d\d \d\d):\d\d:\d\d(?:\.\d+)?(?: [-+]\d{4})?(?: \[\d+\])? /;
const ID =
  /^(?:[0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}|[0-9A-Za-z]{6}-[0-9A-Za-z]{11}-[0-9A-Za-z]{4}) /;
const FLAGS = new Set(['<=', '=>', '->', '==', '**', '*>', '(=']);

/** eximstats' address of the peer of a rejection (or "local"). */
function ipOf(s: string): string {
  let m =
    /\bH=(?:|.*? )(\[[^\]]+\])/.exec(s) ??
    /Connection from (\[\S+\])/.exec(s) ??
    /SMTP call from .*?(\[\S+\])/.exec(s);
  if (m) return m[1];
  m = /^rejected [HE][HE]LO from .*?(\[.+?\]):/.exec(s);
  return m ? m[1] : 'local';
}

const isTemporary = (s: string) =>
  !/SpamAssassin/.test(s) &&
  (/temporarily rejected [A-Z]* .*?: /.test(s) ||
    /temporarily refused connection/.test(s) ||
    (!/local_scan.. function .* - message temporarily rejected/.test(s) &&
      /temporarily rejected connection in .*?ACL/.test(s)));

/** What was refused, without the peer: "rejected RCPT <a@b>: text" -> the text after the command. */
function rejectText(s: string): string {
  const m = /(?:rejected|refused|dropped)\b.*/.exec(s);
  let t = m ? m[0] : s;
  t = t
    .replace(
      /^rejected (?:RCPT|MAIL|EHLO|HELO|DATA|VRFY|EXPN|ETRN|AUTH)\b(?: <[^>]*>| from \S+(?: \[[^\]]+\])?)?: /,
      '',
    )
    .replace(/^rejected after DATA: /, '');
  return t;
}

const domainOfRcpt = (rest: string): string => {
  const sp = rest.indexOf(' ');
  let a = sp === -1 ? rest : rest.slice(0, sp);
  if (a.endsWith(':')) a = a.slice(0, -1);
  if (a.startsWith('/') || a.startsWith('|')) {
    const p = / <([^>]+)>/.exec(rest);
    if (p) a = p[1];
  }
  const at = a.lastIndexOf('@');
  return at === -1
    ? 'local'
    : a
        .slice(at + 1)
        .replace(/>$/, '')
        .toLowerCase();
};

interface Reasons {
  n: number;
  texts: Map<string, { count: number; example: string }>;
}

class Scanner {
  lines = 0;
  first?: string;
  last?: string;
  /** Messages in flight: bit 1 arrival seen, 2 counted as delayed, 4 counted as failed. Dropped at Completed. */
  msgs = new Map<string, number>();
  delayed = 0;
  failedMsgs = 0;
  t = {
    received: 0,
    delivered: 0,
    addresses: 0,
    deferrals: 0,
    failures: 0,
    rejections: 0,
    temporaryRejections: 0,
  };
  hosts = new Map<string, HostRow>();
  domains = new Map<string, DomainRow>();
  rejects = new Map<string, RejectRow>();
  defer = new Map<Category, Reasons>();
  bounce = new Map<Category, Reasons>();
  rejectTexts = new Map<string, { count: number; example: string }>();
  hourly = new Map<string, HourRow>();
  constructor(private o: DeliveriesOptions) {}

  /** Deliveries without H= are eximstats' "local"; deferrals and failures without one never reached a host. */
  private host(rest: string, none = 'local'): HostRow {
    const m = /\bH=(\S+)/.exec(rest);
    const key = m ? m[1] : none;
    let r = this.hosts.get(key);
    if (!r) {
      const ip = /\bH=\S+(?: \([^)]*\))? (\[[^\]]+\])/.exec(rest);
      r = {
        host: own(key),
        ip: ip ? own(ip[1].slice(1, -1)) : undefined,
        delivered: 0,
        addresses: 0,
        deferred: 0,
        failed: 0,
      };
      this.hosts.set(r.host, r);
    }
    return r;
  }
  private domain(rest: string): DomainRow {
    const d = domainOfRcpt(rest);
    let r = this.domains.get(d);
    if (!r) {
      r = { domain: own(d), delivered: 0, deferred: 0, failed: 0 };
      this.domains.set(r.domain, r);
    }
    return r;
  }
  private hour(h: string): HourRow {
    let r = this.hourly.get(h);
    if (!r) {
      r = {
        hour: own(h),
        received: 0,
        delivered: 0,
        addresses: 0,
        deferred: 0,
        failed: 0,
        rejected: 0,
      };
      this.hourly.set(r.hour, r);
    }
    return r;
  }
  private reason(m: Map<Category, Reasons>, text: string): void {
    const c = categorize(text);
    let r = m.get(c);
    if (!r) {
      r = { n: 0, texts: new Map() };
      m.set(c, r);
    }
    r.n++;
    bumpText(r.texts, text);
  }
  private reject(text: string, h: HourRow): void {
    const ip = ipOf(text);
    let r = this.rejects.get(ip);
    if (!r) {
      r = { ip: own(ip), rejected: 0, temporary: 0 };
      this.rejects.set(r.ip, r);
    }
    if (isTemporary(text)) {
      r.temporary++;
      this.t.temporaryRejections++;
    } else {
      r.rejected++;
      this.t.rejections++;
    }
    h.rejected++;
    bumpText(this.rejectTexts, rejectText(text));
  }

  line(l: string): void {
    this.lines++;
    const m = HEAD.exec(l);
    if (!m) return;
    const stamp = l.slice(0, 19);
    if (this.o.since && stamp < this.o.since) return;
    if (this.o.until && stamp >= this.o.until) return;
    if (this.first === undefined || stamp < this.first) this.first = stamp;
    if (this.last === undefined || stamp > this.last) this.last = stamp;
    let text = l.slice(m[0].length);
    const idm = ID.exec(text);
    const id = idm ? idm[0].slice(0, -1) : undefined;
    if (idm) text = text.slice(idm[0].length);
    const flag = idm && text.charCodeAt(2) === 32 ? text.slice(0, 2) : '';
    if (!FLAGS.has(flag)) {
      if (id && text.startsWith('Completed')) {
        this.msgs.delete(id);
        return;
      }
      if (/rejected|refused|dropped/.test(text)) this.reject(text, this.hour(m[1]));
      return;
    }
    const rest = text.slice(3);
    switch (flag) {
      case '<=':
        this.t.received++;
        this.msgs.set(own(id!), 1);
        this.hour(m[1]).received++;
        return;
      case '=>': {
        this.t.delivered++;
        this.t.addresses++;
        const h = this.host(rest);
        h.delivered++;
        h.addresses++;
        this.domain(rest).delivered++;
        const hr = this.hour(m[1]);
        hr.delivered++;
        hr.addresses++;
        if (!/\sT=\S+/.test(rest)) this.reject(rest, hr); // an ACL discard (=> blackhole), as eximstats counts it
        return;
      }
      case '->': {
        this.t.addresses++;
        this.host(rest).addresses++;
        this.domain(rest).delivered++;
        this.hour(m[1]).addresses++;
        return;
      }
      case '==':
        this.t.deferrals++;
        this.host(rest, '(no host)').deferred++;
        this.domain(rest).deferred++;
        this.hour(m[1]).deferred++;
        {
          const b = this.msgs.get(id!);
          if (b !== undefined && !(b & 2)) {
            this.delayed++;
            this.msgs.set(id!, b | 2);
          }
        }
        this.reason(this.defer, reasonOf(rest));
        return;
      case '**':
        this.t.failures++;
        this.host(rest, '(no host)').failed++;
        this.domain(rest).failed++;
        this.hour(m[1]).failed++;
        {
          const b = this.msgs.get(id!);
          if (b !== undefined && !(b & 4)) {
            this.failedMsgs++;
            this.msgs.set(id!, b | 4);
          }
        }
        this.reason(this.bounce, reasonOf(rest));
        return;
      default:
    }
  }
}

function bumpText(m: Map<string, { count: number; example: string }>, raw: string): void {
  const k = normalizeReason(raw);
  const r = m.get(k);
  if (r) r.count++;
  else m.set(own(k), { count: 1, example: own(raw.slice(0, 300)) });
}

const topTexts = (m: Map<string, { count: number; example: string }>, n: number): ReasonText[] =>
  [...m]
    .map(([text, v]) => ({ text, ...v }))
    .sort((a, b) => b.count - a.count || (a.text < b.text ? -1 : 1))
    .slice(0, n);

function categories(m: Map<Category, Reasons>, n: number): CategoryRow[] {
  return CATEGORIES.filter((c) => m.has(c))
    .map((c) => ({ category: c, count: m.get(c)!.n, texts: topTexts(m.get(c)!.texts, n) }))
    .sort((a, b) => b.count - a.count);
}

const CHUNK = 1 << 20;

/** Lines of a plain or gzipped log, in latin1 (every byte round-trips), chunked at newlines. */
async function feedFile(file: string, sc: Scanner): Promise<void> {
  const feed = (s: string) => {
    let p = 0;
    for (;;) {
      const nl = s.indexOf('\n', p);
      if (nl === -1) {
        if (p < s.length) sc.line(s.slice(p));
        return;
      }
      sc.line(s.slice(p, nl));
      p = nl + 1;
    }
  };
  const src = fs.createReadStream(file, { highWaterMark: CHUNK });
  const stream = file.endsWith('.gz') ? src.pipe(zlib.createGunzip()) : src;
  let carry = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const s = carry + chunk.toString('latin1');
    const nl = s.lastIndexOf('\n');
    if (nl === -1) {
      carry = s;
      continue;
    }
    feed(s.slice(0, nl));
    carry = s.slice(nl + 1);
  }
  if (carry) feed(carry);
}

export async function deliveries(o: DeliveriesOptions): Promise<DeliveriesReport> {
  const top = o.top ?? 10;
  if (o.logs.length === 0) {
    throw new HostopsError('MAILQ_NO_LOG', 'no exim mainlog found');
  }
  const sc = new Scanner(o);
  const files: DeliveriesReport['files'] = [];
  for (const f of o.logs) {
    const before = sc.lines;
    try {
      await feedFile(f, sc);
      files.push({ path: f, lines: sc.lines - before });
    } catch (e) {
      // a truncated .gz keeps what was read; the error is reported with the file
      files.push({ path: f, lines: sc.lines - before, error: (e as Error).message });
    }
  }
  if (files.every((f) => f.error && f.lines === 0)) {
    throw new HostopsError(
      'MAILQ_LOG_UNREADABLE',
      `cannot read the mainlog: ${files.map((f) => `${f.path}: ${f.error}`).join('; ')}`,
      { where: files[0]?.path },
    );
  }
  let queue: DeliveriesReport['queue'];
  if (o.queue) {
    queue = { messages: 0, frozen: 0 };
    for (const m of o.queue) {
      if (m.errorKind === 'envelope' || m.errorKind === 'read') continue;
      queue.messages++;
      if (m.frozen) queue.frozen++;
      const ds = new Set(
        m.recipients.filter((r) => !r.delivered).map((r) => domainOfRcpt(r.address)),
      );
      for (const d of ds) {
        let r = sc.domains.get(d);
        if (!r) {
          r = { domain: d, delivered: 0, deferred: 0, failed: 0 };
          sc.domains.set(d, r);
        }
        r.queued = (r.queued ?? 0) + 1;
        if (m.frozen) r.frozen = (r.frozen ?? 0) + 1;
      }
    }
    for (const r of sc.domains.values()) {
      r.queued ??= 0;
      r.frozen ??= 0;
    }
  }
  const trouble = (r: { deferred: number; failed: number; delivered: number }) =>
    r.deferred + r.failed;
  return {
    files,
    window: { since: o.since, until: o.until, first: sc.first, last: sc.last },
    lines: sc.lines,
    totals: { ...sc.t, delayedMessages: sc.delayed, failedMessages: sc.failedMsgs },
    hosts: [...sc.hosts.values()].sort(
      (a, b) => trouble(b) - trouble(a) || b.delivered - a.delivered || (a.host < b.host ? -1 : 1),
    ),
    domains: [...sc.domains.values()].sort(
      (a, b) =>
        trouble(b) - trouble(a) ||
        (b.queued ?? 0) - (a.queued ?? 0) ||
        b.delivered - a.delivered ||
        (a.domain < b.domain ? -1 : 1),
    ),
    rejectingIps: [...sc.rejects.values()].sort(
      (a, b) => b.rejected + b.temporary - a.rejected - a.temporary || (a.ip < b.ip ? -1 : 1),
    ),
    deferReasons: categories(sc.defer, top),
    bounceReasons: categories(sc.bounce, top),
    rejectReasons: topTexts(sc.rejectTexts, top),
    hourly: [...sc.hourly.values()].sort((a, b) => (a.hour < b.hour ? -1 : 1)),
    queue,
  };
}
