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
import { textTable } from '../lib/text-table.js';
import { applyOptions, type OptionSpec, type OptionTable } from './options/index.js';

const JSON_OUT: OptionSpec = { flags: '--json', type: 'bool', help: 'JSON output' };
const port = (help: string): OptionSpec => ({
  flags: '-p, --port <port>',
  type: 'int',
  min: 1,
  max: 65535,
  default: SPOOF_PORT,
  help,
});

const RULES_OPTIONS: OptionTable = {
  format: {
    flags: '-f, --format <format>',
    type: 'enum',
    choices: FORMATS,
    default: 'nftables',
    help: 'the firewall the rules are for',
    error: (v) =>
      usageError('BCP38_BAD_FORMAT', `unknown format '${v}'`, `use one of ${FORMATS.join(', ')}`),
  },
  iptablesMode: {
    flags: '--iptables-mode <mode>',
    type: 'enum',
    choices: ['ipset', 'rules'],
    default: 'ipset',
    help: 'ipset (one set per interface) or rules (one rule per prefix)',
    error: (v) =>
      usageError('BCP38_BAD_OPTION', `--iptables-mode must be ipset or rules, got '${v}'`),
  },
  output: {
    flags: '-o, --output <file>',
    type: 'string',
    help: 'write the rules to a file instead of stdout',
  },
  json: { flags: '--json', type: 'bool', help: 'print { format, rules, warnings } as JSON' },
};

const LISTEN_OPTIONS: OptionTable = {
  port: port('UDP and TCP port'),
  bind: {
    flags: '--bind <address>',
    type: 'address',
    defaultText: 'all',
    help: 'address to bind',
    error: (v) => usageError('BCP38_BAD_OPTION', `--bind needs an IP address, got '${v}'`),
  },
  duration: {
    flags: '--duration <duration>',
    type: 'duration',
    unit: 's',
    above: 0,
    defaultText: 'until interrupted',
    help: 'stop after this long: 30s, 5m; a bare number is seconds',
  },
  json: { flags: '--json', type: 'bool', help: 'NDJSON: one line per probe received' },
};

const SPOOFTEST_OPTIONS: OptionTable = {
  to: {
    flags: '--to <host>',
    type: 'string',
    mandatory: true,
    help: 'host running `hostops bcp38 listen`',
  },
  port: port('listener port'),
  other: {
    flags: '--other <address>',
    type: 'address',
    repeat: true,
    default: [],
    help: "another customer's address to forge (repeatable)",
    error: (v) => usageError('BCP38_BAD_SOURCE', `--other needs an IP address, got '${v}'`),
  },
  source: {
    flags: '--source <label=address>',
    type: 'string',
    repeat: true,
    default: [],
    help: 'forge exactly these sources instead of the defaults (repeatable)',
  },
  count: {
    flags: '--count <n>',
    type: 'int',
    min: 1,
    max: 100,
    default: 3,
    help: 'probes per source',
  },
  wait: {
    flags: '--wait <duration>',
    type: 'duration',
    min: 0,
    max: 60000,
    default: 1000,
    defaultText: '1s',
    help: 'wait after the last probe before asking for results: 2s, 500ms; a bare number is milliseconds',
  },
  json: JSON_OUT,
};

/** `hostops bcp38`: BCP 38 anti-spoofing filters and a spoofing test between your own hosts. */
export function register(program: Command): void {
  const bcp38 = program
    .command('bcp38')
    .description(
      'BCP 38 anti-spoofing: generate egress filters, test whether spoofed packets get out',
    );
  const rules = bcp38
    .command('rules')
    .description(
      'Generate exact per-customer anti-spoofing filters from a YAML/JSON list of customer prefixes per interface',
    )
    .argument('<file>', 'customer prefixes (YAML or JSON; see docs/bcp38.md)');
  applyOptions(rules, RULES_OPTIONS).action(
    async (
      file: string,
      o: { format: string; iptablesMode: 'ipset' | 'rules'; output?: string; json?: boolean },
    ) => {
      const cfg = await loadConfig(file);
      const text = generateRules(cfg, o.format as RuleFormat, { iptablesMode: o.iptablesMode });
      if (o.output) {
        try {
          await writeFile(o.output, text, { mode: o.format === 'iptables' ? 0o755 : 0o644 });
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
      if (o.json) printJson({ format: o.format, rules: text, warnings: cfg.warnings });
      else {
        if (!o.output) process.stdout.write(text);
        for (const w of cfg.warnings) process.stderr.write(`hostops: warning: ${w}\n`);
      }
    },
  );
  registerSpoof(bcp38);
}

function registerSpoof(bcp38: Command): void {
  const listen = bcp38
    .command('listen')
    .description(
      'Receive spoof-test probes on a UDP port and answer `bcp38 spooftest` over TCP on the same port',
    );
  applyOptions(listen, LISTEN_OPTIONS).action(
    async (o: { port: number; bind?: string; duration?: number; json?: boolean }) => {
      const duration = o.duration ?? null;
      const l = await startListener({
        port: o.port,
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
    },
  );

  const spooftest = bcp38
    .command('spooftest')
    .description(
      'Send UDP probes with forged sources to a `bcp38 listen` host and report which arrived (needs root / CAP_NET_RAW)',
    );
  applyOptions(spooftest, SPOOFTEST_OPTIONS).action(
    async (o: {
      to: string;
      port: number;
      other: string[];
      source: string[];
      count: number;
      wait: number;
      json?: boolean;
    }) => {
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
      const r = await spoofTest(o.to, {
        port: o.port,
        others: o.other,
        sources,
        count: o.count,
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
