/**
 * The "what is spamming from my server" report: mainlog arrivals by cwd (scripts), SMTP AUTH
 * user, local user, sender, sender domain and client IP, per hour, joined with the live queue
 * so each source shows how many of its messages are queued now and the selection that
 * removes them.
 */
import fs from 'node:fs';
import os from 'node:os';
import { newWorker } from './worker.js';
import { HostopsError } from '../lib/errors.js';
import {
  newState,
  mergeState,
  type ScanOptions,
  type ScanState,
  type Count,
} from './mainlog-scan.js';
import { scanRange, scanGzip, combineRanges, lineStartAfter } from './mainlog-read.js';
import { escapeRegex, scriptOf } from './select.js';
import type { QueueMessage } from './types.js';

export interface SourcesOptions {
  logs: string[];
  since?: Date;
  until?: Date;
  queue?: QueueMessage[];
  /** cwd prefixes treated as exim's own re-executions (default: the Debian and cPanel spools). */
  spoolDirs?: string[];
  top?: number;
  /** Worker threads for large plain files (0 = this thread only). */
  workers?: number;
  /** Only the cwd= (scripts) report: arrivals are not parsed, which is much faster. */
  scriptsOnly?: boolean;
}

export interface SourceRow {
  key: string;
  messages: number;
  recipients: number;
  /** Messages on the queue now that belong to this source (when a queue was given). */
  queued?: number;
  /** The hostops command that selects those queued messages. */
  select?: string;
}

export interface ScriptRow {
  cwd: string;
  invocations: number;
  submissions: number;
  admin: number;
  /** Owner guessed from /home/<user>/ (cPanel and most panels run PHP as the site user). */
  user?: string;
  queued?: number;
  select?: string;
}

export interface SourcesReport {
  files: { path: string; lines: number; garbage: number; error?: string }[];
  window: { since?: string; until?: string; first?: string; last?: string };
  lines: number;
  messages: number;
  recipients: number;
  /** Arrival lines without a recipient list (+received_recipients off). */
  unknownRecipients: number;
  /** Arrivals by unauthenticated SMTP from other hosts: inbound mail, not counted per sender. */
  inbound: number;
  /** False when no cwd= line was seen: the `arguments` log selector is off. */
  argumentsLogging: boolean;
  argumentsHint?: string;
  spoolReexecs: number;
  scripts: ScriptRow[];
  authUsers: SourceRow[];
  localUsers: SourceRow[];
  senders: SourceRow[];
  senderDomains: SourceRow[];
  clientIps: SourceRow[];
  /** Unauthenticated SMTP clients (inbound mail, or relaying allowed by IP). */
  smtpIps: SourceRow[];
  /** Queued messages by X-PHP-Script (from the queue, not the log). */
  queuedScripts: SourceRow[];
  hourly: { hour: string; messages: number; recipients: number }[];
  garbage: number;
  garbageSamples: { file: string; line: number; text: string }[];
  /** cwd= lines cut off before ` N args:` (not counted as script directories); first 20 listed. */
  truncated: number;
  truncatedSamples: { file: string; line: number; text: string }[];
}

export const ARGUMENTS_HINT =
  'no cwd= lines found: the `arguments` log selector is off (Debian default), so ' +
  'scripts cannot be traced. Debian: add `MAIN_LOG_SELECTOR = +arguments +subject +received_recipients` to ' +
  '/etc/exim4/exim4.conf.localmacros (or log_selector in the main section), run update-exim4.conf and restart exim4. ' +
  'cPanel: it is on by default (WHM > Exim Configuration Manager keeps +arguments).';

const pad2 = (n: number) => String(n).padStart(2, '0');
/** The log's own notation: local time "YYYY-MM-DD HH:MM:SS". */
export function logStamp(d: Date): string {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

const WORKER_MIN_BYTES = 32 * 1024 * 1024;

function workerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./mainlog-worker${ext}`, import.meta.url);
}

function runWorker(file: string, start: number, end: number, o: ScanOptions): Promise<ScanState> {
  return new Promise((resolve, reject) => {
    const w = newWorker(workerUrl());
    w.once('message', (r: { ok?: ScanState; error?: string }) => {
      void w.terminate();
      if (r.ok) resolve(r.ok);
      else reject(new Error(r.error));
    });
    w.once('error', reject);
    w.postMessage({ file, start, end, o });
  });
}

async function scanFile(file: string, o: ScanOptions, workers: number): Promise<ScanState> {
  if (file.endsWith('.gz')) return scanGzip(file, o);
  const size = fs.statSync(file).size;
  const n = size < WORKER_MIN_BYTES ? 0 : Math.min(workers, Math.ceil(size / WORKER_MIN_BYTES));
  if (n <= 1) return scanRange(file, 0, size, o);
  const fd = fs.openSync(file, 'r');
  const bounds = [0];
  try {
    for (let i = 1; i < n; i++) bounds.push(lineStartAfter(fd, Math.floor((size * i) / n), size));
  } finally {
    fs.closeSync(fd);
  }
  bounds.push(size);
  // this thread scans the first range itself while the workers start and scan the others
  const others = Promise.all(
    bounds.slice(1, -1).map((b, i) => runWorker(file, b, bounds[i + 2], o)),
  );
  const first = scanRange(file, bounds[0], bounds[1], o);
  return combineRanges([first, ...(await others)]);
}

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const domainOf = (a: string) => {
  const i = a.lastIndexOf('@');
  return i === -1 ? a : a.slice(i + 1).toLowerCase();
};

/** The n largest rows by messages, then recipients, then key; one pass, no full sort. */
function topRows(m: Map<string, Count>, n: number): SourceRow[] {
  const better = (a: SourceRow, b: SourceRow) =>
    a.messages - b.messages ||
    a.recipients - b.recipients ||
    (a.key < b.key ? 1 : a.key > b.key ? -1 : 0);
  const out: SourceRow[] = [];
  for (const [key, c] of m) {
    if (
      out.length === n &&
      (c.messages < out[n - 1].messages ||
        (c.messages === out[n - 1].messages && c.recipients < out[n - 1].recipients))
    )
      continue;
    const row = { key, messages: c.messages, recipients: c.recipients };
    let i = out.length;
    while (i > 0 && better(row, out[i - 1]) > 0) i--;
    if (i < n) {
      out.splice(i, 0, row);
      if (out.length > n) out.pop();
    }
  }
  return out;
}

function countBy(
  queue: QueueMessage[],
  key: (m: QueueMessage) => string | undefined,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of queue) {
    if (m.errorKind === 'envelope' || m.errorKind === 'read') continue;
    const k = key(m);
    if (k !== undefined) out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

export async function sources(opts: SourcesOptions): Promise<SourcesReport> {
  const top = opts.top ?? 10;
  const o: ScanOptions = {
    since: opts.since ? logStamp(opts.since) : undefined,
    until: opts.until ? logStamp(opts.until) : undefined,
    spoolDirs: opts.spoolDirs ?? ['/var/spool/exim4', '/var/spool/exim'],
    scriptsOnly: opts.scriptsOnly,
  };
  const workers = opts.workers ?? Math.min(4, os.availableParallelism());
  const total = newState();
  const files: SourcesReport['files'] = [];
  const samples: SourcesReport['garbageSamples'] = [];
  const cut: SourcesReport['truncatedSamples'] = [];
  if (opts.logs.length === 0) {
    throw new HostopsError('MAILQ_NO_LOG', 'no exim mainlog found');
  }
  for (const f of opts.logs) {
    let st: ScanState;
    try {
      st = await scanFile(f, o, workers);
    } catch (e) {
      files.push({ path: f, lines: 0, garbage: 0, error: (e as Error).message });
      continue;
    }
    files.push({ path: f, lines: st.lines, garbage: st.garbage });
    for (const g of st.garbageSamples)
      if (samples.length < 20) samples.push({ file: f, line: g.line, text: g.text });
    st.garbageSamples = [];
    for (const g of st.truncatedSamples)
      if (cut.length < 20) cut.push({ file: f, line: g.line, text: g.text });
    st.truncatedSamples = [];
    mergeState(total, st);
  }
  if (files.every((f) => f.error)) {
    throw new HostopsError(
      'MAILQ_LOG_UNREADABLE',
      `cannot read the mainlog: ${files.map((f) => `${f.path}: ${f.error}`).join('; ')}`,
      { where: files[0]?.path },
    );
  }

  const q = opts.queue;
  const byAuth = q && countBy(q, (m) => m.authId);
  const byLogin = q && countBy(q, (m) => (m.authId ? undefined : m.login));
  const bySender = q && countBy(q, (m) => m.sender);
  const bySenderDomain = q && countBy(q, (m) => (m.sender === '' ? '<>' : domainOf(m.sender)));
  const byScript = q && countBy(q, (m) => scriptOf(m));
  const join = (
    rows: SourceRow[],
    counts: Map<string, number> | undefined,
    cmd: (k: string) => string,
  ) => {
    if (!counts) return rows;
    for (const r of rows) {
      r.queued = counts.get(r.key) ?? 0;
      if (r.queued) r.select = cmd(r.key);
    }
    return rows;
  };
  const senders = topRows(total.senders, top).map((r) => ({
    ...r,
    key: r.key === '<>' ? '' : r.key,
  }));
  const senderDomains = new Map<string, Count>();
  for (const [k, c] of total.senders) {
    const d = k === '<>' ? '<>' : domainOf(k);
    const x = senderDomains.get(d);
    if (x) {
      x.messages += c.messages;
      x.recipients += c.recipients;
    } else senderDomains.set(d, { ...c });
  }
  const scripts: ScriptRow[] = [...total.cwds]
    .map(([cwd, c]) => {
      const m = /^\/home\d*\/([^/]+)/.exec(cwd);
      return { cwd, ...c, user: m?.[1] };
    })
    .sort(
      (a, b) =>
        b.submissions - a.submissions || b.invocations - a.invocations || (a.cwd < b.cwd ? -1 : 1),
    )
    .slice(0, top);
  if (byLogin) {
    for (const s of scripts) {
      if (!s.user) continue;
      s.queued = byLogin.get(s.user) ?? 0;
      if (s.queued) s.select = `hostops mailq rm --local-user ${quote(s.user)}`;
    }
  }
  const queuedScripts: SourceRow[] = byScript
    ? [...byScript]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([key, n]) => ({
          key,
          messages: 0,
          recipients: 0,
          queued: n,
          select: `hostops mailq rm --script ${quote('^' + escapeRegex(key) + '$')}`,
        }))
    : [];
  return {
    files,
    window: { since: o.since, until: o.until, first: total.first, last: total.last },
    lines: total.lines,
    messages: total.messages,
    recipients: total.recipients,
    unknownRecipients: total.unknownRecipients,
    inbound: total.inbound,
    argumentsLogging: total.cwdLines > 0,
    argumentsHint: total.cwdLines > 0 ? undefined : ARGUMENTS_HINT,
    spoolReexecs: total.spoolCwdLines,
    scripts,
    authUsers: join(
      topRows(total.authUsers, top),
      byAuth,
      (k) => `hostops mailq rm --auth ${quote('^' + escapeRegex(k) + '$')}`,
    ),
    localUsers: join(
      topRows(total.localUsers, top),
      byLogin,
      (k) => `hostops mailq rm --local-user ${quote(k)}`,
    ),
    senders: join(
      senders,
      bySender,
      (k) => `hostops mailq rm -f ${quote('^<' + escapeRegex(k) + '>$')}`,
    ),
    senderDomains: join(topRows(senderDomains, top), bySenderDomain, (k) =>
      k === '<>'
        ? 'hostops mailq rm --bounces'
        : `hostops mailq rm -f ${quote('@' + escapeRegex(k) + '>$')}`,
    ),
    clientIps: topRows(total.clientIps, top),
    smtpIps: topRows(total.smtpIps, top),
    queuedScripts,
    hourly: [...total.hourly]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([hour, c]) => ({ hour, ...c })),
    garbage: total.garbage,
    garbageSamples: samples,
    truncated: total.truncated,
    truncatedSamples: cut,
  };
}
