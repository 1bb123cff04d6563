/**
 * Message selection shared by list/count/rm/freeze/thaw/deliver. A Selection is plain data (it
 * crosses to the spool-reading worker threads); compileSelection turns it into a predicate.
 * All criteria are ANDed.
 */
import { usageError } from '../lib/errors.js';
import type { QueueMessage } from './types.js';
import { formatSize } from './bp-format.js';

export interface Selection {
  /** Regex (case-insensitive) on the sender in angle brackets, as exiqgrep -f: `^<>$` = bounces. */
  sender?: string;
  /** Regex (case-insensitive) on any undelivered recipient (exiqgrep -r). */
  recipient?: string;
  /** Regex on the exim -bp size text without padding, e.g. `M$` (exiqgrep -s). */
  sizeText?: string;
  minSize?: number;
  maxSize?: number;
  /** Seconds since the -H received time. */
  olderThan?: number;
  youngerThan?: number;
  frozen?: boolean;
  bounces?: boolean;
  /** Regex (case-insensitive) on the Subject header. */
  subject?: string;
  /** Regex (case-insensitive, multiline) tested against every header line (`Name: value`). */
  header?: string;
  /** Regex (case-insensitive) on the SMTP AUTH id (-auth_id). */
  authUser?: string;
  /** Regex (case-insensitive) on the X-PHP-Script value's `host/path` part. */
  script?: string;
  /** Exact domain (case-insensitive) of the X-PHP-Script value. */
  scriptDomain?: string;
  /** Exact login that submitted the message (-H line 2, the U= of local submissions). */
  localUser?: string;
  /** Only these message ids. */
  ids?: string[];
}

/** No envelope known: the -H file could not be read, or not parsed as far as the recipients. */
export const isUnreadable = (m: Pick<QueueMessage, 'errorKind'>): boolean => m.errorKind === 'envelope' || m.errorKind === 'read';

export type Predicate = (m: QueueMessage, headers: string, now: number) => boolean;

/** True when the selection needs the raw header text (only the any-header regex does). */
export const needsHeaders = (s: Selection): boolean => s.header !== undefined;

/** True when the selection reads a decoded header value (Subject, X-PHP-Script). */
export const needsFields = (s: Selection): boolean => s.subject !== undefined || s.script !== undefined || s.scriptDomain !== undefined;

export function isEmptySelection(s: Selection): boolean {
  return Object.values(s).every((v) => v === undefined);
}

function re(src: string, what: string, flags = 'i'): RegExp {
  try {
    return new RegExp(src, flags);
  } catch (e) {
    throw usageError('MAILQ_BAD_REGEX', `invalid ${what} regular expression ${JSON.stringify(src)}: ${(e as Error).message}`);
  }
}

/** The `host/path` part of an X-PHP-Script header (`host/path for client-ip`). */
export function scriptOf(m: QueueMessage): string | undefined {
  if (!m.phpScript) return undefined;
  const i = m.phpScript.indexOf(' for ');
  return i === -1 ? m.phpScript : m.phpScript.slice(0, i);
}

export function scriptDomainOf(m: QueueMessage): string | undefined {
  const s = scriptOf(m);
  if (!s) return undefined;
  const i = s.indexOf('/');
  return (i === -1 ? s : s.slice(0, i)).toLowerCase();
}

export function compileSelection(s: Selection): Predicate {
  const tests: Predicate[] = [];
  if (s.ids) {
    const set = new Set(s.ids);
    tests.push((m) => set.has(m.id));
  }
  if (s.sender !== undefined) {
    const r = re(s.sender, 'sender');
    tests.push((m) => m.errorKind !== 'envelope' && m.errorKind !== 'read' && r.test('<' + m.sender + '>'));
  }
  if (s.recipient !== undefined) {
    const r = re(s.recipient, 'recipient');
    // rows of the queue index carry just the undelivered addresses (no objects to build)
    tests.push((m) => {
      const u = (m as { undelivered?: string[] }).undelivered;
      return u !== undefined ? u.some((a) => r.test(a)) : m.recipients.some((x) => !x.delivered && r.test(x.address));
    });
  }
  if (s.sizeText !== undefined) {
    const r = re(s.sizeText, 'size', '');
    tests.push((m) => r.test(formatSize(m.size).trim()));
  }
  if (s.minSize !== undefined) { const v = s.minSize; tests.push((m) => m.size >= v); }
  if (s.maxSize !== undefined) { const v = s.maxSize; tests.push((m) => m.size <= v); }
  if (s.olderThan !== undefined) { const v = s.olderThan; tests.push((m, _h, now) => m.time > 0 && now - m.time > v); }
  if (s.youngerThan !== undefined) { const v = s.youngerThan; tests.push((m, _h, now) => m.time > 0 && now - m.time < v); }
  if (s.frozen !== undefined) { const v = s.frozen; tests.push((m) => m.frozen === v); }
  if (s.bounces !== undefined) {
    const v = s.bounces;
    tests.push((m) => (m.errorKind !== 'envelope' && m.errorKind !== 'read' && m.sender === '') === v);
  }
  if (s.subject !== undefined) { const r = re(s.subject, 'subject'); tests.push((m) => m.subject !== undefined && r.test(m.subject)); }
  if (s.header !== undefined) {
    const r = re(s.header, 'header', 'im');
    tests.push((_m, h) => r.test(h));
  }
  if (s.authUser !== undefined) { const r = re(s.authUser, 'auth user'); tests.push((m) => m.authId !== undefined && r.test(m.authId)); }
  if (s.script !== undefined) {
    const r = re(s.script, 'script');
    tests.push((m) => { const x = scriptOf(m); return x !== undefined && r.test(x); });
  }
  if (s.scriptDomain !== undefined) {
    const d = s.scriptDomain.toLowerCase();
    tests.push((m) => scriptDomainOf(m) === d);
  }
  if (s.localUser !== undefined) { const u = s.localUser; tests.push((m) => m.login === u); }
  if (tests.length === 0) return () => true;
  // a message whose -H could not be read has no envelope: its size 0, frozen=false and empty
  // sender are placeholders, so no envelope criterion matches it (only its id does)
  if (tests.length > (s.ids ? 1 : 0)) return (m, h, now) => !isUnreadable(m) && tests.every((t) => t(m, h, now));
  return (m, h, now) => tests.every((t) => t(m, h, now));
}

/** Escape a literal for use inside a selection regex (for printed `hostops mailq rm` commands). */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
