/**
 * MailqSource over src/mailq: the queue read from the spool itself (readQueue + summarize), the
 * spam-sources report from the mainlog (sources), removal through runAction('rm') with its audit log.
 */
import { existsSync } from 'node:fs';
import {
  locatePaths,
  readQueue,
  runAction,
  sources,
  summarize,
  type QueueMessage,
} from '../../mailq/index.js';
import type { MailqSnapshot, MailqSource } from './mailq.js';

export function mailqModuleSource(
  opts: { spool?: string; log?: string; auditLog?: string; eximArgs?: string[] } = {},
): MailqSource {
  let paths: { spool: string; logs: string[] } | null = null;
  const where = async () =>
    (paths ??= await locatePaths({ spool: opts.spool, log: opts.log, eximArgs: opts.eximArgs }));
  return {
    name: 'src/mailq',
    async available() {
      return existsSync(`${(await where()).spool}/input`);
    },
    async sample(): Promise<MailqSnapshot> {
      const p = await where();
      const now = Date.now() / 1000;
      const q: QueueMessage[] = await readQueue(p.spool);
      const s = summarize(q);
      const snap: MailqSnapshot = {
        messages: s.messages,
        frozen: s.frozen,
        bytes: s.volume,
        oldestAge: s.oldest == null ? null : Math.max(0, now - s.oldest),
        topSenders: s.senders
          .slice(0, 10)
          .map((r) => ({ sender: r.key, messages: r.count, bytes: r.volume })),
        topDomains: s.domains.slice(0, 10).map((d) => ({ domain: d.domain, messages: d.count })),
        frozenIds: q
          .filter((m) => m.frozen)
          .map((m) => m.id)
          .slice(0, 200),
      };
      return snap;
    },
    async sources(since) {
      const p = await where();
      const logs = p.logs.filter((f) => existsSync(f));
      if (!logs.length) return { messages: 0, top: [], note: 'no exim mainlog on this host' };
      const q = await readQueue(p.spool);
      const r = await sources({
        logs: logs.slice(0, 2),
        since: new Date(Date.now() - since * 1000),
        queue: q,
        top: 10,
        workers: 0,
      });
      const top = [
        ...r.authUsers.map((x) => ({
          source: x.key,
          kind: 'auth user',
          messages: x.messages,
          queued: x.queued,
          select: x.select,
        })),
        ...r.scripts.map((x) => ({
          source: x.cwd,
          kind: 'script',
          messages: x.submissions,
          queued: x.queued,
          select: x.select,
        })),
        ...r.localUsers.map((x) => ({
          source: x.key,
          kind: 'local user',
          messages: x.messages,
          queued: x.queued,
          select: x.select,
        })),
      ]
        .sort((a, b) => b.messages - a.messages)
        .slice(0, 10);
      return {
        messages: r.messages,
        top,
        ...(r.argumentsLogging
          ? {}
          : {
              note: r.argumentsHint ?? 'the arguments log selector is off: scripts cannot be named',
            }),
      };
    },
    async remove(ids) {
      const res = await runAction('rm', ids, { auditLog: opts.auditLog, eximArgs: opts.eximArgs });
      return {
        removed: res.filter((r) => r.status === 'done').map((r) => r.id),
        failed: res
          .filter((r) => r.status !== 'done')
          .map((r) => ({ id: r.id, error: `${r.status}: ${r.detail}` })),
      };
    },
  };
}
