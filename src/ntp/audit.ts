/**
 * `ntp audit`: read an ntpd / ntpsec / chrony config and name each amplification exposure with
 * its line and the lines that fix it. Rules follow the measured behaviour in the reference notes
 * (§3): ntpd answers mode 6 unless `noquery`, 4.2.6 answers monlist unless `noquery` even with
 * `disable monitor` when any `limited` entry exists; ntpsec ≥ 1.1.9 has `noquery limited` built
 * into its default entry; chrony serves only `allow`ed clients and never answers mode 6/7.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { HostopsError } from '../lib/errors.js';
import { FIX, type ServerKind } from './fixes.js';

export type ConfigKind = Exclude<ServerKind, 'unknown'>;
export type Severity = 'high' | 'warning' | 'info';

export interface Finding {
  id: string;
  severity: Severity;
  line: number | null;
  text: string | null;
  message: string;
  fix: string[];
}

export interface AuditResult {
  file: string;
  kind: ConfigKind;
  exposed: boolean;
  findings: Finding[];
  errors: { line: number; message: string }[];
}

interface Line {
  n: number;
  text: string;
  words: string[];
}

export async function auditFile(
  file: string,
  opts: { kind?: ConfigKind } = {},
): Promise<AuditResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new HostopsError('NTP_AUDIT_READ', `cannot read ${file}: ${(e as Error).message}`, {
      where: file,
    });
  }
  return auditText(text, { file, kind: opts.kind });
}

export function auditText(
  text: string,
  opts: { file?: string; kind?: ConfigKind } = {},
): AuditResult {
  const file = opts.file ?? '-';
  const errors: AuditResult['errors'] = [];
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.includes('\0')) {
      errors.push({ line: i + 1, message: 'NUL byte; line ignored' });
      return;
    }
    const body = raw.replace(/#.*/, '').trim();
    if (!body) return;
    lines.push({ n: i + 1, text: raw.trim().slice(0, 200), words: body.split(/\s+/) });
  });
  const kind = opts.kind ?? guessKind(file, lines);
  const findings =
    kind === 'chrony'
      ? auditChrony(lines)
      : kind === 'ntpsec'
        ? auditNtpsec(lines)
        : auditNtpd(lines);
  for (const l of lines) {
    const d = l.words[0].toLowerCase();
    if (d === 'include' || d === 'includefile' || d === 'confdir' || d === 'sourcedir') {
      findings.push({
        id: 'include-not-followed',
        severity: 'info',
        line: l.n,
        text: l.text,
        message: `${l.words[0]} is not followed by the audit; audit the included files too`,
        fix: [],
      });
    }
  }
  return { file, kind, exposed: findings.some((f) => f.severity === 'high'), findings, errors };
}

const CHRONY_ONLY = new Set([
  'allow',
  'deny',
  'cmdallow',
  'cmddeny',
  'bindcmdaddress',
  'cmdport',
  'makestep',
  'rtcsync',
  'ratelimit',
  'cmdratelimit',
  'local',
  'hwtimestamp',
  'maxupdateskew',
  'ntsserverkey',
  'sourcedir',
  'confdir',
  'bindaddress',
  'port',
]);

function guessKind(file: string, lines: Line[]): ConfigKind {
  const base = path.basename(file).toLowerCase();
  if (base.includes('chrony')) return 'chrony';
  if (file.includes('ntpsec')) return 'ntpsec';
  const dirs = lines.map((l) => l.words[0].toLowerCase());
  if (dirs.some((d) => CHRONY_ONLY.has(d))) return 'chrony';
  if (dirs.includes('unrestrict') || lines.some((l) => /ntpsec|\bnts\b/i.test(l.text)))
    return 'ntpsec';
  return 'ntpd';
}

// ---- ntpd (ntp.org) -----------------------------------------------------------------------

interface Restrict {
  line: Line;
  family: 4 | 6 | 0;
  isDefault: boolean;
  flags: Set<string>;
}

function parseRestricts(lines: Line[]): Restrict[] {
  const out: Restrict[] = [];
  for (const l of lines) {
    if (l.words[0].toLowerCase() !== 'restrict') continue;
    let w = l.words.slice(1);
    let family: 4 | 6 | 0 = 0;
    if (w[0] === '-4') {
      family = 4;
      w = w.slice(1);
    } else if (w[0] === '-6') {
      family = 6;
      w = w.slice(1);
    }
    const addr = (w[0] ?? '').toLowerCase();
    let isDefault = addr === 'default';
    const maskIdx = w.findIndex((x) => x.toLowerCase() === 'mask');
    if (
      (addr === '0.0.0.0' && maskIdx > 0 && w[maskIdx + 1] === '0.0.0.0') ||
      addr === '0.0.0.0/0' ||
      addr === '::/0'
    )
      isDefault = true;
    if (addr === '::' && maskIdx > 0 && w[maskIdx + 1] === '::') {
      isDefault = true;
      family = 6;
    }
    const flags = new Set(
      w
        .slice(1)
        .map((x) => x.toLowerCase())
        .filter((x, i, a) => x !== 'mask' && a[i - 1] !== 'mask'),
    );
    out.push({ line: l, family, isDefault, flags });
  }
  return out;
}

const closesQuery = (f: Set<string>) => f.has('noquery') || f.has('ignore');

function auditNtpd(lines: Line[]): Finding[] {
  const f: Finding[] = [];
  const rs = parseRestricts(lines);
  const defaults = rs.filter((r) => r.isDefault);
  const v4 = defaults.filter((r) => r.family !== 6);
  const v6 = defaults.filter((r) => r.family === 6);
  const lastV4 = v4.at(-1);
  const lastV6 = v6.at(-1);
  const monitorOff = lines.find(
    (l) =>
      l.words[0].toLowerCase() === 'disable' &&
      l.words.slice(1).some((w) => w.toLowerCase() === 'monitor'),
  );
  const mode7 = lines.find(
    (l) =>
      l.words[0].toLowerCase() === 'enable' &&
      l.words.slice(1).some((w) => w.toLowerCase() === 'mode7'),
  );
  const limited = rs.find((r) => r.flags.has('limited'));

  if (!lastV4) {
    f.push({
      id: 'restrict-default-missing',
      severity: 'high',
      line: null,
      text: null,
      message:
        'no `restrict default` line: every address may send mode 6 queries (READVAR ~30x) and, on ntpd before 4.2.7p26, mode 7 monlist (up to 5500x)',
      fix: FIX.ntpd.slice(1, 5),
    });
  } else if (!closesQuery(lastV4.flags)) {
    f.push({
      id: 'noquery-missing',
      severity: 'high',
      line: lastV4.line.n,
      text: lastV4.line.text,
      message:
        '`restrict default` without `noquery`: mode 6 queries (and monlist on ntpd < 4.2.7p26) are answered for everyone',
      fix: ['restrict default kod limited nomodify notrap nopeer noquery'],
    });
  }
  if (lastV4 && closesQuery(lastV4.flags)) {
    if (!lastV6) {
      f.push({
        id: 'restrict-6-default-missing',
        severity: 'warning',
        line: lastV4.line.n,
        text: lastV4.line.text,
        message:
          'no `restrict -6 default`: on older ntpd `restrict default` covers IPv4 only, so IPv6 clients may still query mode 6/7 (US-CERT TA14-013A sets both)',
        fix: ['restrict -6 default kod limited nomodify notrap nopeer noquery'],
      });
    } else if (!closesQuery(lastV6.flags)) {
      f.push({
        id: 'noquery-missing-6',
        severity: 'high',
        line: lastV6.line.n,
        text: lastV6.line.text,
        message: '`restrict -6 default` without `noquery`: IPv6 clients may query mode 6/7',
        fix: ['restrict -6 default kod limited nomodify notrap nopeer noquery'],
      });
    }
  }
  const queryOpen = !lastV4 || !closesQuery(lastV4.flags);
  if (monitorOff && limited && queryOpen) {
    f.push({
      id: 'limited-monitor-trap',
      severity: 'high',
      line: limited.line.n,
      text: limited.line.text,
      message: `\`disable monitor\` (line ${monitorOff.n}) is undone by this \`limited\` entry: ntpd 4.2.6 restarts the monitor for rate limiting, so monlist still answers; only \`noquery\` (or ntpd >= 4.2.7p26) closes it`,
      fix: [
        'restrict default kod limited nomodify notrap nopeer noquery',
        'restrict -6 default kod limited nomodify notrap nopeer noquery',
      ],
    });
  } else if (!monitorOff && queryOpen) {
    f.push({
      id: 'monitor-enabled',
      severity: 'warning',
      line: null,
      text: null,
      message:
        'the monitor is on by default; with queries open, ntpd before 4.2.7p26 answers monlist (CVE-2013-5211). `disable monitor` helps only without `limited` lines; `noquery` is the fix',
      fix: ['disable monitor', 'restrict default kod limited nomodify notrap nopeer noquery'],
    });
  }
  if (mode7) {
    f.push({
      id: 'mode7-enabled',
      severity: queryOpen ? 'high' : 'warning',
      line: mode7.n,
      text: mode7.text,
      message:
        '`enable mode7` turns the ntpdc (mode 7) protocol back on; it is off by default since 4.2.7p230',
      fix: ['# delete this line'],
    });
  }
  for (const r of rs) {
    if (r.isDefault || r.flags.has('ignore') || closesQuery(r.flags)) continue;
    const addr = r.line.words[r.family ? 2 : 1] ?? '';
    if (isLoopback(addr)) continue;
    const wide = wideMask(r.line.words);
    if (wide !== null && wide < 8) {
      f.push({
        id: 'restrict-wide-open',
        severity: 'high',
        line: r.line.n,
        text: r.line.text,
        message: `restrict entry covers a /${wide} without \`noquery\`: mode 6/7 open to a large part of the Internet`,
        fix: [`${r.line.text} noquery`],
      });
    }
  }
  return f;
}

// ---- ntpsec -------------------------------------------------------------------------------

function auditNtpsec(lines: Line[]): Finding[] {
  const f: Finding[] = [];
  const rs = parseRestricts(lines);
  for (const l of lines) {
    const w = l.words.map((x) => x.toLowerCase());
    if (w[0] !== 'unrestrict') continue;
    const target = w[1] === '-4' || w[1] === '-6' ? w[2] : w[1];
    const isDefault = target === 'default' || target === '0.0.0.0' || target === '::';
    if (w.includes('noquery') && (isDefault || (wideMask(l.words) ?? 32) < 8)) {
      f.push({
        id: 'unrestrict-noquery',
        severity: 'high',
        line: l.n,
        text: l.text,
        message:
          'removes `noquery` from the default entry: mode 6 READVAR (~30x) is answered for everyone',
        fix: ['# delete this line; the built-in default is `noquery limited`'],
      });
    }
    if (w.includes('limited') && isDefault) {
      f.push({
        id: 'unrestrict-limited',
        severity: 'warning',
        line: l.n,
        text: l.text,
        message:
          'removes the built-in rate limit (`limited`): mode 3 replies can be reflected without limit',
        fix: ['# delete this line'],
      });
    }
  }
  const def = rs.filter((r) => r.isDefault && r.family !== 6).at(-1);
  if (!def) {
    f.push({
      id: 'restrict-default-implicit',
      severity: 'info',
      line: null,
      text: null,
      message:
        'no `restrict default` line: ntpsec 1.1.9 and later default to `noquery limited`; older ntpsec answers mode 6 for everyone',
      fix: FIX.ntpsec.slice(1, 4),
    });
  }
  for (const l of lines) {
    if (l.words[0].toLowerCase() === 'enable' && l.words.some((w) => w.toLowerCase() === 'mode7')) {
      f.push({
        id: 'mode7-ignored',
        severity: 'info',
        line: l.n,
        text: l.text,
        message: 'ntpsec has no mode 7 server; this line has no effect',
        fix: ['# delete this line'],
      });
    }
  }
  return f;
}

// ---- chrony -------------------------------------------------------------------------------

function auditChrony(lines: Line[]): Finding[] {
  const f: Finding[] = [];
  const allows = lines.filter((l) => l.words[0].toLowerCase() === 'allow');
  const rate = lines.find((l) => l.words[0].toLowerCase() === 'ratelimit');
  for (const l of allows) {
    const w = l.words.slice(1).map((x) => x.toLowerCase());
    const all = w.length === 0 || w[0] === 'all' || (w[0] === 'all' && !w[1]);
    const bits = all ? 0 : prefixLen(w[0]);
    if (all || (bits !== null && bits < 8)) {
      f.push({
        id: 'allow-too-wide',
        severity: 'high',
        line: l.n,
        text: l.text,
        message: `\`${l.text}\` serves time to ${all ? 'every address' : `a /${bits}`}: the server can be used as a reflector for mode 3 traffic${rate ? '' : ', and there is no `ratelimit`'}`,
        fix: [
          'allow 198.18.0.0/15   # your own client prefixes only',
          ...(rate ? [] : ['ratelimit interval 3 burst 8']),
        ],
      });
    }
  }
  if (allows.length && !rate && !f.some((x) => x.id === 'allow-too-wide')) {
    f.push({
      id: 'ratelimit-missing',
      severity: 'warning',
      line: allows[0].n,
      text: allows[0].text,
      message:
        'NTP service enabled without `ratelimit`: every request is answered (no per-client limit)',
      fix: ['ratelimit interval 3 burst 8'],
    });
  }
  const binds = lines.filter((l) => l.words[0].toLowerCase() === 'bindcmdaddress');
  const cmdport = lines.find((l) => l.words[0].toLowerCase() === 'cmdport');
  const cmdOff = cmdport && cmdport.words[1] === '0';
  const openBind = binds.find(
    (l) => !isLoopback(l.words[1] ?? '') && !(l.words[1] ?? '').startsWith('/'),
  );
  const cmdallows = lines.filter((l) => l.words[0].toLowerCase() === 'cmdallow');
  const wideCmd = cmdallows.find((l) => {
    const a = (l.words[1] ?? 'all').toLowerCase();
    if (a === 'all') return true;
    const b = prefixLen(a);
    return b !== null && b < 16;
  });
  if (!cmdOff && openBind) {
    f.push({
      id: 'cmdport-open',
      severity: wideCmd ? 'high' : 'warning',
      line: openBind.n,
      text: openBind.text,
      message: `the command port (UDP ${cmdport?.words[1] ?? 323}) listens on ${openBind.words[1]}${wideCmd ? ` and \`${wideCmd.text}\` (line ${wideCmd.n}) lets anyone send monitoring commands` : ''}`,
      fix: ['bindcmdaddress 127.0.0.1', 'bindcmdaddress ::1', '# or: cmdport 0'],
    });
  } else if (!cmdOff && wideCmd) {
    f.push({
      id: 'cmdallow-wide',
      severity: 'warning',
      line: wideCmd.n,
      text: wideCmd.text,
      message:
        'cmdallow is wide; harmless while bindcmdaddress stays loopback, exposed as soon as it does not',
      fix: ['# delete this line or restrict it to your management prefix'],
    });
  }
  return f;
}

// ---- helpers ------------------------------------------------------------------------------

function isLoopback(a: string): boolean {
  const x = a.toLowerCase();
  return x.startsWith('127.') || x === '::1' || x === 'localhost';
}

function prefixLen(spec: string): number | null {
  const m = /^([0-9a-f.:]+)(?:\/(\d{1,3}))?$/i.exec(spec);
  if (!m) return null;
  if (m[2] !== undefined) return Number(m[2]);
  if (m[1].includes(':')) return 128;
  // chrony: `allow 10` = 10/8, `allow 10.1` = 10.1/16 ...
  return Math.min(32, m[1].split('.').filter(Boolean).length * 8);
}

/** Prefix length of `restrict ADDR mask M` / `ADDR/len`, null when not a network entry. */
function wideMask(words: string[]): number | null {
  const i = words.findIndex((w) => w.toLowerCase() === 'mask');
  if (i > 0 && words[i + 1]) {
    const parts = words[i + 1].split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return null;
    return parts.reduce((s, p) => s + (p.toString(2).match(/1/g)?.length ?? 0), 0);
  }
  const slash = words.find((w) => /\/\d+$/.test(w));
  return slash ? Number(slash.split('/')[1]) : null;
}
