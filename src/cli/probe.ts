import type { Command } from 'commander';
import { usageError } from '../lib/errors.js';
import { printJson } from '../lib/output.js';
import { quietOnEpipe } from '../net/format/epipe.js';
import { parseHostPort, parseDuration } from '../probe/common.js';
import { probeTcp, type TcpResult } from '../probe/tcp.js';

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw usageError('BAD_OPTION', `${name} must be an integer ${min}..${max}, got ${JSON.stringify(v)}`);
  return n;
};
const dur = (name: string) => (v: string) => parseDuration(v, name);
const ms = (x: number | null) => (x === null ? '-' : x.toFixed(3));

export function formatTcp(r: TcpResult): string {
  const lines = r.attempts.map((a) => `${r.address}:${r.port} seq=${a.seq} ${a.ms !== null ? `connect=${ms(a.ms)} ms` : `failed: ${a.error}`}`);
  lines.push(`--- ${r.host}:${r.port} tcp probe ---`);
  lines.push(`${r.sent} attempts, ${r.received} connected, ${r.lossPct}% loss${r.received ? `, min/avg/max = ${ms(r.minMs)}/${ms(r.avgMs)}/${ms(r.maxMs)} ms` : ''}`);
  return lines.join('\n') + '\n';
}

/** `hostops probe tcp|http|dns|smtp`: one-shot service probes; exit 1 when the probe fails. */
export function register(program: Command): void {
  const probe = program.command('probe').description('TCP, HTTP(S), DNS and SMTP probes (blackbox_exporter / SmokePing style)')
    .hook('preAction', () => quietOnEpipe());

  probe.command('tcp')
    .description('TCP connect time per attempt, min/avg/max/loss')
    .argument('<host:port>', 'target, e.g. 127.0.0.1:22 or [::1]:443')
    .option('-c, --count <n>', 'attempts', int('--count', 1, 10000), 3)
    .option('-i, --interval <dur>', 'time between attempts', dur('--interval'), 1000)
    .option('--timeout <dur>', 'per-attempt timeout', dur('--timeout'), 2000)
    .option('--json', 'JSON output')
    .action(async (target: string, o: { count: number; interval: number; timeout: number; json?: boolean }) => {
      const { host, port } = parseHostPort(target);
      const r = await probeTcp(host, port, { count: o.count, intervalMs: o.interval, timeoutMs: o.timeout });
      if (o.json) printJson(r); else process.stdout.write(formatTcp(r));
      if (r.received < r.sent) process.exitCode = 1;
    });
}
