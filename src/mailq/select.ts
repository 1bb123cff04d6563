/**
 * Message selection shared by list/count/rm/freeze/thaw/deliver. A Selection is plain data (it
 * crosses to the spool-reading worker threads); compileSelection turns it into a predicate.
 * All criteria are ANDed, unless `or` (exipick's --or); `not` (exipick's --not) negates each one.
 */
import { usageError } from '../lib/errors.js';
import {
  parseCriterion,
  criterionNeedsHeaders,
  criterionIndexable,
  type Criterion,
} from './exipick-expr.js';
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
  /** Only these message ids (always ANDed with the rest, also under `or`). */
  ids?: string[];
  /** exipick criteria (`$sender_address =~ /x/`, `!$deliver_freeze`, `$message_age > 1h`). */
  where?: string[];
  /** exipick --or: a message matches when any criterion does (flags included). */
  or?: boolean;
  /** exipick --not: every criterion negated. */
  not?: boolean;
  /** exipick --caseful: the bare `=` operator respects case. */
  caseful?: boolean;
}

const criteria = (s: Selection): Criterion[] =>
  (s.where ?? []).map((w) => parseCriterion(w, { negateAll: s.not, caseful: s.caseful }));

/** No envelope known: the -H file could not be read, or not parsed as far as the recipients. */
export const isUnreadable = (m: Pick<QueueMessage, 'errorKind'>): boolean =>
  m.errorKind === 'envelope' || m.errorKind === 'read';

export type Predicate = (m: QueueMessage, headers: string, now: number) => boolean;

/** True when the selection needs the raw header text (only the any-header regex does). */
export const needsHeaders = (s: Selection): boolean =>
  s.header !== undefined ||
  (s.where !== undefined && criteria(s).some((c) => criterionNeedsHeaders(c.variable)));

/** True when the queue index's envelope columns can answer every criterion of the selection. */
export const indexAnswers = (s: Selection): boolean =>
  !needsHeaders(s) && !needsFields(s) && criteria(s).every(criterionIndexable);

/** True when the selection reads a decoded header value (Subject, X-PHP-Script). */
export const needsFields = (s: Selection): boolean =>
  s.subject !== undefined || s.script !== undefined || s.scriptDomain !== undefined;

export function isEmptySelection(s: Selection): boolean {
  return Object.entries(s).every(
    ([k, v]) =>
      v === undefined ||
      ((k === 'or' || k === 'not' || k === 'caseful') && !v) ||
      (k === 'where' && !(v as string[]).length),
  );
}

function re(src: string, what: string, flags = 'i'): RegExp {
  try {
    return new RegExp(src, flags);
  } catch (e) {
    throw usageError(
      'MAILQ_BAD_REGEX',
      `invalid ${what} regular expression ${JSON.stringify(src)}: ${(e as Error).message}`,
    );
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
  const idSet = s.ids ? new Set(s.ids) : undefined;
  if (s.sender !== undefined) {
    const r = re(s.sender, 'sender');
    tests.push(
      (m) => m.errorKind !== 'envelope' && m.errorKind !== 'read' && r.test('<' + m.sender + '>'),
    );
  }
  if (s.recipient !== undefined) {
    const r = re(s.recipient, 'recipient');
    // rows of the queue index carry just the undelivered addresses (no objects to build)
    tests.push((m) => {
      const u = (m as { undelivered?: string[] }).undelivered;
      return u !== undefined
        ? u.some((a) => r.test(a))
        : m.recipients.some((x) => !x.delivered && r.test(x.address));
    });
  }
  if (s.sizeText !== undefined) {
    const r = re(s.sizeText, 'size', '');
    tests.push((m) => r.test(formatSize(m.size).trim()));
  }
  if (s.minSize !== undefined) {
    const v = s.minSize;
    tests.push((m) => m.size >= v);
  }
  if (s.maxSize !== undefined) {
    const v = s.maxSize;
    tests.push((m) => m.size <= v);
  }
  if (s.olderThan !== undefined) {
    const v = s.olderThan;
    tests.push((m, _h, now) => m.time > 0 && now - m.time > v);
  }
  if (s.youngerThan !== undefined) {
    const v = s.youngerThan;
    tests.push((m, _h, now) => m.time > 0 && now - m.time < v);
  }
  if (s.frozen !== undefined) {
    const v = s.frozen;
    tests.push((m) => m.frozen === v);
  }
  if (s.bounces !== undefined) {
    const v = s.bounces;
    tests.push(
      (m) => (m.errorKind !== 'envelope' && m.errorKind !== 'read' && m.sender === '') === v,
    );
  }
  if (s.subject !== undefined) {
    const r = re(s.subject, 'subject');
    tests.push((m) => m.subject !== undefined && r.test(m.subject));
  }
  if (s.header !== undefined) {
    const r = re(s.header, 'header', 'im');
    tests.push((_m, h) => r.test(h));
  }
  if (s.authUser !== undefined) {
    const r = re(s.authUser, 'auth user');
    tests.push((m) => m.authId !== undefined && r.test(m.authId));
  }
  if (s.script !== undefined) {
    const r = re(s.script, 'script');
    tests.push((m) => {
      const x = scriptOf(m);
      return x !== undefined && r.test(x);
    });
  }
  if (s.scriptDomain !== undefined) {
    const d = s.scriptDomain.toLowerCase();
    tests.push((m) => scriptDomainOf(m) === d);
  }
  if (s.localUser !== undefined) {
    const u = s.localUser;
    tests.push((m) => m.login === u);
  }
  const crit = criteria(s);
  const env = combine(tests, crit, Boolean(s.or), Boolean(s.not));
  if (!env) return idSet ? (m) => idSet.has(m.id) : () => true;
  // a message whose -H could not be read has no envelope: its size 0, frozen=false and empty
  // sender are placeholders, so no envelope criterion matches it (only its id does); exipick
  // skips a message it cannot parse whatever the criteria
  if (idSet) return (m, h, now) => idSet.has(m.id) && !isUnreadable(m) && env(m, h, now);
  return (m, h, now) => !isUnreadable(m) && env(m, h, now);
}

/**
 * The criteria as exipick combines them: all true (default), or any true (--or); --not negates
 * each one, flags included (exipick turns -f -r -z -x into criteria too). A $each_* criterion
 * counts once per address; with --or and no address it adds nothing.
 */
function combine(
  tests: Predicate[],
  crit: Criterion[],
  or: boolean,
  not: boolean,
): Predicate | null {
  if (tests.length === 0 && crit.length === 0) return null;
  if (!or && !not && crit.length === 0) return (m, h, now) => tests.every((t) => t(m, h, now));
  const plain = tests.length + crit.filter((c) => !c.each).length;
  return (m, h, now) => {
    let seen = 0;
    for (const t of tests) {
      const r = t(m, h, now) !== not; // crit carry their own --not
      seen++;
      if (r === or) return or;
    }
    for (const c of crit) {
      const r = c.test(m, h, now);
      if (typeof r === 'boolean') {
        seen++;
        if (r === or) return or;
        continue;
      }
      for (const x of r) {
        seen++;
        if (x === or) return or;
      }
    }
    // --or: nothing matched; true only when there was nothing to test (exipick's empty list)
    return or ? seen === 0 && plain === 0 : true;
  };
}

/** Escape a literal for use inside a selection regex (for printed `hostops mailq rm` commands). */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
