/**
 * Queue summary: exiqsumm's per-domain table, but counted per message (a message with three
 * recipients at one domain counts once there), plus top senders, AUTH users, scripts and local
 * users. Delivered recipients are left out, as exiqsumm does.
 */
import type { QueueMessage } from './types.js';
import { scriptOf } from './select.js';
import { formatAge } from './bp-format.js';

export interface DomainRow {
  domain: string;
  count: number;
  volume: number;
  /** Received time of the oldest and newest message (epoch s). */
  oldest: number;
  newest: number;
}

export interface TopRow {
  key: string;
  count: number;
  volume: number;
}

export interface QueueSummary {
  messages: number;
  volume: number;
  frozen: number;
  bounces: number;
  errors: number;
  oldest: number | null;
  newest: number | null;
  domains: DomainRow[];
  senders: TopRow[];
  senderDomains: TopRow[];
  authUsers: TopRow[];
  scripts: TopRow[];
  localUsers: TopRow[];
}

export interface SummaryOptions {
  /** Rows kept in each top list (default 10). */
  top?: number;
}

function domainOf(addr: string): string {
  const at = addr.lastIndexOf('@');
  return (at === -1 ? '' : addr.slice(at + 1)).toLowerCase();
}

class Counter {
  private m = new Map<string, TopRow>();
  add(key: string | undefined, volume: number): void {
    if (key === undefined) return;
    const r = this.m.get(key);
    if (r) {
      r.count++;
      r.volume += volume;
    } else this.m.set(key, { key, count: 1, volume });
  }
  top(n: number): TopRow[] {
    return [...this.m.values()]
      .sort((a, b) => b.count - a.count || b.volume - a.volume || (a.key < b.key ? -1 : 1))
      .slice(0, n);
  }
}

export function summarize(messages: QueueMessage[], opts: SummaryOptions = {}): QueueSummary {
  const top = opts.top ?? 10;
  const domains = new Map<string, DomainRow>();
  const senders = new Counter();
  const senderDomains = new Counter();
  const auth = new Counter();
  const scripts = new Counter();
  const users = new Counter();
  const s: QueueSummary = {
    messages: 0,
    volume: 0,
    frozen: 0,
    bounces: 0,
    errors: 0,
    oldest: null,
    newest: null,
    domains: [],
    senders: [],
    senderDomains: [],
    authUsers: [],
    scripts: [],
    localUsers: [],
  };
  for (const m of messages) {
    s.messages++;
    if (m.errorKind === 'envelope' || m.errorKind === 'read') {
      s.errors++;
      continue;
    }
    if (m.errorKind) s.errors++;
    s.volume += m.size;
    if (m.frozen) s.frozen++;
    if (m.sender === '') s.bounces++;
    if (s.oldest === null || m.time < s.oldest) s.oldest = m.time;
    if (s.newest === null || m.time > s.newest) s.newest = m.time;
    const seen = new Set<string>();
    for (const r of m.recipients) {
      if (r.delivered) continue;
      const d = domainOf(r.address);
      if (seen.has(d)) continue;
      seen.add(d);
      const row = domains.get(d);
      if (row) {
        row.count++;
        row.volume += m.size;
        if (m.time < row.oldest) row.oldest = m.time;
        if (m.time > row.newest) row.newest = m.time;
      } else
        domains.set(d, { domain: d, count: 1, volume: m.size, oldest: m.time, newest: m.time });
    }
    senders.add(m.sender === '' ? '<>' : m.sender.toLowerCase(), m.size);
    senderDomains.add(m.sender === '' ? '<>' : domainOf(m.sender), m.size);
    auth.add(m.authId, m.size);
    scripts.add(scriptOf(m), m.size);
    if (!m.authId && (m.protocol === 'local' || m.protocol === undefined) && m.login)
      users.add(m.login, m.size);
  }
  s.domains = [...domains.values()].sort((a, b) =>
    a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0,
  );
  s.senders = senders.top(top);
  s.senderDomains = senderDomains.top(top);
  s.authUsers = auth.top(top);
  s.scripts = scripts.top(top);
  s.localUsers = users.top(top);
  return s;
}

/** exiqsumm's volume column. */
export function formatVolume(x: number): string {
  if (x < 10000) return String(x).padStart(6, ' ');
  if (x < 10000000) return String(Math.trunc((x + 512) / 1024)).padStart(4, ' ') + 'KB';
  return String(Math.trunc((x + 512 * 1024) / (1024 * 1024))).padStart(4, ' ') + 'MB';
}

const age = (now: number, t: number) => formatAge(now - t).trim();

/** Text report: the exiqsumm table (sorted by domain, or by count with sort='count'), then top lists. */
export function formatSummary(
  s: QueueSummary,
  now: number,
  sort: 'domain' | 'count' | 'age' = 'domain',
): string {
  const rows = [...s.domains];
  if (sort === 'count') rows.sort((a, b) => b.count - a.count);
  if (sort === 'age') rows.sort((a, b) => a.oldest - b.oldest);
  let out = '\nCount  Volume  Oldest  Newest  Domain\n-----  ------  ------  ------  ------\n\n';
  for (const r of rows) {
    out += `${String(r.count).padStart(5)}  ${formatVolume(r.volume).slice(0, 6)}  ${age(now, r.oldest).padStart(6)}  ${age(now, r.newest).padStart(6)}  ${r.domain.slice(0, 80)}\n`;
  }
  out += '-'.repeat(63) + '\n';
  out += `${String(s.messages).padStart(5)}  ${formatVolume(s.volume).slice(0, 6)}  ${(s.oldest === null ? '0m' : age(now, s.oldest)).padStart(6)}  ${(s.newest === null ? '0m' : age(now, s.newest)).padStart(6)}  TOTAL\n`;
  out += `\n${s.messages} messages, ${s.frozen} frozen, ${s.bounces} bounces${s.errors ? `, ${s.errors} unreadable` : ''}\n`;
  const section = (title: string, list: { key: string; count: number; volume: number }[]) => {
    if (!list.length) return;
    out += `\n${title}\n`;
    for (const r of list)
      out += `${String(r.count).padStart(7)}  ${formatVolume(r.volume)}  ${r.key}\n`;
  };
  section('Top senders', s.senders);
  section('Top sender domains', s.senderDomains);
  section('Top SMTP AUTH users', s.authUsers);
  section('Top scripts (X-PHP-Script)', s.scripts);
  section('Top local users', s.localUsers);
  return out;
}
