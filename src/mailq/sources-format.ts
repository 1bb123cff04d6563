/** Text view of the sources report. */
import type { SourcesReport, SourceRow } from './sources.js';

const n = (x: number, w = 8) => String(x).padStart(w);

export function formatSources(r: SourcesReport, opts: { hourly?: boolean } = {}): string {
  let out = `Mainlog: ${r.files.map((f) => f.path + (f.error ? ` (unreadable: ${f.error})` : '')).join(', ')}\n`;
  const w = r.window;
  out += `Window: ${w.since ?? 'start'} .. ${w.until ?? 'end'}; arrivals from ${w.first ?? '-'} to ${w.last ?? '-'}\n`;
  out +=
    `${r.messages} messages received (${r.inbound} inbound from other hosts, not counted per sender), ${r.recipients} recipients` +
    (r.unknownRecipients
      ? ` (${r.unknownRecipients} arrivals without a recipient list: +received_recipients is off)`
      : '') +
    '\n';
  if (!r.argumentsLogging) out += `\nNOTE: ${r.argumentsHint}\n`;
  else if (!r.scripts.length) {
    // say why the scripts table is missing instead of leaving it out silently
    out += r.spoolReexecs
      ? `\nScripts: none. All ${r.spoolReexecs} cwd= line(s) are exim's own re-executions from the spool directory ` +
        '(deliveries and queue runs such as -Mc, not submissions): nothing here was sent by a script or a user command.\n'
      : '\nScripts: none. No complete cwd= line was found.\n';
  }
  if (r.scripts.length) {
    out += `\nScripts and directories that ran exim (cwd=; ${r.spoolReexecs} spool re-executions by exim itself left out)\n`;
    out += `${'submits'.padStart(8)} ${'other'.padStart(6)} ${'queued'.padStart(7)}  cwd\n`;
    for (const s of r.scripts) {
      out +=
        `${n(s.submissions)} ${n(s.admin, 6)} ${s.queued === undefined ? '      -' : n(s.queued, 7)}  ${s.cwd}` +
        (s.user ? `  (user ${s.user})` : '') +
        '\n';
      if (s.select) out += `${' '.repeat(25)}remove queued: ${s.select} --yes\n`;
    }
  }
  const table = (title: string, rows: SourceRow[], label = (k: string) => k) => {
    if (!rows.length) return;
    out += `\n${title}\n${'messages'.padStart(8)} ${'rcpts'.padStart(8)} ${'queued'.padStart(7)}  source\n`;
    for (const x of rows) {
      out += `${n(x.messages)} ${n(x.recipients)} ${x.queued === undefined ? '      -' : n(x.queued, 7)}  ${label(x.key)}\n`;
      if (x.select) out += `${' '.repeat(27)}remove queued: ${x.select} --yes\n`;
    }
  };
  table('SMTP AUTH users (A=)', r.authUsers);
  table('Local users (U=, local submissions)', r.localUsers);
  table('Senders', r.senders, (k) => `<${k}>`);
  table('Sender domains', r.senderDomains);
  table('Client IPs of SMTP AUTH senders (H=[ip])', r.clientIps);
  table('Unauthenticated SMTP clients (inbound, or relaying by IP)', r.smtpIps);
  if (r.queuedScripts.length) {
    out += '\nQueued now by X-PHP-Script\n';
    for (const x of r.queuedScripts)
      out += `${n(x.queued ?? 0)}  ${x.key}\n${' '.repeat(10)}remove: ${x.select} --yes\n`;
  }
  if (opts.hourly !== false && r.hourly.length) {
    out += '\nPer hour\n        hour  messages    rcpts\n';
    for (const h of r.hourly) out += `${h.hour}h ${n(h.messages, 9)} ${n(h.recipients)}\n`;
  }
  if (r.truncated) {
    out += `\n${r.truncated} cwd= line(s) were cut off before their "N args:" part (not counted as script directories):\n`;
    for (const g of r.truncatedSamples) out += `  ${g.file}:${g.line}: ${g.text}\n`;
  }
  if (r.garbage) {
    out += `\n${r.garbage} line(s) were not exim log lines (skipped):\n`;
    for (const g of r.garbageSamples) out += `  ${g.file}:${g.line}: ${g.text}\n`;
  }
  return out;
}
