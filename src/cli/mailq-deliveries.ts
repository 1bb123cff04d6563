/**
 * `hostops mailq deliveries` (alias `stats`, eximstats' name): delivery analytics from the
 * mainlog. Registered from mailq.ts, which lends its shared option and exim helpers.
 */
import type { Command } from 'commander';
import { printJson } from '../lib/output.js';
import { parseTimePoint } from '../mailq/duration.js';
import type { QueueMessage } from '../mailq/types.js';
import type { OptionTable } from './options/index.js';
import { DELIVERIES_OPTIONS } from './mailq-options.js';

interface Helpers {
  withOptions: (c: Command, ...tables: OptionTable[]) => Command;
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
  top: number;
  queue: boolean;
  hourly: boolean;
}

export function registerDeliveries(mq: Command, h: Helpers): void {
  h.withOptions(mq.command('deliveries'), DELIVERIES_OPTIONS)
    .alias('stats')
    .description(
      'delivery analytics from the mainlog (eximstats): deliveries, deferrals, failures, rejections per host, domain and hour; reasons grouped; joined with the queue',
    )
    .action(async (o: Opts) => {
      const [{ deliveries }, { formatDeliveries }, { logStamp }] = await Promise.all([
        import('../mailq/deliveries.js'),
        import('../mailq/deliveries-format.js'),
        import('../mailq/sources.js'),
      ]);
      const { logs, queue } = await h.mainlogAndQueue(o);
      const top = o.top;
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
