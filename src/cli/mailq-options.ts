/**
 * `hostops mailq`'s option tables, one per subcommand group: the flags exim, exiqgrep and
 * exipick users know, with their units (sizes in 1024 powers as exim counts them, ages in
 * seconds or durations such as 2h).
 */
import type { HostopsError } from '../lib/errors.js';
import { parseDuration, parseSize } from '../mailq/duration.js';
import type { OptionSpec, OptionTable } from './options/index.js';

/** The error `f` throws for `v` (mailq's own MAILQ_BAD_SIZE / MAILQ_BAD_DURATION). */
function thrownBy(f: (v: string) => number, v: string): HostopsError {
  try {
    f(v);
  } catch (e) {
    return e as HostopsError;
  }
  throw new Error(`${v} was read the second time`);
}
const readBy = (f: (v: string) => number) => (v: string) => {
  try {
    return f(v);
  } catch {
    return undefined;
  }
};

const text = (flags: string, help: string, extra: Partial<OptionSpec> = {}): OptionSpec => ({
  flags,
  type: 'string',
  help,
  ...extra,
});
const flag = (flags: string, help: string, copies?: string): OptionSpec => ({
  flags,
  type: 'bool',
  help,
  copies,
});
const size = (flags: string, help: string): OptionSpec => ({
  flags,
  type: 'size',
  kb: 'binary',
  help,
  read: readBy(parseSize),
  error: (v) => thrownBy(parseSize, v),
});
const age = (flags: string, help: string, copies?: string): OptionSpec => ({
  flags,
  type: 'duration',
  unit: 's',
  bare: 's',
  help,
  copies,
  read: readBy(parseDuration),
  error: (v) => thrownBy(parseDuration, v),
});
const count = (flags: string, help: string, extra: Partial<OptionSpec> = {}): OptionSpec => ({
  flags,
  type: 'int',
  min: 1,
  help,
  ...extra,
});
const repeated = (flags: string, help: string, copies?: string): OptionSpec => ({
  flags,
  type: 'string',
  repeat: true,
  help,
  copies,
});

/** Where the queue is and how exim is run; every subcommand takes them. */
export const COMMON_OPTIONS: OptionTable = {
  spool: text('--spool <dir>', 'spool directory', {
    defaultText: 'exim -bP spool_directory, then Debian/cPanel paths',
  }),
  exim: text('--exim <path>', 'exim binary', {
    defaultText: '/usr/sbin/exim or exim4; env HOSTOPS_EXIM',
  }),
  config: text('-C, --config <file>', 'exim configuration file, passed to exim as -C', {
    copies: 'exim -C',
  }),
  define: repeated(
    '-D, --define <macro=value>',
    'exim -D macro for the configuration (repeatable)',
    'exim -D',
  ),
  json: flag('--json', 'machine-readable output'),
};

/** exiqgrep's and exipick's selection. */
export const SELECTION_OPTIONS: OptionTable = {
  sender: text(
    '-f, --sender <regex>',
    'sender regex, matched against <sender> case-insensitively (^<>$ = bounces)',
    { copies: 'exiqgrep -f' },
  ),
  recipient: text('-r, --recipient <regex>', 'regex on any undelivered recipient', {
    copies: 'exiqgrep -r',
  }),
  sizeText: text('-s, --size-text <regex>', 'regex on the size column (e.g. M$)', {
    copies: 'exiqgrep -s',
  }),
  minSize: size('--min-size <size>', 'at least this size (e.g. 500K; K/M/G are 1024 powers)'),
  maxSize: size('--max-size <size>', 'at most this size'),
  older: age(
    '-o, --older <seconds>',
    'older than this many seconds, or a duration such as 2h (from the -H time, not the id)',
    'exiqgrep -o (seconds)',
  ),
  younger: age(
    '-y, --younger <seconds>',
    'younger than this many seconds, or a duration',
    'exiqgrep -y (seconds)',
  ),
  olderThan: age('--older-than <duration>', 'older than (e.g. 2h, 3d)'),
  youngerThan: age('--younger-than <duration>', 'younger than (e.g. 30m)'),
  frozen: flag('-z, --frozen', 'frozen messages only', 'exiqgrep -z'),
  unfrozen: flag('-x, --unfrozen', 'messages that are not frozen', 'exiqgrep -x'),
  bounces: flag('--bounces', 'bounces only (sender <>)'),
  subject: text('--subject <regex>', 'Subject header regex'),
  header: text('--header <regex>', 'regex on any header line ("Name: value")'),
  auth: text('--auth <regex>', 'SMTP AUTH user regex'),
  script: text('--script <regex>', 'X-PHP-Script regex (host/path part)'),
  scriptDomain: text('--script-domain <domain>', 'X-PHP-Script domain'),
  localUser: text('--local-user <login>', 'login that submitted the message locally'),
  where: repeated(
    '-w, --where <criterion>',
    "exipick criterion (repeatable): '$sender_address =~ /x/', '!$deliver_freeze', '$message_age > 2h'",
    'exipick',
  ),
  or: flag('--or', 'a message matches when any criterion matches (flags included)', 'exipick --or'),
  not: flag('--not', 'negate every criterion', 'exipick --not'),
  caseful: flag('--caseful', 'the bare = operator of criteria respects case', 'exipick --caseful'),
  queue: text(
    '-G, --queue <name>',
    'named queue (exim -qG<name>, ACL `queue = name`): <spool>/<name>/input',
    { copies: 'exiqgrep -G' },
  ),
};

/** list and select: how the selected messages are printed. */
export const LISTING_OPTIONS: OptionTable = {
  idsOnly: flag('-i, --ids-only', 'print message ids only', 'exiqgrep -i'),
  count: flag('-c, --count', 'print "N matches out of M messages"', 'exiqgrep -c'),
  brief: flag('-b, --brief', 'one line per message: id, sender, recipients', 'exiqgrep -b'),
  reverse: flag('-R, --reverse', 'newest first: exim -bp order reversed', 'exiqgrep/exipick -R'),
  index: flag('--no-index', 'read every spool file; neither use nor refresh the queue index'),
};

/** rm, freeze, thaw, deliver. */
export const ACTION_OPTIONS: OptionTable = {
  yes: flag('--yes', 'act on the selection (default: only show what would be touched)'),
  all: flag('--all', 'select every message on the queue (except those whose -H cannot be read)'),
  batch: count('--batch <n>', 'ids per exim invocation', {
    defaultText: 'as many as fit a 128 KB command line, as xargs does',
  }),
  jobs: count('--jobs <n>', 'exim processes at once, each on its own ids', {
    defaultText: '2; 1 for deliver',
  }),
  auditLog: text('--audit-log <file>', 'audit log', {
    defaultText: '$HOSTOPS_AUDIT_LOG or /var/log/hostops/audit.log',
  }),
};
export const RM_OPTIONS: OptionTable = {
  includeUnreadable: flag(
    '--include-unreadable',
    'also remove the messages whose -H file cannot be read (no selection matches them)',
  ),
};

export const SUMMARY_OPTIONS: OptionTable = {
  sort: text('--sort <key>', 'domain table order: domain, count or age', { default: 'domain' }),
  top: count('--top <n>', 'rows per top list', { default: 10 }),
};

export const SHOW_OPTIONS: OptionTable = {
  body: flag('--no-body', 'leave out the body'),
};

/** The mainlog reports (sources, deliveries). */
const mainlog = (top: string): OptionTable => ({
  log: repeated(
    '--log <file>',
    "mainlog file (repeatable; default: exim's log_file_path and its rotations, .gz included)",
  ),
  since: text(
    '--since <time>',
    "from this time (ISO date/time in the log's local time, or a duration ago: 6h, 2d)",
  ),
  until: text('--until <time>', 'up to this time'),
  top: count('--top <n>', top, { default: 10 }),
  queue: flag('--no-queue', 'do not join with the live queue'),
});
export const SOURCES_OPTIONS: OptionTable = {
  ...mainlog('rows per table'),
  scriptsOnly: flag(
    '--scripts-only',
    "only the cwd= report (the seed one-liner's question), fastest",
  ),
  hourly: flag('--no-hourly', 'leave out the per-hour table'),
};
export const DELIVERIES_OPTIONS: OptionTable = {
  ...mainlog('rows per table and reason texts per category'),
  hourly: flag('--no-hourly', 'leave out the per-hour table'),
};

export const WATCH_OPTIONS: OptionTable = {
  interval: {
    flags: '--interval <duration>',
    type: 'duration',
    unit: 's',
    above: 0,
    default: 2,
    defaultText: '2s',
    help: 'refresh interval: 2s, 500ms; a bare number is seconds',
  },
  iterations: count('--iterations <n>', 'stop after n refreshes'),
};

export const COUNT_OPTIONS: OptionTable = {
  index: flag('--no-index', 'read the spool; neither use nor refresh the queue index'),
};
