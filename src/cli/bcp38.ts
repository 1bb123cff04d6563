import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import {
  FORMATS,
  SPOOF_PORT,
  generateRules,
  loadConfig,
  spoofTest,
  startListener,
  type RuleFormat,
  type SpoofSource,
  type SpoofTestResult,
} from '../bcp38/index.js';
import { HostopsError, usageError } from '../lib/errors.js';
import { printJson, printNdjson } from '../lib/output.js';
import { msOption } from './ms-option.js';
import { textTable } from '../lib/text-table.js';

/** `hostops bcp38`: BCP 38 anti-spoofing filters and a spoofing test between your own hosts. */
export function register(program: Command): void {
  const bcp38 = program
    .command('bcp38')
    .description(
      'BCP 38 anti-spoofing: generate egress filters, test whether spoofed packets get out',
    );
  bcp38
    .command('rules')
    .description(
      'Generate exact per-customer anti-spoofing filters from a YAML/JSON list of customer prefixes per interface',
    )
    .argument('<file>', 'customer prefixes (YAML or JSON; see docs/bcp38.md)')
    .option('-f, --format <format>', `one of ${FORMATS.join(', ')}`, 'nftables')
    .option(
      '--iptables-mode <mode>',
      'ipset (one set per interface) or rules (one rule per prefix)',
      'ipset',
    )
    .option('-o, --output <file>', 'write the rules to a file instead of stdout')
    .option('--json', 'print { format, rules, warnings } as JSON')
    .action(
      async (
        file: string,
        o: { format: string; iptablesMode: string; output?: string; json?: boolean },
      ) => {
        if (!(FORMATS as readonly string[]).includes(o.format))
          throw usageError(
            'BCP38_BAD_FORMAT',
            `unknown format '${o.format}'`,
            `use one of ${FORMATS.join(', ')}`,
          );
        if (o.iptablesMode !== 'ipset' && o.iptablesMode !== 'rules')
          throw usageError(
            'BCP38_BAD_OPTION',
            `--iptables-mode must be ipset or rules, got '${o.iptablesMode}'`,
          );
        const cfg = await loadConfig(file);
        const rules = generateRules(cfg, o.format as RuleFormat, { iptablesMode: o.iptablesMode });
        if (o.output) {
          try {
            await writeFile(o.output, rules, { mode: o.format === 'iptables' ? 0o755 : 0o644 });
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            // a bad path is the user's (2); no permission or a full disk is the environment's (3)
            throw new HostopsError(
              'BCP38_OUTPUT_FAILED',
              `cannot write the rules to ${o.output}: ${code ?? (e as Error).message}`,
              {
                where: o.output,
                exitCode: code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR' ? 2 : 3,
              },
            );
          }
        }
        if (o.json) printJson({ format: o.format, rules, warnings: cfg.warnings });
        else {
          if (!o.output) process.stdout.write(rules);
          for (const w of cfg.warnings) process.stderr.write(`hostops: warning: ${w}\n`);
        }
      },
    );
  registerSpoof(bcp38);
}

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw HostopsError.of('BAD_OPTION', '--port', v, 'an integer 1..65535');
  return n;
};
const collect = (v: string, prev: string[]) => [...prev, v];

function registerSpoof(bcp38: Command): void {
  bcp38
    .command('listen')
    .description(
      'Receive spoof-test probes on a UDP port and answer `bcp38 spooftest` over TCP on the same port',
    )
    .option('-p, --port <port>', 'UDP and TCP port', String(SPOOF_PORT))
    .option('--bind <address>', 'address to bind (default: all)')
    .option('--duration <seconds>', 'stop after this long (default: until interrupted)')
    .option('--json', 'NDJSON: one line per probe received')
    .action(async (o: { port: string; bind?: string; duration?: string; json?: boolean }) => {
      if (o.bind && !isIP(o.bind))
        throw usageError('BCP38_BAD_OPTION', `--bind needs an IP address, got '${o.bind}'`);
      const duration = o.duration === undefined ? null : Number(o.duration);
      if (duration !== null && !(duration > 0))
        throw HostopsError.of(
          'BAD_OPTION',
          '--duration',
          o.duration,
          'a number of seconds above 0',
        );
      const l = await startListener({
        port: port(o.port),
        host: o.bind,
        onProbe: (session, p) =>
          o.json
            ? printNdjson({ type: 'probe', session, ...p })
            : process.stdout.write(
                `${new Date(p.at * 1000).toISOString()} session ${session} probe ${p.id} ${p.label} from ${p.source}:${p.sourcePort}\n`,
              ),
      });
      if (o.json) printNdjson({ type: 'listening', port: l.port });
      else
        process.stdout.write(
          `listening for spoof-test probes on udp/${l.port} (control on tcp/${l.port})\n`,
        );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        if (duration !== null) setTimeout(stop, duration * 1000).unref();
      });
      await l.close();
    });

  bcp38
    .command('spooftest')
    .description(
      'Send UDP probes with forged sources to a `bcp38 listen` host and report which arrived (needs root / CAP_NET_RAW)',
    )
    .requiredOption('--to <host>', 'host running `hostops bcp38 listen`')
    .option('-p, --port <port>', 'listener port', String(SPOOF_PORT))
    .option('--other <address>', "another customer's address to forge (repeatable)", collect, [])
    .option(
      '--source <label=address>',
      'forge exactly these sources instead of the defaults (repeatable)',
      collect,
      [],
    )
    .option('--count <n>', 'probes per source', '3')
    .option(
      '--wait <duration>',
      'wait after the last probe before asking for results: 2s, 500ms; a bare number is milliseconds',
      msOption('--wait', 0, 60000),
      1000,
    )
    .option('--json', 'JSON output')
    .action(
      async (o: {
        to: string;
        port: string;
        other: string[];
        source: string[];
        count: string;
        wait: number;
        json?: boolean;
      }) => {
        for (const a of o.other)
          if (!isIP(a))
            throw usageError('BCP38_BAD_SOURCE', `--other needs an IP address, got '${a}'`);
        let sources: SpoofSource[] | undefined;
        if (o.source.length) {
          sources = o.source.map((s) => {
            const m = /^([^=]+)=(.+)$/.exec(s);
            if (!m || !isIP(m[2]))
              throw usageError('BCP38_BAD_SOURCE', `--source must be label=address, got '${s}'`);
            return {
              label: m[1],
              address: m[2],
              kind: m[1] === 'control' ? 'control' : 'custom',
            } as SpoofSource;
          });
        }
        const count = Number(o.count);
        if (!Number.isInteger(count) || count < 1 || count > 100)
          throw HostopsError.of('BAD_OPTION', '--count', o.count, 'an integer 1..100');
        const r = await spoofTest(o.to, {
          port: port(o.port),
          others: o.other,
          sources,
          count,
          waitMs: o.wait,
        });
        if (o.json) printJson(r);
        else process.stdout.write(formatSpoof(r));
        process.exitCode = r.verdict === 'filtered' ? 0 : r.verdict === 'spoofable' ? 1 : 3;
      },
    );
}

export function formatSpoof(r: SpoofTestResult): string {
  const out = [
    `spoof test to ${r.target} port ${r.port} from ${r.localAddress}` +
      (r.observedAddress && r.observedAddress !== r.localAddress
        ? ` (seen as ${r.observedAddress}: NAT in the path)`
        : '') +
      `, session ${r.session}`,
    '',
  ];
  const rows = [
    ['SOURCE', 'ADDRESS', 'KIND', 'SENT', 'RECEIVED', 'RESULT'],
    ...r.probes.map((p) => [
      p.label,
      p.address,
      p.kind,
      String(p.sent),
      String(p.received),
      p.kind === 'control'
        ? p.received
          ? 'ok (control)'
          : 'LOST (control)'
        : p.received
          ? 'ARRIVED (spoofable)'
          : 'filtered',
    ]),
  ];
  out.push(...textTable(rows));
  out.push('', `verdict: ${r.verdict}: ${r.summary}`, '');
  return out.join('\n');
}
