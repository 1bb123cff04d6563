import type { Command } from 'commander';
import { HostopsError, isHostopsError, usageError } from '../lib/errors.js';
import { printJson } from '../lib/output.js';
import { msOption } from './ms-option.js';
import { ntpQuery, ntpCheck, type NtpQueryResult, type NtpCheckResult } from '../ntp/index.js';
import { auditFile, type AuditResult } from '../ntp/audit.js';
import { textTable } from '../lib/text-table.js';

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw HostopsError.of('BAD_OPTION', name, v, `an integer ${min}..${max}`);
  return n;
};

/** `hostops ntp query|check|audit`. */
export function register(program: Command): void {
  const ntp = program
    .command('ntp')
    .description('NTP client, amplification exposure check and config audit');

  ntp
    .command('query')
    .description('one mode 3 (client) exchange: offset, delay, stratum, refid, leap, KoD')
    .argument('<host>', 'server name or address')
    .option('-p, --port <n>', 'UDP port', int('--port', 1, 65535), 123)
    .option(
      '-t, --timeout <duration>',
      'reply timeout: 2s, 500ms; a bare number is milliseconds',
      msOption('--timeout', 1, 60000),
      2000,
    )
    .option('--json', 'JSON output')
    .action(async (host: string, o: { port: number; timeout: number; json?: boolean }) => {
      const r = await ntpQuery(host, { port: o.port, timeoutMs: o.timeout });
      if (o.json) printJson(r);
      else process.stdout.write(formatQuery(r));
      if (r.kod && r.kod !== 'INIT') process.exitCode = 1;
    });

  ntp
    .command('check')
    .description(
      'probe mode 7 monlist, mode 6 and mode 3; bytes and packets returned vs sent, factor, fix',
    )
    .argument('<host...>', 'servers to check')
    .option('-p, --port <n>', 'UDP port', int('--port', 1, 65535), 123)
    .option(
      '-t, --timeout <duration>',
      'per-probe timeout: 2s, 500ms; a bare number is milliseconds',
      msOption('--timeout', 1, 60000),
      2000,
    )
    .option(
      '-s, --request-size <bytes>',
      'mode 7 request size in bytes, 8..468: 8 is the minimum ntpd accepts, 48 what nmap sends, 192 what ntpdc and zmap send',
      int('--request-size', 8, 468),
      48,
    )
    .option('--json', 'JSON output')
    .action(
      async (
        hosts: string[],
        o: { port: number; timeout: number; requestSize: number; json?: boolean },
      ) => {
        // up to 8 hosts at a time; results keep the order given
        // one host that does not resolve must not throw away the others' results: with several hosts,
        // its error is reported in its place and the run goes on
        const results: (NtpCheckResult | { host: string; error: HostopsError })[] = new Array(
          hosts.length,
        );
        let nextHost = 0;
        const worker = async () => {
          while (nextHost < hosts.length) {
            const i = nextHost++;
            try {
              results[i] = await ntpCheck(hosts[i], {
                port: o.port,
                timeoutMs: o.timeout,
                requestSize: o.requestSize,
              });
            } catch (e) {
              if (hosts.length === 1 || !isHostopsError(e)) throw e;
              results[i] = { host: hosts[i], error: e };
            }
          }
        };
        await Promise.all([...Array(Math.min(8, hosts.length))].map(worker));
        const failed = results.filter(
          (r): r is { host: string; error: HostopsError } => 'error' in r,
        );
        if (o.json)
          printJson(
            results.length === 1
              ? results[0]
              : results.map((r) => ('error' in r ? { host: r.host, error: r.error.toJSON() } : r)),
          );
        else {
          process.stdout.write(
            results
              .map((r) =>
                'error' in r ? `${r.host}  error: ${r.error.message}\n` : formatCheck(r),
              )
              .join('\n'),
          );
          for (const f of failed)
            process.stderr.write(
              `hostops: ${f.host}: ${f.error.message}\n  code: ${f.error.code}\n`,
            );
        }
        // an incomplete run exits with its error's code (2 or 3); a complete one 1 when any host amplifies
        if (failed.length) process.exitCode = Math.max(...failed.map((f) => f.error.exitCode));
        else if (results.some((r) => !('error' in r) && r.vulnerable)) process.exitCode = 1;
      },
    );

  ntp
    .command('audit')
    .description(
      'read ntp.conf / ntpsec ntp.conf / chrony.conf and name each exposure with the lines that fix it',
    )
    .argument('<file...>', 'config files')
    .option('--type <kind>', 'ntpd | ntpsec | chrony (default: guessed from the file)')
    .option('--json', 'JSON output')
    .action(async (files: string[], o: { type?: string; json?: boolean }) => {
      if (o.type && !['ntpd', 'ntpsec', 'chrony'].includes(o.type))
        throw usageError('BAD_OPTION', `--type must be ntpd, ntpsec or chrony, got ${o.type}`);
      // an unreadable file is reported and the other files are still audited
      type Failed = { file: string; error: HostopsError };
      const isFailed = (r: AuditResult | Failed): r is Failed => 'error' in r;
      const results: (AuditResult | Failed)[] = [];
      for (const f of files) {
        try {
          results.push(
            await auditFile(f, { kind: o.type as 'ntpd' | 'ntpsec' | 'chrony' | undefined }),
          );
        } catch (e) {
          if (files.length === 1 || !isHostopsError(e)) throw e;
          results.push({ file: f, error: e });
        }
      }
      const failed = results.filter(isFailed);
      if (o.json)
        printJson(
          results.length === 1
            ? results[0]
            : results.map((r) => (isFailed(r) ? { file: r.file, error: r.error.toJSON() } : r)),
        );
      else {
        process.stdout.write(
          results
            .map((r) => (isFailed(r) ? `${r.file}: error: ${r.error.message}\n` : formatAudit(r)))
            .join('\n'),
        );
        for (const f of failed)
          process.stderr.write(
            `hostops: ${f.error.message}${f.error.where ? ` (${f.error.where})` : ''}\n  code: ${f.error.code}\n`,
          );
      }
      if (failed.length) process.exitCode = Math.max(...failed.map((f) => f.error.exitCode));
      else if (results.some((r) => !isFailed(r) && r.exposed)) process.exitCode = 1;
    });
}

/** First line as `ntpdate -q` prints it (scripts grep it), then the rest of the header. */
export function formatQuery(r: NtpQueryResult): string {
  const lines = [
    `server ${r.address}, stratum ${r.stratum}, offset ${r.offset >= 0 ? '+' : ''}${r.offset.toFixed(6)}, delay ${r.delay.toFixed(5)}`,
  ];
  if (r.kod) lines.push(`kiss-o'-death: ${r.kod} (${r.kodMeaning})`);
  lines.push(
    `refid ${r.refid}, leap ${r.leap} (${r.leapText}), NTPv${r.version} mode ${r.mode}, ${r.host}${r.host !== r.address ? ` (${r.address})` : ''} port ${r.port}`,
    `precision 2^${r.precision} (${r.precisionSeconds.toExponential(2)} s), poll 2^${r.poll}`,
    `root delay ${r.rootDelay.toFixed(6)} s, root dispersion ${r.rootDispersion.toFixed(6)} s`,
    `reference time ${r.referenceTime ? new Date(r.referenceTime * 1000).toISOString() : '(none)'}`,
    `synchronized: ${r.synchronized ? 'yes' : 'no'}`,
  );
  return lines.join('\n') + '\n';
}

export function formatCheck(r: NtpCheckResult): string {
  const out = [
    `${r.host}${r.host !== r.address ? ` (${r.address})` : ''}:${r.port}  server: ${r.server}${r.serverVersion ? ` (${r.serverVersion})` : ''}`,
  ];
  out.push(
    `factors: UDP payload layer (BAF = reply payload bytes / request payload bytes); mode 7 request ${r.requestSize} bytes; frame = Ethernet without FCS`,
  );
  // fixed widths (a long value pushes its row right), the detail unpadded
  const columns = [24, 10, 14, 9, 9, 11, 0].map((width) => ({ width }));
  const rows = r.probes.map((p) => {
    const a = p.amplification;
    return [
      p.probe,
      `${a.requestPackets}p/${a.requestBytes}B`,
      `${a.replyPackets}p/${a.replyBytes}B`,
      a.replyPackets ? `${a.factor}x` : '-',
      a.replyPackets ? `${a.frameFactor}x` : '-',
      p.verdict,
      p.detail + (p.stray ? ` (${p.stray} stray datagrams ignored)` : ''),
    ];
  });
  out.push(
    ...textTable([['probe', 'sent', 'returned', 'factor', 'frame', 'verdict', 'detail'], ...rows], {
      columns,
      gap: ' ',
      trimEnd: false,
    }),
  );
  if (r.worst)
    out.push(`worst: ${r.worst.probe} ${r.worst.factor}x payload, ${r.worst.frameFactor}x frame`);
  out.push(`verdict: ${r.verdict.toUpperCase()}`);
  if (r.fix.length) out.push('fix:', ...r.fix.map((l) => `  ${l}`));
  return out.join('\n') + '\n';
}

export function formatAudit(r: AuditResult): string {
  const out = [`${r.file}: ${r.kind}${r.findings.length ? '' : ' - no exposure found'}`];
  for (const f of r.findings) {
    out.push(
      `  ${f.severity.toUpperCase()} ${f.id}${f.line ? ` (line ${f.line}${f.text ? `: ${f.text}` : ''})` : ''}`,
    );
    out.push(`    ${f.message}`);
    if (f.fix.length) out.push('    fix:', ...f.fix.map((l) => `      ${l}`));
  }
  for (const e of r.errors) out.push(`  warning: line ${e.line}: ${e.message}`);
  return out.join('\n') + '\n';
}
