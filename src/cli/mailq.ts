/**
 * `hostops mailq ...`: the Exim queue. This file parses flags and formats results; the work is
 * in src/mailq/. Text output of `list` is exim -bp's layout byte for byte.
 */
import { Command } from 'commander';
import { printJson, printNdjson } from '../lib/output.js';
import { usageError } from '../lib/errors.js';
import {
  locatePaths, readQueue, readQueueChunks, countSpool, toJsonMessage, compileSelection, isEmptySelection,
  parseDuration, parseSize, type Selection, type QueueMessage, assertMessageIds,
} from '../mailq/index.js';

interface CommonOpts {
  spool?: string;
  log?: string[];
  exim?: string;
  config?: string;
  json?: boolean;
}

interface SelectOpts {
  sender?: string; recipient?: string; sizeText?: string; minSize?: string; maxSize?: string;
  olderThan?: string; youngerThan?: string; older?: string; younger?: string;
  frozen?: boolean; unfrozen?: boolean; bounces?: boolean; subject?: string; header?: string;
  auth?: string; script?: string; scriptDomain?: string; localUser?: string;
}

function addCommon(c: Command): Command {
  return c
    .option('--spool <dir>', 'spool directory (default: exim -bP spool_directory, then Debian/cPanel paths)')
    .option('--exim <path>', 'exim binary (default: /usr/sbin/exim or exim4; env HOSTOPS_EXIM)')
    .option('-C, --config <file>', 'exim configuration file, passed to exim as -C')
    .option('--json', 'machine-readable output');
}

function addSelection(c: Command): Command {
  return c
    .option('-f, --sender <regex>', 'sender regex, matched against <sender> case-insensitively (^<>$ = bounces)')
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
    .option('--local-user <login>', 'login that submitted the message locally');
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
  if (o.frozen && o.unfrozen) throw usageError('MAILQ_BAD_SELECTION', '--frozen and --unfrozen exclude each other');
  if (o.frozen) s.frozen = true;
  if (o.unfrozen) s.frozen = false;
  if (o.bounces) s.bounces = true;
  if (o.subject !== undefined) s.subject = o.subject;
  if (o.header !== undefined) s.header = o.header;
  if (o.auth !== undefined) s.authUser = o.auth;
  if (o.script !== undefined) s.script = o.script;
  if (o.scriptDomain !== undefined) s.scriptDomain = o.scriptDomain;
  if (o.localUser !== undefined) s.localUser = o.localUser;
  if (ids.length) { assertMessageIds(ids); s.ids = ids; }
  compileSelection(s); // reject a bad regex before any file is read
  return s;
}

function eximArgs(o: CommonOpts): string[] {
  return o.config ? ['-C', o.config] : [];
}

async function spoolOf(o: CommonOpts): Promise<string> {
  return (await locatePaths({ spool: o.spool, exim: o.exim, eximArgs: eximArgs(o) })).spool;
}

const writeLatin1 = (s: string) => new Promise<void>((resolve) => {
  if (s.length === 0) return resolve();
  if (process.stdout.write(Buffer.from(s, 'latin1'))) resolve();
  else process.stdout.once('drain', () => resolve());
});

/** exiqgrep -b: `<id> From: <sender> To: a;b` (undelivered recipients). */
const brief = (m: QueueMessage) =>
  `${m.id} From: <${m.sender}> To: ${m.recipients.filter((r) => !r.delivered).map((r) => r.address).join(';')}\n`;

export function register(program: Command): void {
  const mq = program.command('mailq').description('Exim mail queue: list, count, search, clean, find the spammer');

  addSelection(addCommon(mq.command('list').description('list the queue (exim -bp layout; exiqgrep selection flags)')))
    .argument('[ids...]', 'only these message ids')
    .option('-i, --ids-only', 'print message ids only (exiqgrep -i)')
    .option('-c, --count', 'print "N matches out of M messages" (exiqgrep -c)')
    .option('-b, --brief', 'one line per message: id, sender, recipients (exiqgrep -b)')
    .action(async (ids: string[], o: CommonOpts & SelectOpts & { idsOnly?: boolean; count?: boolean; brief?: boolean }) => {
      const spool = await spoolOf(o);
      const sel = selectionOf(o, ids);
      const select = isEmptySelection(sel) ? undefined : sel;
      if (o.count) {
        const chunks = await readQueueChunks(spool, 'count', { select });
        const seen = chunks.reduce((a, c) => a + c.seen, 0);
        const matched = chunks.reduce((a, c) => a + c.matched, 0);
        if (o.json) printJson({ matches: matched, messages: seen });
        else process.stdout.write(`${matched} matches out of ${seen} messages\n`);
        return;
      }
      if (!o.json && !o.idsOnly && !o.brief) {
        for (const c of await readQueueChunks(spool, 'text', { select })) await writeLatin1(c.text);
        return;
      }
      const msgs = await readQueue(spool, { select });
      if (o.json) for (const m of msgs) printNdjson(toJsonMessage(m));
      else if (o.idsOnly) await writeLatin1(msgs.map((m) => m.id + '\n').join(''));
      else await writeLatin1(msgs.map(brief).join(''));
    });

  addSelection(addCommon(mq.command('count').description('number of messages (exim -bpc), or of the selected ones')))
    .action(async (o: CommonOpts & SelectOpts) => {
      const spool = await spoolOf(o);
      const sel = selectionOf(o);
      const n = isEmptySelection(sel) ? countSpool(spool) : (await readQueue(spool, { select: sel })).length;
      if (o.json) printJson({ count: n });
      else process.stdout.write(`${n}\n`);
    });
}
