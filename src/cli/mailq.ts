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
import { parseTimePoint } from '../mailq/duration.js';
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
import { applyOptions, type OptionTable } from './options/index.js';
import {
  ACTION_OPTIONS,
  COMMON_OPTIONS,
  COUNT_OPTIONS,
  LISTING_OPTIONS,
  RM_OPTIONS,
  SELECTION_OPTIONS,
  SHOW_OPTIONS,
  SOURCES_OPTIONS,
  SUMMARY_OPTIONS,
  WATCH_OPTIONS,
} from './mailq-options.js';

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
  minSize?: number;
  maxSize?: number;
  olderThan?: number;
  youngerThan?: number;
  older?: number;
  younger?: number;
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

/** The common options (where the queue is, how exim runs), then the subcommand's own tables. */
function withOptions(c: Command, ...tables: OptionTable[]): Command {
  return applyOptions(c, Object.assign({}, COMMON_OPTIONS, ...tables));
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
  if (o.minSize !== undefined) s.minSize = o.minSize;
  if (o.maxSize !== undefined) s.maxSize = o.maxSize;
  if (o.older !== undefined) s.olderThan = o.older;
  if (o.younger !== undefined) s.youngerThan = o.younger;
  if (o.olderThan !== undefined) s.olderThan = o.olderThan;
  if (o.youngerThan !== undefined) s.youngerThan = o.youngerThan;
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

  registerListing(mq);
  registerActions(mq);
  registerReports(mq);
  registerDeliveries(mq, { withOptions, mainlogAndQueue, writeLatin1 });
  registerWatch(mq);
  registerCount(mq);
}

/** list and select: the queue as exim -bp, exiqgrep and exipick print it */
function registerListing(mq: Command): void {
  withOptions(mq.command('list'), SELECTION_OPTIONS, LISTING_OPTIONS)
    .description('list the queue (exim -bp layout; exiqgrep selection flags)')
    .argument('[ids...]', 'only these message ids')
    .action((ids: string[], o: ListOpts) => listMessages(ids, o));

  withOptions(mq.command('select'), SELECTION_OPTIONS, LISTING_OPTIONS)
    .description(
      "exipick: the messages matching criteria such as '$sender_address =~ /x/' '!$deliver_freeze' (--or, --not)",
    )
    .argument(
      '[criteria...]',
      'exipick criteria (VARIABLE OPERATOR VALUE, ! to negate), ANDed unless --or',
    )
    .action((crit: string[], o: ListOpts) =>
      listMessages([], { ...o, where: [...crit, ...(o.where ?? [])] }),
    );
}

/** rm, freeze, thaw, deliver: by id, or a selection previewed unless --yes */
function registerActions(mq: Command): void {
  for (const [name, verb, desc] of [
    ['rm', 'removed', 'remove messages (exim -Mrm)'],
    ['freeze', 'frozen', 'freeze messages (exim -Mf)'],
    ['thaw', 'thawed', 'thaw messages (exim -Mt)'],
    ['deliver', 'delivered', 'force a delivery attempt (exim -M)'],
  ] as [ActionName, string, string][]) {
    const cmd = withOptions(
      mq.command(name).description(`${desc}: by id, or by selection (preview unless --yes)`),
      SELECTION_OPTIONS,
      ACTION_OPTIONS,
      name === 'rm' ? RM_OPTIONS : {},
    ).argument('[ids...]', 'message ids (acted on directly)');
    cmd.action(async (ids: string[], o: ActionOpts) => {
      const picked = await actionTargets(name, verb, ids, o);
      if (!picked) return; // previewed
      const results = await executeAction(name, picked, o);
      reportAction(name, verb, results, picked.unreadable, o);
    });
  }
}

type ActionOpts = CommonOpts &
  SelectOpts & {
    yes?: boolean;
    all?: boolean;
    batch?: number;
    jobs?: number;
    auditLog?: string;
    includeUnreadable?: boolean;
  };

interface ActionTargets {
  targets: string[];
  /** messages without an envelope (unreadable -H): never part of a selection, listed apart */
  unreadable: QueueMessage[];
  bySelection: boolean;
  sel: Selection;
}

/** The ids to act on (given, or selected from the queue); null once a selection was only previewed. */
async function actionTargets(
  name: ActionName,
  verb: string,
  ids: string[],
  o: ActionOpts,
): Promise<ActionTargets | null> {
  const sel = selectionOf(o);
  const bySelection = Boolean(!isEmptySelection(sel) || o.all);
  if (ids.length && bySelection)
    throw usageError('MAILQ_BAD_SELECTION', 'give message ids or a selection, not both');
  if (!ids.length && !bySelection) {
    throw usageError('MAILQ_NO_SELECTION', `nothing selected for ${name}`);
  }
  if (!bySelection) {
    assertMessageIds(ids);
    return { targets: ids, unreadable: [], bySelection, sel };
  }
  const spool = await spoolOf(o);
  const q = await readQueueSplit(spool, {
    select: isEmptySelection(sel) ? undefined : sel,
  });
  const msgs = q.messages.filter((m) => !isUnreadable(m)); // --all has no predicate to leave them out
  let unreadable = q.unreadable;
  const extra = o.includeUnreadable ? unreadable : [];
  if (o.includeUnreadable) unreadable = [];
  const targets = [...msgs, ...extra].map((m) => m.id);
  if (o.yes) return { targets, unreadable, bySelection, sel };
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
    await out(`${targets.length} message(s) would be ${verb}. Run again with --yes to do it.\n`);
    if (unreadable.length) await writeLatin1(unreadableNote(unreadable, name, now));
  }
  return null;
}

/** Run exim on the targets in batches, with a progress bar on a terminal. */
async function executeAction(name: ActionName, t: ActionTargets, o: ActionOpts) {
  const [{ progress }, { runAction }] = await Promise.all([
    import('../lib/progress.js'),
    import('../mailq/actions.js'),
  ]);
  // on a terminal only: nothing is drawn when the output is piped or --json
  const bar = progress(
    name,
    t.targets.length,
    !o.json && Boolean(process.stdout.isTTY) && t.targets.length > 100,
  );
  let ticked = 0;
  const results = await runAction(name, t.targets, {
    exim: o.exim,
    eximArgs: [...eximArgs(o), ...(o.queue !== undefined ? ['-qG' + queueName(o.queue)] : [])],
    auditLog: o.auditLog,
    batchSize: o.batch,
    jobs: o.jobs,
    selection: t.bySelection
      ? { ...t.sel, all: o.all || undefined, queue: o.queue }
      : o.queue !== undefined
        ? { queue: o.queue }
        : undefined,
    onProgress: (d) => {
      bar.tick(d - ticked);
      ticked = d;
    },
  });
  bar.stop();
  return results;
}

/** What was done, what was not and why; exit 1 when any message was not acted on. */
function reportAction(
  name: ActionName,
  verb: string,
  results: Awaited<ReturnType<typeof executeAction>>,
  unreadable: QueueMessage[],
  o: ActionOpts,
): void {
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
}

/** summary, show, sources: what is on the queue and who sends it */
function registerReports(mq: Command): void {
  withOptions(mq.command('summary'), SELECTION_OPTIONS, SUMMARY_OPTIONS)
    .description(
      'per-domain table (exiqsumm, counted per message) and top senders, AUTH users, scripts',
    )
    .action(async (o: CommonOpts & SelectOpts & { sort: string; top: number }) => {
      const spool = await spoolOf(o);
      const sel = selectionOf(o);
      const msgs = await readQueue(spool, { select: isEmptySelection(sel) ? undefined : sel });
      const { summarize, formatSummary } = await import('../mailq/summary.js');
      const s = summarize(msgs, { top: o.top });
      if (o.json) printJson(s);
      else await writeLatin1(formatSummary(s, Math.floor(Date.now() / 1000), o.sort as 'domain'));
    });

  withOptions(mq.command('show'), SHOW_OPTIONS)
    .description('one message: envelope, headers, body and message log')
    .argument('<id>', 'message id')
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

  withOptions(mq.command('sources'), SOURCES_OPTIONS)
    .description(
      'what is sending mail: scripts (cwd=), AUTH users, local users, senders, IPs, per hour; joined with the queue',
    )
    .action(
      async (
        o: CommonOpts & {
          log?: string[];
          since?: string;
          until?: string;
          top: number;
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
          top: o.top,
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
}

/** watch: the live view */
function registerWatch(mq: Command): void {
  withOptions(mq.command('watch'), WATCH_OPTIONS)
    .description('live view of queue size, growth rate and top senders (q or Ctrl-C quits)')
    .action(async (o: CommonOpts & { interval: number; iterations?: number }) => {
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
          intervalSeconds: o.interval,
          signal: ac.signal,
          iterations: o.iterations,
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
}

/** count: exim -bpc, or the selected messages */
function registerCount(mq: Command): void {
  withOptions(mq.command('count'), SELECTION_OPTIONS, COUNT_OPTIONS)
    .description('number of messages (exim -bpc), or of the selected ones')
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
