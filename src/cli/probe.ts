import type { Command } from 'commander';
import { usageError } from '../lib/errors.js';
import { printJson } from '../lib/output.js';
import { parseHostPort } from '../probe/common.js';
import { probeTcp, type TcpResult } from '../probe/tcp.js';
import { probeHttp, type HttpResult } from '../probe/http.js';
import { probeDns, type DnsResult } from '../probe/dns.js';
import { probeSmtp, type SmtpResult } from '../probe/smtp.js';
import type { TlsInfo } from '../probe/tls-info.js';
import { readFileSync } from 'node:fs';
import { envError } from '../lib/errors.js';
import { applyOptions, type OptionSpec, type OptionTable } from './options/index.js';

/** probe durations: 1ms..600s, a bare number is milliseconds */
const dur = (flags: string, ms: number, help: string): OptionSpec => ({
  flags,
  type: 'duration',
  min: 1,
  max: 600_000,
  default: ms,
  defaultText: ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`,
  help,
});
const JSON_OUT: OptionSpec = { flags: '--json', type: 'bool', help: 'JSON output' };
const INSECURE: OptionSpec = {
  flags: '-k, --insecure',
  type: 'bool',
  help: 'accept a certificate that does not verify (it is still reported)',
};
const CA: OptionSpec = {
  flags: '--ca <file>',
  type: 'string',
  defaultText: 'the system store',
  help: 'PEM CA bundle to verify against',
};

const TCP_OPTIONS: OptionTable = {
  count: {
    flags: '-c, --count <n>',
    type: 'int',
    min: 1,
    max: 10000,
    default: 3,
    help: 'attempts',
  },
  interval: dur('-i, --interval <dur>', 1000, 'time between attempts'),
  timeout: dur('--timeout <dur>', 2000, 'per-attempt timeout'),
  json: JSON_OUT,
};
const HTTP_OPTIONS: OptionTable = {
  timeout: dur('--timeout <dur>', 10000, 'whole-request timeout'),
  insecure: INSECURE,
  ca: CA,
  expectStatus: {
    flags: '--expect-status <codes>',
    type: 'string',
    defaultText: 'any 2xx',
    help: 'comma-separated statuses (100..599) counted as success',
  },
  head: { flags: '--head', type: 'bool', help: 'HEAD instead of GET' },
  json: JSON_OUT,
};
const DNS_OPTIONS: OptionTable = {
  server: {
    flags: '--server <addr[:port]>',
    type: 'string',
    mandatory: true,
    help: 'server address, e.g. 127.0.0.1 or 127.0.0.1:5353 or [::1]:53',
  },
  type: {
    flags: '--type <type>',
    type: 'string',
    default: 'A',
    help: 'query type: A AAAA NS CNAME SOA PTR MX TXT SRV CAA',
  },
  expect: {
    flags: '--expect <values>',
    type: 'string',
    help: 'comma-separated answer set (of --type) that counts as success',
  },
  expectRcode: {
    flags: '--expect-rcode <rcode>',
    type: 'string',
    default: 'NOERROR',
    help: 'rcode that counts as success, e.g. NXDOMAIN',
  },
  timeout: dur('--timeout <dur>', 2000, 'reply timeout'),
  json: JSON_OUT,
};
const SMTP_OPTIONS: OptionTable = {
  timeout: dur('--timeout <dur>', 10000, 'whole-exchange timeout'),
  helo: {
    flags: '--helo <name>',
    type: 'string',
    defaultText: 'this host name',
    help: 'EHLO name',
  },
  starttls: {
    flags: '--no-starttls',
    type: 'bool',
    help: 'do not negotiate TLS even if offered',
  },
  requireStarttls: {
    flags: '--require-starttls',
    type: 'bool',
    help: 'fail when STARTTLS is not offered',
  },
  insecure: INSECURE,
  ca: CA,
  json: JSON_OUT,
};
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

/** The --ca file of the TLS probes (http, smtp), read once here so both name it the same way. */
function readCa(file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    throw envError(
      'PROBE_CA_FILE',
      `cannot read --ca ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/** `hostops probe tcp|http|dns|smtp`: one-shot service probes; exit 1 when the probe fails. */
export function register(program: Command): void {
  const probe = program
    .command('probe')
    .description('TCP, HTTP(S), DNS and SMTP probes (blackbox_exporter / SmokePing style)');

  const tcp = probe
    .command('tcp')
    .description('TCP connect time per attempt, min/avg/max/loss')
    .argument('<host:port>', 'target, e.g. 127.0.0.1:22 or [::1]:443');
  applyOptions(tcp, TCP_OPTIONS).action(
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

  const http = probe
    .command('http')
    .description(
      'HTTP(S) request timed per phase (DNS, connect, TLS, first byte, transfer), status, size, certificate expiry',
    )
    .argument('<url>', 'http:// or https:// URL');
  applyOptions(http, HTTP_OPTIONS).action(
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
      const ca = readCa(o.ca);
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

  const dns = probe
    .command('dns')
    .description(
      'one UDP query to a server: answer time, rcode, answers, checked against an expected answer',
    )
    .argument('<name>', 'name to query');
  applyOptions(dns, DNS_OPTIONS).action(
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

  const smtp = probe
    .command('smtp')
    .description('SMTP banner time and text, EHLO capabilities, STARTTLS and the certificate')
    .argument('<host:port>', 'mail server, port defaults to 25');
  applyOptions(smtp, SMTP_OPTIONS).action(
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
      const ca = readCa(o.ca);
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
