/** Text report of `hostops mailq deliveries`: totals, then the tables that show where mail is refused. */
import type { DeliveriesReport, CategoryRow } from './deliveries.js';

const n = (v: number | undefined, w = 8) => String(v ?? '-').padStart(w);

function reasons(title: string, rows: CategoryRow[], texts: number): string {
  if (!rows.length) return '';
  let out = `\n${title}\n`;
  for (const c of rows) {
    out += `${n(c.count)}  ${c.category}\n`;
    for (const t of c.texts.slice(0, texts)) out += `${n(t.count, 14)}  ${t.text}\n`;
  }
  return out;
}

export function formatDeliveries(r: DeliveriesReport, o: { top: number; hourly: boolean }): string {
  const t = r.totals;
  let out = `mainlog ${r.files.map((f) => f.path).join(', ')}: ${r.lines} lines, ${r.window.first ?? '-'} to ${r.window.last ?? '-'}\n`;
  if (r.window.since || r.window.until)
    out += `window ${r.window.since ?? 'start'} to ${r.window.until ?? 'end'}\n`;
  out +=
    `received ${t.received}   delivered ${t.delivered} messages / ${t.addresses} addresses   deferrals ${t.deferrals} ` +
    `(${t.delayedMessages} messages)   failures ${t.failures} (${t.failedMessages} messages)   rejections ${t.rejections} ` +
    `+ ${t.temporaryRejections} temporary\n`;
  if (r.queue) out += `queue now ${r.queue.messages} messages, ${r.queue.frozen} frozen\n`;
  out += `\nremote hosts (most deferrals + failures first)\n    delivered  addresses  deferred    failed  host\n`;
  for (const h of r.hosts.slice(0, o.top)) {
    out += `${n(h.delivered, 13)}${n(h.addresses, 11)}${n(h.deferred, 10)}${n(h.failed, 10)}  ${h.host}${h.ip && h.ip !== h.host ? ` [${h.ip}]` : ''}\n`;
  }
  out += `\nrecipient domains\n    delivered  deferred    failed${r.queue ? '    queued    frozen' : ''}  domain\n`;
  for (const d of r.domains.slice(0, o.top)) {
    out += `${n(d.delivered, 13)}${n(d.deferred, 10)}${n(d.failed, 10)}${r.queue ? n(d.queued, 10) + n(d.frozen, 10) : ''}  ${d.domain}\n`;
  }
  out += reasons('deferral reasons (category, then the commonest texts)', r.deferReasons, 3);
  out += reasons('failure (bounce) reasons', r.bounceReasons, 3);
  if (r.rejectingIps.length) {
    out += '\nrejected clients (our ACLs)\n     rejected  temporary  ip\n';
    for (const x of r.rejectingIps.slice(0, o.top))
      out += `${n(x.rejected, 13)}${n(x.temporary, 11)}  ${x.ip}\n`;
    out += '\nrejection texts\n';
    for (const x of r.rejectReasons) out += `${n(x.count)}  ${x.text}\n`;
  }
  if (o.hourly && r.hourly.length) {
    out += '\nper hour          received delivered addresses  deferred    failed  rejected\n';
    for (const h of r.hourly)
      out += `${h.hour}:00 ${n(h.received, 9)}${n(h.delivered, 10)}${n(h.addresses, 10)}${n(h.deferred, 10)}${n(h.failed, 10)}${n(h.rejected, 10)}\n`;
  }
  return out;
}
