/**
 * `hostops mailq deliveries` (alias `stats`, eximstats' name): delivery analytics from the
 * mainlog. Registered from mailq.ts, which lends its shared option and exim helpers.
 */
import type { Command } from 'commander';
import { printJson } from '../lib/output.js';
import { parseTimePoint } from '../mailq/duration.js';
import type { QueueMessage } from '../mailq/types.js';

interface Helpers {
  addCommon: (c: Command) => Command;
  mainlogAndQueue: (o: Opts) => Promise<{ logs: string[]; queue?: QueueMessage[] }>;
  writeLatin1: (s: string) => Promise<void>;
}

interface Opts {
  spool?: string;
  exim?: string;
  config?: string;
  define?: string[];
  json?: boolean;
  log?: string[];
  since?: string;
  until?: string;
  top: string;
  queue: boolean;
  hourly: boolean;
}

export function registerDeliveries(mq: Command, h: Helpers): void {
  h.addCommon(
    mq
      .command('deliveries')
      .alias('stats')
      .description(
        'delivery analytics from the mainlog (eximstats): deliveries, deferrals, failures, rejections per host, domain and hour; reasons grouped; joined with the queue',
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
    .option('--top <n>', 'rows per table and reason texts per category', '10')
    .option('--no-queue', 'do not join with the live queue')
    .option('--no-hourly', 'leave out the per-hour table')
    .action(async (o: Opts) => {
      const [{ deliveries }, { formatDeliveries }, { logStamp }] = await Promise.all([
        import('../mailq/deliveries.js'),
        import('../mailq/deliveries-format.js'),
        import('../mailq/sources.js'),
      ]);
      const { logs, queue } = await h.mainlogAndQueue(o);
      const top = Number(o.top) || 10;
      const r = await deliveries({
        logs,
        queue,
        top,
        since: o.since ? logStamp(parseTimePoint(o.since)) : undefined,
        until: o.until ? logStamp(parseTimePoint(o.until)) : undefined,
      });
      if (o.json) printJson(r);
      else await h.writeLatin1(formatDeliveries(r, { top, hourly: o.hourly }));
      for (const f of r.files)
        if (f.error)
          process.stderr.write(`hostops: ${f.path}: ${f.error} (kept the ${f.lines} lines read)\n`);
    });
}
