import type { Command } from 'commander';
import { HostopsError, usageError } from '../lib/errors.js';
import { printJson } from '../lib/output.js';
import { parseHostPort, parseDuration } from '../probe/common.js';
import { probeTcp, type TcpResult } from '../probe/tcp.js';
import { probeHttp, type HttpResult } from '../probe/http.js';
import { probeDns, type DnsResult } from '../probe/dns.js';
import { probeSmtp, type SmtpResult } from '../probe/smtp.js';
import type { TlsInfo } from '../probe/tls-info.js';
import { readFileSync } from 'node:fs';
import { envError } from '../lib/errors.js';

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw HostopsError.of('BAD_OPTION', name, v, `an integer ${min}..${max}`);
  return n;
};
const dur = (name: string) => (v: string) => parseDuration(v, name);
const ms = (x: number | null) => (x === null ? '-' : x.toFixed(3));

export function formatTcp(r: TcpResult): string {
  const lines = r.attempts.map(
    (a) =>
      `${r.address}:${r.port} seq=${a.seq} ${a.ms !== null ? `connect=${ms(a.ms)} ms` : `failed: ${a.error}`}`,
  );
  lines.push(`--- ${r.host}:${r.port} tcp probe ---`);
  lines.push(
    `${r.sent} attempts, ${r.received} connected, ${r.lossPct}% loss${r.received ? `, min/avg/max = ${ms(r.minMs)}/${ms(r.avgMs)}/${ms(r.maxMs)} ms` : ''}`,
  );
  return lines.join('\n') + '\n';
}

export function formatTls(t: TlsInfo): string[] {
  const out = [
    `tls ${t.protocol ?? '?'} ${t.cipher ?? '?'}, ${t.authorized ? 'trusted' : `NOT trusted (${t.authorizationError})`}`,
  ];
  if (t.cert)
    out.push(
      `cert subject ${t.cert.subject}; issuer ${t.cert.issuer}; expires ${t.cert.notAfter} (${t.cert.daysLeft} days left)`,
    );
  return out;
}

export function formatHttp(r: HttpResult): string {
  const head =
    r.status !== null
      ? `${r.url} -> ${r.status} (HTTP/${r.httpVersion}), ${r.bodyBytes} bytes${r.rateBps !== null ? `, ${r.rateBps} B/s` : ''}`
      : `${r.url} -> no response`;
  const lines = [head + (r.success ? '' : `: FAILED ${r.failure}`)];
  const row = (name: string, d: number | null, at: number | null) =>
    `  ${name.padEnd(10)} ${d === null ? '-'.padStart(10) : `${ms(d).padStart(7)} ms`}${at === null ? '' : `  (at ${ms(at)})`}`;
  lines.push(
    row('dns', r.phases.resolve, r.at.dnsMs),
    row('connect', r.phases.connect, r.at.connectMs),
    row('tls', r.phases.tls, r.at.tlsMs),
    row('first byte', r.phases.processing, r.at.firstByteMs),
    row('transfer', r.phases.transfer, null),
    row('total', r.at.totalMs, null),
  );
  if (r.tls) lines.push(...formatTls(r.tls).map((l) => '  ' + l));
  return lines.join('\n') + '\n';
}

export function formatDns(r: DnsResult): string {
  const lines = [
    `${r.name} ${r.type} @${r.server}:${r.port}: ${r.rcode ?? 'no reply'}${r.ms !== null ? ` in ${ms(r.ms)} ms` : ''}${r.response ? `, ${r.response.answers.length} answers${r.response.aa ? ', authoritative' : ''}` : ''}${r.success ? '' : `: FAILED ${r.failure}`}`,
  ];
  for (const a of r.response?.answers ?? [])
    lines.push(`  ${a.name}\t${a.ttl}\tIN\t${a.type}\t${a.data}`);
  return lines.join('\n') + '\n';
}

export function formatSmtp(r: SmtpResult): string {
  const lines = [`${r.host}:${r.port} smtp: ${r.success ? 'ok' : `FAILED ${r.failure}`}`];
  if (r.bannerMs !== null)
    lines.push(`  banner    ${ms(r.bannerMs)} ms  ${r.banner?.split('\n')[0]}`);
  if (r.ehloMs !== null) lines.push(`  ehlo      ${ms(r.ehloMs)} ms  ${r.capabilities.join(' ')}`);
  if (r.starttls.offered || r.ehloMs !== null)
    lines.push(
      `  starttls  ${r.starttls.offered ? (r.tlsMs !== null ? `${ms(r.tlsMs)} ms  after TLS: ${r.starttls.capabilities.join(' ')}` : 'offered') : 'not offered'}`,
    );
  if (r.starttls.tls) lines.push(...formatTls(r.starttls.tls).map((l) => '  ' + l));
  lines.push(`  total     ${ms(r.totalMs)} ms`);
  return lines.join('\n') + '\n';
}

/** `hostops probe tcp|http|dns|smtp`: one-shot service probes; exit 1 when the probe fails. */
export function register(program: Command): void {
  const probe = program
    .command('probe')
    .description('TCP, HTTP(S), DNS and SMTP probes (blackbox_exporter / SmokePing style)');

  probe
    .command('tcp')
    .description('TCP connect time per attempt, min/avg/max/loss')
    .argument('<host:port>', 'target, e.g. 127.0.0.1:22 or [::1]:443')
    .option('-c, --count <n>', 'attempts', int('--count', 1, 10000), 3)
    .option('-i, --interval <dur>', 'time between attempts', dur('--interval'), 1000)
    .option('--timeout <dur>', 'per-attempt timeout', dur('--timeout'), 2000)
    .option('--json', 'JSON output')
    .action(
      async (
        target: string,
        o: { count: number; interval: number; timeout: number; json?: boolean },
      ) => {
        const { host, port } = parseHostPort(target);
        const r = await probeTcp(host, port, {
          count: o.count,
          intervalMs: o.interval,
          timeoutMs: o.timeout,
        });
        if (o.json) printJson(r);
        else process.stdout.write(formatTcp(r));
        if (r.received < r.sent) process.exitCode = 1;
      },
    );

  probe
    .command('http')
    .description(
      'HTTP(S) request timed per phase (DNS, connect, TLS, first byte, transfer), status, size, certificate expiry',
    )
    .argument('<url>', 'http:// or https:// URL')
    .option('--timeout <dur>', 'whole-request timeout', dur('--timeout'), 10000)
    .option('-k, --insecure', 'accept a certificate that does not verify (it is still reported)')
    .option('--ca <file>', 'PEM CA bundle to verify against instead of the system store')
    .option(
      '--expect-status <codes>',
      'comma-separated statuses counted as success (default any 2xx)',
    )
    .option('--head', 'HEAD instead of GET')
    .option('--json', 'JSON output')
    .action(
      async (
        url: string,
        o: {
          timeout: number;
          insecure?: boolean;
          ca?: string;
          expectStatus?: string;
          head?: boolean;
          json?: boolean;
        },
      ) => {
        let ca: Buffer | undefined;
        if (o.ca) {
          try {
            ca = readFileSync(o.ca);
          } catch (e) {
            throw envError(
              'PROBE_CA_FILE',
              `cannot read --ca ${o.ca}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
            );
          }
        }
        const expectStatus = o.expectStatus?.split(',').map((x) => {
          const n = Number(x);
          if (!Number.isInteger(n) || n < 100 || n > 599)
            throw usageError(
              'BAD_OPTION',
              `--expect-status takes codes 100..599, got ${JSON.stringify(x)}`,
            );
          return n;
        });
        const r = await probeHttp(url, {
          timeoutMs: o.timeout,
          insecure: o.insecure,
          ca,
          expectStatus,
          method: o.head ? 'HEAD' : 'GET',
        });
        if (o.json) printJson(r);
        else process.stdout.write(formatHttp(r));
        if (!r.success) process.exitCode = 1;
      },
    );

  probe
    .command('dns')
    .description(
      'one UDP query to a server: answer time, rcode, answers, checked against an expected answer',
    )
    .argument('<name>', 'name to query')
    .requiredOption(
      '--server <addr[:port]>',
      'server address, e.g. 127.0.0.1 or 127.0.0.1:5353 or [::1]:53',
    )
    .option('--type <type>', 'query type: A AAAA NS CNAME SOA PTR MX TXT SRV CAA', 'A')
    .option('--expect <values>', 'comma-separated answer set (of --type) that counts as success')
    .option('--expect-rcode <rcode>', 'rcode that counts as success, e.g. NXDOMAIN', 'NOERROR')
    .option('--timeout <dur>', 'reply timeout', dur('--timeout'), 2000)
    .option('--json', 'JSON output')
    .action(
      async (
        name: string,
        o: {
          server: string;
          type: string;
          expect?: string;
          expectRcode: string;
          timeout: number;
          json?: boolean;
        },
      ) => {
        const { host, port } = parseHostPort(o.server, 53);
        const r = await probeDns(name, {
          server: host,
          port,
          type: o.type,
          timeoutMs: o.timeout,
          expect: o.expect?.split(','),
          expectRcode: o.expectRcode.toUpperCase(),
        });
        if (o.json) printJson(r);
        else process.stdout.write(formatDns(r));
        if (!r.success) process.exitCode = 1;
      },
    );

  probe
    .command('smtp')
    .description('SMTP banner time and text, EHLO capabilities, STARTTLS and the certificate')
    .argument('<host:port>', 'mail server, port defaults to 25')
    .option('--timeout <dur>', 'whole-exchange timeout', dur('--timeout'), 10000)
    .option('--helo <name>', 'EHLO name (default: this host name)')
    .option('--no-starttls', 'do not negotiate TLS even if offered')
    .option('--require-starttls', 'fail when STARTTLS is not offered')
    .option('-k, --insecure', 'accept a certificate that does not verify (it is still reported)')
    .option('--ca <file>', 'PEM CA bundle to verify against instead of the system store')
    .option('--json', 'JSON output')
    .action(
      async (
        target: string,
        o: {
          timeout: number;
          helo?: string;
          starttls: boolean;
          requireStarttls?: boolean;
          insecure?: boolean;
          ca?: string;
          json?: boolean;
        },
      ) => {
        const { host, port } = parseHostPort(target, 25);
        let ca: Buffer | undefined;
        if (o.ca) {
          try {
            ca = readFileSync(o.ca);
          } catch (e) {
            throw envError(
              'PROBE_CA_FILE',
              `cannot read --ca ${o.ca}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
            );
          }
        }
        const r = await probeSmtp(host, port, {
          timeoutMs: o.timeout,
          helo: o.helo,
          starttls: o.starttls,
          requireStarttls: o.requireStarttls,
          insecure: o.insecure,
          ca,
        });
        if (o.json) printJson(r);
        else process.stdout.write(formatSmtp(r));
        if (!r.success) process.exitCode = 1;
      },
    );
}
