/**
 * exipick's selection criteria (`VAR OP VALUE`, `!` negation, `--or`, `--not`, `--caseful`) on
 * the envelope variables hostops reads. The parse follows /usr/sbin/exipick's process_criteria
 * rule order (numeric, =~/!~, bare =, eq/ne, boolean) so an expression means what it means
 * there; values follow its Exim::SpoolFile (undefined = empty string / 0). An unknown variable is
 * a usage error here (exipick silently treats it as undefined, so `!$typo` would select all).
 */
import { usageError } from '../lib/errors.js';
import { formatSize } from './bp-format.js';
import type { QueueMessage } from './types.js';

type Value = string | number | undefined;
/** One variable of one message; `h` is the raw live header text, `now` epoch seconds. */
type Getter = (m: QueueMessage, h: string, now: number) => Value;

const uniq = (a: string[]): string[] => [...new Set(a)];
const allRcpts = (m: QueueMessage) => uniq(m.recipients.map((r) => r.address));
const undel = (m: QueueMessage): string[] => {
  // rows of the queue index carry just the undelivered addresses
  const u = (m as { undelivered?: string[] }).undelivered;
  return uniq(u ?? m.recipients.filter((r) => !r.delivered).map((r) => r.address));
};
/** exipick's del tree: delivered top-level recipients and delivered generated addresses. */
const del = (m: QueueMessage) =>
  uniq([
    ...m.recipients.filter((r) => r.delivered).map((r) => r.address),
    ...(m.extraDelivered ?? []),
  ]);

/** exim's host_extract_port as exipick mimics it: the address without its port. */
function hostOnly(a: string | undefined): string | undefined {
  if (a === undefined) return undefined;
  const m =
    /^\[([^\]]+)\](?::\d+)?$/.exec(a) ??
    /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?:\.\d+)?$/.exec(a) ??
    /^([\d:]+)(?:\.\d+)?$/.exec(a);
  return m ? m[1] : a;
}

/** Variables answered from the envelope columns of the queue index too (spool-index.ts Row). */
const INDEX_VARS = new Set([
  'message_exim_id',
  'message_id',
  'sender_address',
  'sender_address_domain',
  'sender_address_local_part',
  'recipients_undel',
  'recipients_undel_count',
  'each_recipients_undel',
  'message_age',
  'received_time',
  'message_size',
  'shown_message_size',
  'deliver_freeze',
  'authenticated_id',
  'originator_login',
]);

const VARS: Record<string, Getter> = {
  message_exim_id: (m) => m.id,
  message_id: (m) => m.id,
  sender_address: (m) => m.sender,
  sender_address_domain: (m) => m.sender.replace(/^.*@/s, ''),
  sender_address_local_part: (m) => m.sender.replace(/^(.*)@.*$/s, '$1'),
  recipients: (m) => allRcpts(m).join(', '),
  recipients_undel: (m) => undel(m).join(', '),
  recipients_del: (m) => del(m).join(', '),
  recipients_count: (m) => m.recipients.length,
  recipients_undel_count: (m) => undel(m).length,
  recipients_del_count: (m) => {
    const r = new Set(allRcpts(m));
    return del(m).filter((a) => r.has(a)).length;
  },
  message_age: (m, _h, now) => now - m.time,
  received_time: (m) => m.time,
  message_size: (m) => m.size,
  shown_message_size: (m) => formatSize(m.size).trim(),
  deliver_freeze: (m) => (m.frozen ? 1 : undefined),
  deliver_frozen_at: (m) => m.frozenAt,
  authenticated_id: (m) => m.authId,
  authenticated_sender: (m) => m.authSender,
  originator_login: (m) => m.login,
  originator_uid: (m) => m.uid,
  originator_gid: (m) => m.gid,
  sender_set_untrusted: (m) => (m.senderSetUntrusted ? 1 : undefined),
  sender_host_address: (m) => hostOnly(m.hostAddress),
  sender_host_authenticated: (m) => m.hostAuth,
  received_protocol: (m) => m.protocol,
  message_headers_raw: (_m, h) => h,
  message_headers: (_m, h) => decode2047(h).replace(/\n$/, ''),
};

/** exim's header types whose repeated values exipick joins with ",\n" (From, To, Cc, Bcc, Reply-To, Sender). */
const COMMA_HEADERS = new Set(['from', 'to', 'cc', 'bcc', 'reply-to', 'sender']);

/** The values (text after the first colon) of every header line named `name` (lower case). */
function headerValues(h: string, name: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < h.length) {
    // a header is its first line and the continuation lines (starting with space or tab)
    let end = h.indexOf('\n', i);
    while (end !== -1 && end + 1 < h.length && (h[end + 1] === ' ' || h[end + 1] === '\t'))
      end = h.indexOf('\n', end + 1);
    end = end === -1 ? h.length : end + 1;
    const c = h.indexOf(':', i);
    if (c !== -1 && c < end && h.slice(i, c).toLowerCase() === name) out.push(h.slice(c + 1, end));
    i = end;
  }
  return out;
}

/** exipick's $header_X / $bh_X (same value: it never converts charsets) and $rh_X. */
function headerVar(raw: boolean, name: string): Getter {
  return (_m, h) => {
    const vals = headerValues(h, name);
    if (!vals.length) return undefined;
    if (raw) return vals.join('');
    const comma = COMMA_HEADERS.has(name);
    let v = '';
    for (const x of vals) {
      const t = x.replace(/^\s+/, '').replace(/\s+$/, '');
      v += comma ? t + ',\n' : t;
    }
    v = v.replace(/[\s\n]*$/, '');
    if (comma) v = v.replace(/,$/, '');
    return decode2047(v);
  };
}

/** RFC 2047 encoded words decoded to their bytes (as latin1), whitespace between two dropped; any error keeps the text. */
export function decode2047(s: string): string {
  if (!s.includes('=?')) return s;
  const parts = s.split(/(=\?[^?]{3,}\?[BQ]\?[^?]{1,74}\?=)/i).filter((p) => p !== '');
  const dec: { data: string; mime: boolean; ws: boolean }[] = [];
  for (const p of parts) {
    const w = /^=\?([^?]{3,})\?([BQ])\?([^?]{1,74})\?=$/i.exec(p);
    if (!w) {
      dec.push({ data: p, mime: false, ws: /^\s+/.test(p) });
      continue;
    }
    let data: string;
    if (w[2].toUpperCase() === 'Q') {
      let o = '';
      const t = w[3];
      for (let i = 0; i < t.length; i++) {
        if (t[i] === '_') o += ' ';
        else if (t[i] === '=') {
          if (!/^[0-9a-f]{2}$/i.test(t.slice(i + 1, i + 3))) return s;
          o += String.fromCharCode(parseInt(t.slice(i + 1, i + 3), 16));
          i += 2;
        } else if (/\s/.test(t[i])) return s;
        else o += t[i];
      }
      data = o;
    } else {
      data = Buffer.from(w[3].replace(/[^A-Za-z0-9+/]/g, ''), 'base64').toString('latin1');
    }
    dec.push({ data: data.replace(/\0/g, '?'), mime: true, ws: false });
  }
  let out = '';
  for (let i = 0; i < dec.length; i++) {
    if (!dec[i].mime && dec[i].ws && i > 0 && dec[i - 1].mime && dec[i + 1]?.mime) continue;
    out += dec[i].data;
  }
  return out;
}

function getter(name: string): Getter | undefined {
  if (VARS[name]) return VARS[name];
  const h = /^([rb]?h)(?:eader)?_(.+)$/.exec(name);
  if (h) return headerVar(h[1] === 'rh', h[2]);
  return undefined;
}

/** Perl's numeric value of a string: its leading number, else 0. */
function perlNum(v: Value): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^\s*([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))/.exec(v);
  return m ? Number(m[1]) : 0;
}
const str = (v: Value): string => (v === undefined ? '' : String(v));
/** Perl truth: undef, "" and "0" are false. */
const truthy = (v: Value): boolean => v !== undefined && v !== '' && v !== '0' && v !== 0;

/** Perl regex literal `/re/flags` or `m<d>re<d>flags` as a JS RegExp (Perl-only syntax refused). */
function perlRegex(lit: string, expr: string): RegExp {
  const m = /^(?:m(.)|(\/))([\s\S]*)$/.exec(lit.trim());
  const d = m ? (m[1] ?? m[2]) : undefined;
  const close =
    d === undefined
      ? undefined
      : (({ '{': '}', '(': ')', '[': ']', '<': '>' } as Record<string, string>)[d] ?? d);
  const end = close === undefined ? -1 : m![3].lastIndexOf(close);
  if (!m || end === -1 || !/^[imsx]*$/.test(m[3].slice(end + 1))) {
    throw usageError(
      'MAILQ_BAD_EXPRESSION',
      `exipick criterion ${JSON.stringify(expr)}: ${JSON.stringify(lit)} is not a regex literal`,
      'write /regex/ or /regex/i (m{regex} works too)',
    );
  }
  const flags = m[3].slice(end + 1);
  let src = m[3].slice(0, end).replace(/\\@/g, '@');
  if (flags.includes('x') || /\\[QEGK]|\[:\w+:\]|\(\?[#<]|\(\?[imsx-]+[):]/.test(src)) {
    throw usageError(
      'MAILQ_BAD_EXPRESSION',
      `exipick criterion ${JSON.stringify(expr)}: Perl-only regex syntax in ${JSON.stringify(lit)}`,
      'the regex is run as a JavaScript RegExp: no /x, \\Q..\\E, POSIX [:class:] or inline modifiers',
    );
  }
  // Perl's string anchors have no escape in JS; outside /m, ^ and $ are the same thing (\Z: before a final newline)
  src = src
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$(?![\\s\\S])')
    .replace(/\\Z/g, '(?=\\n?(?![\\s\\S]))');
  try {
    return new RegExp(src, flags);
  } catch (e) {
    throw usageError(
      'MAILQ_BAD_REGEX',
      `invalid regular expression in exipick criterion ${JSON.stringify(expr)}: ${(e as Error).message}`,
    );
  }
}

/** A compiled criterion: per message, one result (or one per address for $each_*). */
export interface Criterion {
  /** Variable name without `$`, `!` or `each_`. */
  variable: string;
  each: boolean;
  test: (m: QueueMessage, h: string, now: number) => boolean | boolean[];
}

const NUMBER = /^(-?(?:\d+\.?\d*|\.\d+))(M|K|B|d|h|m|s)?$/;
const SCALE: Record<string, number> = { M: 1048576, K: 1024, B: 1, d: 86400, h: 3600, m: 60, s: 1 };

/** Parses one criterion as exipick does; `negateAll` is exipick's --not, `caseful` its --caseful. */
export function parseCriterion(
  text: string,
  opts: { negateAll?: boolean; caseful?: boolean } = {},
): Criterion {
  // spool strings are bytes (latin1-decoded): the criterion is matched as bytes too, as Perl does
  const expr = Buffer.from(text, 'utf8').toString('latin1');
  let varText: string;
  let cmp: (v: Value) => boolean;
  let x: RegExpExecArray | null;
  const bad = (why: string, hint: string) =>
    usageError(
      'MAILQ_BAD_EXPRESSION',
      `exipick criterion ${JSON.stringify(text)} did not parse: ${why}`,
      hint,
    );
  if ((x = /^(.*?)\s+(<=|>=|==|!=|<|>)\s+(.*)$/.exec(expr))) {
    const n = NUMBER.exec(x[3]);
    // exipick's suffixes: M and K multiply sizes, d h m s times; B and s are 1
    if (!n)
      throw bad(
        'numeric comparison with a non-number',
        "e.g. '$message_age > 2h' or '$message_size >= 10K' (spaces around the operator)",
      );
    const num = Number(n[1]) * (n[2] ? SCALE[n[2]] : 1);
    const op = x[2];
    varText = x[1];
    cmp = (v) => {
      const a = perlNum(v);
      switch (op) {
        case '<':
          return a < num;
        case '<=':
          return a <= num;
        case '>':
          return a > num;
        case '>=':
          return a >= num;
        case '==':
          return a === num;
        default:
          return a !== num;
      }
    };
  } else if ((x = /^(.*?)\s+(=~|!~)\s+(.*)$/.exec(expr))) {
    const r = perlRegex(x[3], text);
    const want = x[2] === '=~';
    varText = x[1];
    cmp = (v) => r.test(str(v)) === want;
  } else if ((x = /^(.*?)\s+=\s+(.*)$/.exec(expr))) {
    let r: RegExp;
    try {
      r = new RegExp(x[2], opts.caseful ? '' : 'i');
    } catch (e) {
      throw usageError(
        'MAILQ_BAD_REGEX',
        `invalid regular expression in exipick criterion ${JSON.stringify(text)}: ${(e as Error).message}`,
      );
    }
    varText = x[1];
    cmp = (v) => r.test(str(v));
  } else if ((x = /^(.*?)\s+(eq|ne)\s+(.*)$/.exec(expr))) {
    // exipick strips one pair of quotes and puts the value in a Perl "..." string
    let val = x[3].replace(/^(['"])(.*)\1$/s, '$2');
    if (/(^|[^\\])(\\\\)*[$@]/.test(val))
      throw bad(
        'a $ or @ in an eq/ne value',
        'exipick would interpolate it as a Perl variable; escape it with \\ or use =~ /.../',
      );
    val = val.replace(
      /\\(.)/gs,
      (_a, c: string) => (({ n: '\n', t: '\t', r: '\r' }) as Record<string, string>)[c] ?? c,
    );
    const eq = x[2] === 'eq';
    varText = x[1];
    cmp = (v) => (str(v) === val) === eq;
  } else if ((x = /^(\S+)$/.exec(expr))) {
    varText = x[1];
    cmp = truthy;
  } else {
    throw bad(
      'not VARIABLE OPERATOR VALUE',
      "e.g. '$sender_address =~ /example/', '!$deliver_freeze', '$message_age > 1h'",
    );
  }
  let name = varText.toLowerCase();
  const negate = name.startsWith('!') !== Boolean(opts.negateAll);
  name = name.replace(/^!/, '');
  // exipick recognises the per-address pseudo variables only written without `$` (each_recipients);
  // `$each_recipients` is an unknown variable there, tested as the empty string
  if (/^\$each_/.test(name)) {
    throw usageError(
      'MAILQ_BAD_EXPRESSION',
      `exipick criterion ${JSON.stringify(text)}: write ${name.slice(1)} without the $`,
      `exipick takes the per-address test only as ${name.slice(1)}; with the $ it tests an empty string, so the two tools would disagree`,
    );
  }
  name = name.replace(/^\$/, '').replace(/:$/, '');
  const each = /^each_(recipients(?:_(?:un)?del)?)$/.exec(name);
  const variable = each ? each[1] : name;
  const get = getter(variable);
  if (!get) {
    throw usageError(
      'MAILQ_BAD_EXPRESSION',
      `exipick criterion ${JSON.stringify(text)}: variable $${variable} is not one hostops reads`,
      `variables: $${[...Object.keys(VARS), 'each_recipients', 'each_recipients_undel', 'each_recipients_del'].join(', $')}, $header_NAME ($h_, $bh_, $rh_)`,
    );
  }
  if (each) {
    const list = variable === 'recipients' ? allRcpts : variable === 'recipients_del' ? del : undel;
    return { variable, each: true, test: (m) => list(m).map((a) => cmp(a) !== negate) };
  }
  return { variable, each: false, test: (m, h, now) => cmp(get(m, h, now)) !== negate };
}

/** True when a criterion reads header text (the spool reader must keep it). */
export const criterionNeedsHeaders = (variable: string): boolean =>
  /^(?:[rb]?h(?:eader)?_|message_headers)/.test(variable);

/** True when the queue index's envelope columns answer the criterion. */
export const criterionIndexable = (c: Criterion): boolean =>
  INDEX_VARS.has(c.each ? 'each_' + c.variable : c.variable);
