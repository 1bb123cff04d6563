/**
 * Mail queue contract: a sample (counts, sizes, top senders) and message removal. The fallback
 * reads `exim -bp` and removes with `exim -Mrm <ids>` (argv only, ids validated first).
 */
import { existsSync } from 'node:fs';
import { usageError } from '../../lib/errors.js';
import { run } from './run.js';

export interface MailqMessageLite { id: string; age: number; size: number; sender: string; frozen: boolean; recipients: string[] }
export interface MailqSnapshot {
  messages: number;
  frozen: number;
  bytes: number;
  oldestAge: number | null;
  topSenders: { sender: string; messages: number; bytes: number }[];
  topDomains: { domain: string; messages: number }[];
  frozenIds: string[];
}

export interface MailqSource {
  readonly name: string;
  available(): Promise<boolean>;
  sample(signal?: AbortSignal): Promise<MailqSnapshot>;
  remove(ids: string[]): Promise<{ removed: string[]; failed: { id: string; error: string }[] }>;
  /** Who is sending (auth users, scripts, local users) over the last `since` seconds, when the source can tell. */
  sources?(since: number, signal?: AbortSignal): Promise<SpamSources>;
}

export interface SpamSources { messages: number; note?: string; top: { source: string; kind: string; messages: number; queued?: number }[] }

export const EXIM_ID = /^[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}$/;

const SIZE_MULT: Record<string, number> = { K: 1024, M: 1024 * 1024, G: 1024 ** 3 };
const AGE_MULT: Record<string, number> = { m: 60, h: 3600, d: 86400 };

/** Parse `exim -bp` output (format facts: docs reference exim.md §1). */
export function parseEximBp(text: string): MailqMessageLite[] {
  const out: MailqMessageLite[] = [];
  let cur: MailqMessageLite | null = null;
  for (const line of text.split('\n')) {
    const h = /^\s*(\d+)([mhd]) +(\S+) (\S+) <(.*?)>(?: \((\S+)\))?( \*\*\* frozen \*\*\*)?$/.exec(line);
    if (h) {
      const sm = /^([\d.]+)([KMG])?$/.exec(h[3]);
      cur = { id: h[4], age: Number(h[1]) * AGE_MULT[h[2]], size: sm ? Math.round(Number(sm[1]) * (sm[2] ? SIZE_MULT[sm[2]] : 1)) : 0,
        sender: h[5] || '<>', frozen: Boolean(h[7]), recipients: [] };
      out.push(cur);
      continue;
    }
    const r = /^ {8}([D ]) (.+)$/.exec(line);
    if (r && cur && r[1] === ' ') cur.recipients.push(r[2].trim());
  }
  return out;
}

export function snapshotOf(msgs: { id: string; age: number; size: number; sender: string; frozen: boolean; recipients: string[] }[]): MailqSnapshot {
  const senders = new Map<string, { messages: number; bytes: number }>();
  const domains = new Map<string, number>();
  for (const m of msgs) {
    const s = senders.get(m.sender) ?? { messages: 0, bytes: 0 };
    s.messages++; s.bytes += m.size; senders.set(m.sender, s);
    for (const r of m.recipients) { const d = r.split('@').pop()?.toLowerCase() ?? r; domains.set(d, (domains.get(d) ?? 0) + 1); }
  }
  return {
    messages: msgs.length,
    frozen: msgs.filter((m) => m.frozen).length,
    bytes: msgs.reduce((a, m) => a + m.size, 0),
    oldestAge: msgs.length ? Math.max(...msgs.map((m) => m.age)) : null,
    topSenders: [...senders].map(([sender, v]) => ({ sender, ...v })).sort((a, b) => b.messages - a.messages).slice(0, 10),
    topDomains: [...domains].map(([domain, messages]) => ({ domain, messages })).sort((a, b) => b.messages - a.messages).slice(0, 10),
    frozenIds: msgs.filter((m) => m.frozen).map((m) => m.id).slice(0, 200),
  };
}

export function eximBpSource(opts: { bin?: string; spool?: string } = {}): MailqSource {
  const bin = opts.bin ?? 'exim';
  const spool = opts.spool ?? '/var/spool/exim4';
  return {
    name: 'exim -bp',
    async available() { return existsSync(`${spool}/input`); },
    async sample(signal) {
      const r = await run([bin, '-bp'], { timeoutMs: 60_000, signal });
      if (r.code !== 0) throw new Error(`exim -bp failed: ${r.stderr.trim() || `exit ${r.code}`}`);
      return snapshotOf(parseEximBp(r.stdout));
    },
    async remove(ids) {
      const bad = ids.filter((id) => !EXIM_ID.test(id));
      if (bad.length) throw usageError('MAILQ_BAD_ID', `not an Exim message id: ${JSON.stringify(bad[0])}`);
      const removed: string[] = []; const failed: { id: string; error: string }[] = [];
      for (const id of ids) {
        const r = await run([bin, '-Mrm', id], { timeoutMs: 30_000 });
        if (r.code === 0) removed.push(id); else failed.push({ id, error: (r.stderr || r.stdout).trim().split('\n')[0] });
      }
      return { removed, failed };
    },
  };
}
