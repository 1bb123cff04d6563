/**
 * `hostops mailq ...`: the Exim queue. This file parses flags and formats results; the work is
 * in src/mailq/. Text output of `list` is exim -bp's layout byte for byte.
 */
import fs from 'node:fs';
import { Command } from 'commander';
import { printJson, printNdjson, writeAll } from '../lib/output.js';
import { HostopsError, usageError } from '../lib/errors.js';
// only what every subcommand needs is loaded up front: `list` and `count` are one-shot commands
// whose start-up is part of what they cost (the rest is imported by the subcommand that uses it)
import {
  compileSelection,
  isEmptySelection,
  isUnreadable,
  type Selection,
} from '../mailq/select.js';
import { parseDuration, parseSize, parseTimePoint } from '../mailq/duration.js';
import { assertMessageIds } from '../mailq/ids.js';
import { formatBp, formatAge } from '../mailq/bp-format.js';
import { readQueue, readQueueChunks, readQueueSplit, countQueue } from '../mailq/spool-read.js';
import {
  bpText,
  briefLines,
  countOnly,
  idLines,
  ndjsonLines,
  renderMessages,
} from '../mailq/format/index.js';
import type { QueueMessage } from '../mailq/types.js';
import type { ActionName } from '../mailq/actions.js';
import type { WatchSnapshot } from '../mailq/watch.js';
import { registerDeliveries } from './mailq-deliveries.js';

interface CommonOpts {
  spool?: string;
  log?: string[];
  exim?: string;
  config?: string;
  define?: string[];
  json?: boolean;
}

interface SelectOpts {
  sender?: string;
  recipient?: string;
  sizeText?: string;
  minSize?: string;
  maxSize?: string;
  olderThan?: string;
  youngerThan?: string;
  older?: string;
  younger?: string;
  frozen?: boolean;
  unfrozen?: boolean;
  bounces?: boolean;
  subject?: string;
  header?: string;
  auth?: string;
  script?: string;
  scriptDomain?: string;
  localUser?: string;
  where?: string[];
  or?: boolean;
  not?: boolean;
  caseful?: boolean;
  queue?: string;
}

function addCommon(c: Command): Command {
  return c
    .option(
      '--spool <dir>',
      'spool directory (default: exim -bP spool_directory, then Debian/cPanel paths)',
    )
    .option('--exim <path>', 'exim binary (default: /usr/sbin/exim or exim4; env HOSTOPS_EXIM)')
    .option('-C, --config <file>', 'exim configuration file, passed to exim as -C')
    .option(
      '-D, --define <macro=value>',
      'exim -D macro for the configuration (repeatable)',
      (v: string, a: string[] = []) => [...a, v],
    )
    .option('--json', 'machine-readable output');
}

function addSelection(c: Command): Command {
  return c
    .option(
      '-f, --sender <regex>',
      'sender regex, matched against <sender> case-insensitively (^<>$ = bounces)',
    )
    .option('-r, --recipient <regex>', 'regex on any undelivered recipient')
    .option('-s, --size-text <regex>', 'regex on the size column (e.g. M$), as exiqgrep -s')
    .option('--min-size <size>', 'at least this size (e.g. 500K)')
    .option('--max-size <size>', 'at most this size')
    .option('-o, --older <seconds>', 'older than this many seconds (from the -H time, not the id)')
    .option('-y, --younger <seconds>', 'younger than this many seconds')
    .option('--older-than <duration>', 'older than (e.g. 2h, 3d)')
    .option('--younger-than <duration>', 'younger than (e.g. 30m)')
    .option('-z, --frozen', 'frozen messages only')
    .option('-x, --unfrozen', 'messages that are not frozen')
    .option('--bounces', 'bounces only (sender <>)')
    .option('--subject <regex>', 'Subject header regex')
    .option('--header <regex>', 'regex on any header line ("Name: value")')
    .option('--auth <regex>', 'SMTP AUTH user regex')
    .option('--script <regex>', 'X-PHP-Script regex (host/path part)')
    .option('--script-domain <domain>', 'X-PHP-Script domain')
    .option('--local-user <login>', 'login that submitted the message locally')
    .option(
      '-w, --where <criterion>',
      "exipick criterion (repeatable): '$sender_address =~ /x/', '!$deliver_freeze', '$message_age > 2h'",
      (v: string, a: string[] = []) => [...a, v],
    )
    .option('--or', 'a message matches when any criterion matches (exipick --or; flags included)')
    .option('--not', 'negate every criterion (exipick --not)')
    .option('--caseful', 'the bare = operator of criteria respects case (exipick --caseful)')
    .option(
      '-G, --queue <name>',
      'named queue (exim -qG<name>, ACL `queue = name`): <spool>/<name>/input',
    );
}

/** A named queue's name as exim takes it: not empty, no `/` (it is a directory under the spool). */
function queueName(q: string | undefined): string | undefined {
  if (q === undefined) return undefined;
  if (
    q === '' ||
    q.includes('/') ||
    q.includes('\0') ||
    q === '.' ||
    q === '..' ||
    q.startsWith('-')
  ) {
    throw usageError(
      'MAILQ_BAD_QUEUE',
      `not a queue name: ${JSON.stringify(q)}`,
      'a named queue is a directory under the spool: no /, not . or .., not starting with -',
    );
  }
  return q;
}

function selectionOf(o: SelectOpts, ids: string[] = []): Selection {
  const s: Selection = {};
  if (o.sender !== undefined) s.sender = o.sender;
  if (o.recipient !== undefined) s.recipient = o.recipient;
  if (o.sizeText !== undefined) s.sizeText = o.sizeText;
  if (o.minSize !== undefined) s.minSize = parseSize(o.minSize);
  if (o.maxSize !== undefined) s.maxSize = parseSize(o.maxSize);
  if (o.older !== undefined) s.olderThan = parseDuration(o.older);
  if (o.younger !== undefined) s.youngerThan = parseDuration(o.younger);
  if (o.olderThan !== undefined) s.olderThan = parseDuration(o.olderThan);
  if (o.youngerThan !== undefined) s.youngerThan = parseDuration(o.youngerThan);
  if (o.frozen && o.unfrozen)
    throw usageError('MAILQ_BAD_SELECTION', '--frozen and --unfrozen exclude each other');
  if (o.frozen) s.frozen = true;
  if (o.unfrozen) s.frozen = false;
  if (o.bounces) s.bounces = true;
  if (o.subject !== undefined) s.subject = o.subject;
  if (o.header !== undefined) s.header = o.header;
  if (o.auth !== undefined) s.authUser = o.auth;
  if (o.script !== undefined) s.script = o.script;
  if (o.scriptDomain !== undefined) s.scriptDomain = o.scriptDomain;
  if (o.localUser !== undefined) s.localUser = o.localUser;
  if (ids.length) {
    assertMessageIds(ids);
    s.ids = ids;
  }
  if (o.where?.length) s.where = o.where;
  if (o.or) s.or = true;
  if (o.not) s.not = true;
  if (o.caseful) s.caseful = true;
  compileSelection(s); // reject a bad regex before any file is read
  return s;
}

function eximArgs(o: CommonOpts): string[] {
  const a = o.config ? ['-C', o.config] : [];
  for (const d of o.define ?? []) {
    if (!/^[A-Z][A-Za-z0-9_]*=/.test(d))
      throw usageError('MAILQ_BAD_DEFINE', `not a macro definition: ${JSON.stringify(d)}`);
    a.push('-D' + d);
  }
  return a;
}

/**
 * The mainlog files a log report reads (--log, or exim's log_file_path and its rotations) and,
 * unless --no-queue, the live queue to join with (a queue that cannot be read is reported, not fatal).
 */
async function mainlogAndQueue(o: CommonOpts & { log?: string[]; queue: boolean }) {
  const { locatePaths } = await import('../mailq/paths.js');
  const paths = await locatePaths({ spool: o.spool, exim: o.exim, eximArgs: eximArgs(o) });
  const logs = o.log?.length ? o.log : paths.logs;
  if (!logs.length) {
    throw new HostopsError(
      'MAILQ_NO_LOG',
      `no exim mainlog at ${paths.mainlog} (nor rotated copies beside it)`,
    );
  }
  let queue: QueueMessage[] | undefined;
  if (o.queue) {
    try {
      queue = await readQueue(paths.spool);
    } catch (e) {
      process.stderr.write(`hostops: queue not joined: ${(e as Error).message}\n`);
    }
  }
  return { paths, logs, queue };
}

async function spoolOf(o: CommonOpts & { queue?: string }): Promise<string> {
  // --spool is all these commands need: no `exim -bP` run just to find the mainlog
  const q = queueName(o.queue);
  let spool = o.spool;
  if (!spool) {
    const { locatePaths } = await import('../mailq/paths.js');
    spool = (await locatePaths({ spool: o.spool, exim: o.exim, eximArgs: eximArgs(o) })).spool;
  }
  // a named queue is a spool of its own below the main one (exim's spool_dname: <spool>/<name>/input)
  if (q === undefined) return spool;
  const dir = spool.replace(/\/+$/, '') + '/' + q;
  if (!fs.existsSync(dir + '/input') && fs.existsSync(spool + '/input')) {
    // exim -bp -qG<name> shows an empty queue here; a typo in a name deserves better
    const named = fs
      .readdirSync(spool)
      .filter((n) => n !== 'input' && fs.existsSync(`${spool}/${n}/input`));
    throw new HostopsError(
      'MAILQ_NO_QUEUE',
      `no named queue ${JSON.stringify(q)} in ${spool} (missing ${dir}/input)`,
      {
        exitCode: 3,
        where: dir,
        hint: named.length
          ? `named queues here: ${named.join(', ')}`
          : 'this spool has no named queue (exim creates one at its first message)',
      },
    );
  }
  return dir;
}

/** All of the output reaches stdout, or the command fails with OUTPUT_WRITE_FAILED (lib/output.ts). */
const out = (s: string | Buffer, enc: BufferEncoding = 'utf8') =>
  writeAll(process.stdout, typeof s === 'string' ? Buffer.from(s, enc) : s);
const writeLatin1 = (s: string) => out(s, 'latin1');
const outJson = (v: unknown) => out(JSON.stringify(v, null, 2) + '\n');
/** A renderer's parts: latin1 Buffers (-bp text, ids, brief lines) or UTF-8 strings (NDJSON). */
async function writeParts(parts: (string | Buffer)[]): Promise<void> {
  for (const part of parts) await out(part);
}

/** The preview's list of messages no selection can match (their -H cannot be read), and how to act on them. */
function unreadableNote(ms: QueueMessage[], action: ActionName, now: number): string {
  return (
    `\nNot selected: ${ms.length} message(s) whose -H file cannot be read (no envelope to match):\n` +
    ms.map((m) => formatBp(m, now)).join('') +
    (action === 'rm'
      ? 'Remove them by id (hostops mailq rm ID...) or add --include-unreadable.\n'
      : 'exim cannot act on them until the -H file is readable; hostops mailq rm ID removes one.\n')
  );
}

function renderWatch(
  s: WatchSnapshot,
  spool: string,
  rows: number,
  formatVolume: (n: number) => string,
): string {
  const rate = (r: number | null) => (r === null ? '-' : `${r >= 0 ? '+' : ''}${r.toFixed(1)}/min`);
  let out = `hostops mailq watch - ${spool} - ${new Date(s.time * 1000).toISOString().replace('T', ' ').slice(0, 19)}  (q quits)\n\n`;
  out +=
    `messages ${s.messages}   volume ${formatVolume(s.volume).trim()}   frozen ${s.frozen}   bounces ${s.bounces}   ` +
    `oldest ${s.oldest === null ? '-' : formatAge(s.time - s.oldest).trim()}\n`;
  out += `growth ${rate(s.growthPerMin)} (last refresh)   ${rate(s.averagePerMin)} (since start)   read ${s.readSeconds.toFixed(2)}s\n\n`;
  out += 'top senders                                   msgs    volume\n';
  for (const r of s.topSenders.slice(0, Math.max(1, Math.floor((rows - 12) / 2)))) {
    out += `${r.key.slice(0, 44).padEnd(44)} ${String(r.count).padStart(6)}  ${formatVolume(r.volume)}\n`;
  }
  out += '\ntop recipient domains                         msgs\n';
  for (const d of s.topDomains.slice(0, Math.max(1, Math.floor((rows - 12) / 2))))
    out += `${d.domain.slice(0, 44).padEnd(44)} ${String(d.count).padStart(6)}\n`;
  return out;
}

type ListOpts = CommonOpts &
  SelectOpts & {
    idsOnly?: boolean;
    count?: boolean;
    brief?: boolean;
    reverse?: boolean;
    index: boolean;
  };

function addListing(c: Command): Command {
  return c
    .option('-i, --ids-only', 'print message ids only (exiqgrep -i)')
    .option('-c, --count', 'print "N matches out of M messages" (exiqgrep -c)')
    .option('-b, --brief', 'one line per message: id, sender, recipients (exiqgrep -b)')
    .option('-R, --reverse', 'newest first: exim -bp order reversed (exiqgrep/exipick -R)')
    .option('--no-index', 'read every spool file; neither use nor refresh the queue index');
}

/** list and select: exim -bp text, ids, brief lines, a count or NDJSON of the selected messages. */
async function listMessages(ids: string[], o: ListOpts): Promise<void> {
  const spool = await spoolOf(o);
  const sel = selectionOf(o, ids);
  const select = isEmptySelection(sel) ? undefined : sel;
  if (o.count) {
    const chunks = await readQueueChunks(spool, countOnly, { select, index: o.index });
    const seen = chunks.reduce((a, c) => a + c.seen, 0);
    const matched = chunks.reduce((a, c) => a + c.matched, 0);
    if (o.json) await outJson({ matches: matched, messages: seen });
    else await out(`${matched} matches out of ${seen} messages\n`);
    return;
  }
  if (ids.length && !o.idsOnly && !o.brief) {
    // named messages: like `exim -bp ID`, say which are not on the queue
    const now = Math.floor(Date.now() / 1000);
    const msgs = await readQueue(spool, { select, now });
    if (o.reverse) msgs.reverse();
    await writeParts(renderMessages(o.json ? ndjsonLines : bpText, msgs, now));
    const found = new Set(msgs.map((m) => m.id));
    const missing = ids.filter((i) => !found.has(i));
    for (const i of missing) process.stderr.write(`hostops: message ${i} is not on the queue\n`);
    if (missing.length) process.exitCode = 1;
    return;
  }
  if (o.reverse && o.idsOnly && !o.json) {
    // the ids as the index or the native reader give them, lines reversed
    const chunks = await readQueueChunks(spool, idLines, { select, index: o.index });
    const text = Buffer.concat(
      chunks.flatMap((c) =>
        c.parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)),
      ),
    ).toString('latin1');
    const lines = text.split('\n');
    lines.pop();
    await writeLatin1(
      lines
        .reverse()
        .map((l) => l + '\n')
        .join(''),
    );
    return;
  }
  // --json before -i before -b, the -bp text otherwise
  const format = o.json ? ndjsonLines : o.idsOnly ? idLines : o.brief ? briefLines : bpText;
  if (!o.reverse) {
    const chunks = await readQueueChunks(spool, format, {
      select,
      onParts: writeParts,
      index: o.index,
    });
    for (const c of chunks) await writeParts(c.parts);
    return;
  }
  const now = Math.floor(Date.now() / 1000);
  const msgs = await readQueue(spool, { select, now });
  await writeParts(renderMessages(format, msgs.reverse(), now));
}

export function register(program: Command): void {
  const mq = program
    .command('mailq')
    .description('Exim mail queue: list, count, search, clean, find the spammer');

  addListing(
    addSelection(
      addCommon(
        mq
          .command('list')
          .description('list the queue (exim -bp layout; exiqgrep selection flags)'),
      ),
    ),
  )
    .argument('[ids...]', 'only these message ids')
    .action((ids: string[], o: ListOpts) => listMessages(ids, o));

  addListing(
    addSelection(
      addCommon(
        mq
          .command('select')
          .description(
            "exipick: the messages matching criteria such as '$sender_address =~ /x/' '!$deliver_freeze' (--or, --not)",
          ),
      ),
    ),
  )
    .argument(
      '[criteria...]',
      'exipick criteria (VARIABLE OPERATOR VALUE, ! to negate), ANDed unless --or',
    )
    .action((crit: string[], o: ListOpts) =>
      listMessages([], { ...o, where: [...crit, ...(o.where ?? [])] }),
    );

  for (const [name, verb, desc] of [
    ['rm', 'removed', 'remove messages (exim -Mrm)'],
    ['freeze', 'frozen', 'freeze messages (exim -Mf)'],
    ['thaw', 'thawed', 'thaw messages (exim -Mt)'],
    ['deliver', 'delivered', 'force a delivery attempt (exim -M)'],
  ] as [ActionName, string, string][]) {
    const cmd = addSelection(
      addCommon(
        mq.command(name).description(`${desc}: by id, or by selection (preview unless --yes)`),
      ),
    )
      .argument('[ids...]', 'message ids (acted on directly)')
      .option('--yes', 'act on the selection (default: only show what would be touched)')
      .option('--all', 'select every message on the queue (except those whose -H cannot be read)')
      .option(
        '--batch <n>',
        'ids per exim invocation (default: as many as fit a 128 KB command line, as xargs does)',
      )
      .option(
        '--jobs <n>',
        'exim processes at once, each on its own ids (default 2; 1 for deliver)',
      )
      .option(
        '--audit-log <file>',
        'audit log (default $HOSTOPS_AUDIT_LOG or /var/log/hostops/audit.log)',
      );
    if (name === 'rm')
      cmd.option(
        '--include-unreadable',
        'also remove the messages whose -H file cannot be read (no selection matches them)',
      );
    cmd.action(
      async (
        ids: string[],
        o: CommonOpts &
          SelectOpts & {
            yes?: boolean;
            all?: boolean;
            batch?: string;
            jobs?: string;
            auditLog?: string;
            includeUnreadable?: boolean;
          },
      ) => {
        const sel = selectionOf(o);
        const bySelection = !isEmptySelection(sel) || o.all;
        if (ids.length && bySelection)
          throw usageError('MAILQ_BAD_SELECTION', 'give message ids or a selection, not both');
        if (!ids.length && !bySelection) {
          throw usageError('MAILQ_NO_SELECTION', `nothing selected for ${name}`);
        }
        let targets = ids;
        // messages without an envelope (unreadable -H): never part of a selection, listed apart
        let unreadable: QueueMessage[] = [];
        if (bySelection) {
          const spool = await spoolOf(o);
          const q = await readQueueSplit(spool, {
            select: isEmptySelection(sel) ? undefined : sel,
          });
          const msgs = q.messages.filter((m) => !isUnreadable(m)); // --all has no predicate to leave them out
          unreadable = q.unreadable;
          const extra = o.includeUnreadable ? unreadable : [];
          if (o.includeUnreadable) unreadable = [];
          targets = [...msgs, ...extra].map((m) => m.id);
          if (!o.yes) {
            if (o.json) {
              await outJson({
                action: name,
                preview: true,
                count: targets.length,
                ids: targets,
                unreadable: unreadable.map((m) => ({ id: m.id, error: m.error })),
              });
            } else {
              const now = Math.floor(Date.now() / 1000);
              await writeLatin1([...msgs, ...extra].map((m) => formatBp(m, now)).join(''));
              await out(
                `${targets.length} message(s) would be ${verb}. Run again with --yes to do it.\n`,
              );
              if (unreadable.length) await writeLatin1(unreadableNote(unreadable, name, now));
            }
            return;
          }
        } else assertMessageIds(ids);
        const [{ progress }, { runAction }] = await Promise.all([
          import('../lib/progress.js'),
          import('../mailq/actions.js'),
        ]);
        // on a terminal only: nothing is drawn when the output is piped or --json
        const bar = progress(
          name,
          targets.length,
          !o.json && Boolean(process.stdout.isTTY) && targets.length > 100,
        );
        let ticked = 0;
        const results = await runAction(name, targets, {
          exim: o.exim,
          eximArgs: [
            ...eximArgs(o),
            ...(o.queue !== undefined ? ['-qG' + queueName(o.queue)] : []),
          ],
          auditLog: o.auditLog,
          batchSize: o.batch === undefined ? undefined : Math.max(1, Number(o.batch) || 100),
          jobs: o.jobs === undefined ? undefined : Math.max(1, Number(o.jobs) || 1),
          selection: bySelection
            ? { ...sel, all: o.all || undefined, queue: o.queue }
            : o.queue !== undefined
              ? { queue: o.queue }
              : undefined,
          onProgress: (d) => {
            bar.tick(d - ticked);
            ticked = d;
          },
        });
        bar.stop();
        const bad = results.filter((r) => r.status !== 'done' && r.status !== 'noop');
        if (o.json)
          printJson({
            action: name,
            results,
            ...(unreadable.length ? { unreadableLeft: unreadable.map((m) => m.id) } : {}),
          });
        else {
          if (unreadable.length)
            process.stderr.write(
              `hostops: ${unreadable.length} message(s) whose -H file cannot be read left alone: ${unreadable.map((m) => m.id).join(' ')}\n`,
            );
          for (const r of results)
            if (r.status !== 'done') process.stdout.write(`${r.id}: ${r.status}: ${r.detail}\n`);
          const done = results.filter((r) => r.status === 'done').length;
          process.stdout.write(
            `${done} of ${results.length} message(s) ${verb}${bad.length ? `, ${bad.length} not (see above)` : ''}\n`,
          );
        }
        if (bad.length) process.exitCode = 1;
      },
    );
  }

  addSelection(
    addCommon(
      mq
        .command('summary')
        .description(
          'per-domain table (exiqsumm, counted per message) and top senders, AUTH users, scripts',
        ),
    ),
  )
    .option('--sort <key>', 'domain table order: domain, count or age', 'domain')
    .option('--top <n>', 'rows per top list', '10')
    .action(async (o: CommonOpts & SelectOpts & { sort: string; top: string }) => {
      const spool = await spoolOf(o);
      const sel = selectionOf(o);
      const msgs = await readQueue(spool, { select: isEmptySelection(sel) ? undefined : sel });
      const { summarize, formatSummary } = await import('../mailq/summary.js');
      const s = summarize(msgs, { top: Number(o.top) || 10 });
      if (o.json) printJson(s);
      else await writeLatin1(formatSummary(s, Math.floor(Date.now() / 1000), o.sort as 'domain'));
    });

  addCommon(mq.command('show').description('one message: envelope, headers, body and message log'))
    .argument('<id>', 'message id')
    .option('--no-body', 'leave out the body')
    .action(async (id: string, o: CommonOpts & { body: boolean }) => {
      const spool = await spoolOf(o);
      const [{ showMessage }, { toJsonMessage }] = await Promise.all([
        import('../mailq/show.js'),
        import('../mailq/json.js'),
      ]);
      const s = showMessage(spool, id);
      if (o.json) {
        printJson({
          ...toJsonMessage(s.message),
          headers: Buffer.from(s.headers, 'latin1').toString('utf8'),
          body: o.body ? s.body.toString('utf8') : undefined,
          msglog: s.msglog,
          files: s.files,
        });
        return;
      }
      await writeLatin1(formatBp(s.message, Math.floor(Date.now() / 1000)));
      await writeLatin1('--- headers\n' + s.headers);
      if (o.body) {
        process.stdout.write('--- body\n');
        process.stdout.write(s.body);
        if (s.body.length && s.body[s.body.length - 1] !== 10) process.stdout.write('\n');
      }
      await writeLatin1('--- msglog\n' + (s.msglog ?? '(no message log)\n'));
    });

  addCommon(
    mq
      .command('sources')
      .description(
        'what is sending mail: scripts (cwd=), AUTH users, local users, senders, IPs, per hour; joined with the queue',
      ),
  )
    .option(
      '--log <file>',
      "mainlog file (repeatable; default: exim's log_file_path and its rotations, .gz included)",
      (v: string, a: string[] = []) => [...a, v],
    )
    .option(
      '--since <time>',
      "from this time (ISO date/time in the log's local time, or a duration ago: 6h, 2d)",
    )
    .option('--until <time>', 'up to this time')
    .option('--top <n>', 'rows per table', '10')
    .option('--no-queue', 'do not join with the live queue')
    .option('--scripts-only', "only the cwd= report (the seed one-liner's question), fastest")
    .option('--no-hourly', 'leave out the per-hour table')
    .action(
      async (
        o: CommonOpts & {
          log?: string[];
          since?: string;
          until?: string;
          top: string;
          queue: boolean;
          scriptsOnly?: boolean;
          hourly: boolean;
        },
      ) => {
        const [{ findExim }, { sources }, { formatSources }, { execFileSync }] = await Promise.all([
          import('../mailq/paths.js'),
          import('../mailq/sources.js'),
          import('../mailq/sources-format.js'),
          import('node:child_process'),
        ]);
        const { paths, logs, queue } = await mainlogAndQueue(o);
        const r = await sources({
          logs,
          since: o.since ? parseTimePoint(o.since) : undefined,
          until: o.until ? parseTimePoint(o.until) : undefined,
          queue,
          top: Number(o.top) || 10,
          scriptsOnly: o.scriptsOnly,
          spoolDirs: [...new Set([paths.spool, '/var/spool/exim4', '/var/spool/exim'])],
        });
        if (!r.argumentsLogging) {
          // confirm with exim itself when it is here (the logs scanned may simply predate the change)
          const exim = findExim(o.exim);
          if (exim) {
            try {
              const sel = execFileSync(exim, [...eximArgs(o), '-bP', 'log_selector'], {
                encoding: 'utf8',
                timeout: 10_000,
                stdio: ['ignore', 'pipe', 'ignore'],
              });
              if (/\+arguments\b|\+all\b/.test(sel))
                r.argumentsHint =
                  'exim has +arguments on now, but the logs scanned hold no cwd= lines (they predate it or cover no local submissions).';
            } catch {
              /* keep the generic hint */
            }
          }
        }
        if (o.json) printJson(r);
        else await writeLatin1(formatSources(r, { hourly: o.hourly }));
        if (r.garbage)
          process.stderr.write(
            `hostops: ${r.garbage} garbage line(s) skipped in the mainlog (listed in the report)\n`,
          );
      },
    );

  registerDeliveries(mq, { addCommon, mainlogAndQueue, writeLatin1 });

  addCommon(
    mq
      .command('watch')
      .description('live view of queue size, growth rate and top senders (q or Ctrl-C quits)'),
  )
    .option('--interval <seconds>', 'refresh interval', '2')
    .option('--iterations <n>', 'stop after n refreshes')
    .action(async (o: CommonOpts & { interval: string; iterations?: string }) => {
      const spool = await spoolOf(o);
      const tty = Boolean(process.stdout.isTTY) && !o.json;
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      const stdin = process.stdin;
      if (tty && stdin.isTTY) {
        stdin.setRawMode(true);
        stdin.resume();
        stdin.on('data', (d: Buffer) => {
          if (d[0] === 0x71 /* q */ || d[0] === 0x03 /* ^C */) stop();
        });
        process.stdout.write('\x1b[?25l');
      }
      try {
        const [{ watchQueue }, { formatVolume }] = await Promise.all([
          import('../mailq/watch.js'),
          import('../mailq/summary.js'),
        ]);
        for await (const snap of watchQueue(spool, {
          intervalSeconds: Number(o.interval) || 2,
          signal: ac.signal,
          iterations: o.iterations ? Number(o.iterations) : undefined,
        })) {
          if (ac.signal.aborted) break;
          if (!tty) {
            printNdjson(snap);
            continue;
          }
          process.stdout.write(
            '\x1b[H\x1b[2J' + renderWatch(snap, spool, process.stdout.rows || 24, formatVolume),
          );
        }
      } finally {
        process.removeListener('SIGINT', stop);
        if (tty && stdin.isTTY) {
          stdin.setRawMode(false);
          stdin.pause();
          process.stdout.write('\x1b[?25h\n');
        }
      }
    });

  addSelection(
    addCommon(
      mq.command('count').description('number of messages (exim -bpc), or of the selected ones'),
    ),
  )
    .option('--no-index', 'read the spool; neither use nor refresh the queue index')
    .action(async (o: CommonOpts & SelectOpts & { index: boolean }) => {
      const spool = await spoolOf(o);
      const sel = selectionOf(o);
      const n = isEmptySelection(sel)
        ? countQueue(spool, { index: o.index })
        : (await readQueueChunks(spool, countOnly, { select: sel, index: o.index })).reduce(
            (a, c) => a + c.matched,
            0,
          );
      if (o.json) await outJson({ count: n });
      else await out(`${n}\n`);
    });
}
