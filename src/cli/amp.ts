import type { Command } from 'commander';
import { HostopsError, usageError } from '../lib/errors.js';
import { printJson } from '../lib/output.js';
import { progress } from '../lib/progress.js';
import { msOption } from './ms-option.js';
import {
  runScan,
  DEFAULT_RATE,
  DEFAULT_MAX_ADDRESSES,
  PROTOCOL_NAMES,
  type ScanReport,
} from '../amp/index.js';
import { textTable } from '../lib/text-table.js';

const list = (v: string, prev: string[] = []) => [
  ...prev,
  ...v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];
const num = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw HostopsError.of('BAD_OPTION', name, v, `a number ${min}..${max}`);
  return n;
};

interface Opts {
  exclude?: string[];
  rate: number;
  protocols?: string;
  wait: number;
  force?: boolean;
  maxAddresses: number;
  engine: 'native' | 'dgram' | 'auto';
  threshold: number;
  json?: boolean;
  csv?: boolean;
  all?: boolean;
}

/** `hostops amp scan`. */
export function register(program: Command): void {
  const amp = program
    .command('amp')
    .description('UDP amplification exposure of your own address ranges');
  amp
    .command('scan')
    .description(
      'rate-limited scan of your own ranges for UDP amplifiers; measured factor per host and protocol',
    )
    .argument('<cidr...>', 'targets: CIDR, address or A-B range (IPv4), your own ranges only')
    .option('-x, --exclude <cidr>', 'exclude these (repeatable, comma-separated)', list)
    .option(
      '-r, --rate <pps>',
      'probes per second, all protocols together; the default is safe for most links',
      num('--rate', 1, 10_000_000),
      DEFAULT_RATE,
    )
    .option('-P, --protocols <list>', `comma list: ntp, ${PROTOCOL_NAMES.join(', ')} (default all)`)
    .option(
      '-w, --wait <duration>',
      'keep listening this long after the last probe: 2s, 500ms; a bare number is milliseconds',
      msOption('--wait', 0, 60000),
      2500,
    )
    .option(
      '--max-addresses <n>',
      'refuse larger scans unless --force',
      num('--max-addresses', 1, 2 ** 32),
      DEFAULT_MAX_ADDRESSES,
    )
    .option('--force', 'scan more than --max-addresses addresses')
    .option(
      '--engine <kind>',
      'native (sendmmsg/recvmmsg addon), dgram (Node sockets) or auto',
      'auto',
    )
    .option(
      '--threshold <factor>',
      'payload factor above which a responder counts as an amplifier',
      num('--threshold', 0, 1e9),
      2,
    )
    .option('--all', 'also list responders that do not amplify and invalid replies')
    .option('--json', 'JSON output')
    .option('--csv', 'CSV output, one row per host and protocol')
    .action(async (cidrs: string[], o: Opts) => {
      if (!['native', 'dgram', 'auto'].includes(o.engine))
        throw usageError('BAD_OPTION', `--engine must be native, dgram or auto, got ${o.engine}`);
      if (o.json && o.csv) throw usageError('BAD_OPTION', '--json and --csv are exclusive');
      // Ctrl-C stops sending; replies already on their way are still collected and reported
      const ac = new AbortController();
      const onInt = () => ac.abort();
      process.once('SIGINT', onInt);
      let bar: ReturnType<typeof progress> | null = null;
      let shown = 0;
      const r = await runScan(cidrs, {
        exclude: o.exclude,
        rate: o.rate,
        protocols: o.protocols,
        waitMs: o.wait,
        force: o.force,
        maxAddresses: o.maxAddresses,
        engine: o.engine,
        threshold: o.threshold,
        signal: ac.signal,
        onProgress: (sent, total) => {
          if (!bar) bar = progress('probes', total, !o.json && !o.csv);
          bar.tick(sent - shown);
          shown = sent;
        },
      });
      process.removeListener('SIGINT', onInt);
      (bar as ReturnType<typeof progress> | null)?.stop();
      if (o.json) printJson(r);
      else if (o.csv) process.stdout.write(formatCsv(r));
      else process.stdout.write(formatTable(r, !!o.all));
      if (r.findings.some((f) => f.verdict === 'amplifier')) process.exitCode = 1;
    });
}

export function formatCsv(r: ScanReport): string {
  const head =
    'address,protocol,port,request_bytes,reply_packets,reply_bytes,factor_payload,factor_frame,invalid_packets,verdict';
  const rows = r.findings.map((f) =>
    [
      f.address,
      f.protocol,
      f.port,
      f.requestBytes,
      f.replyPackets,
      f.replyBytes,
      f.factor,
      f.frameFactor,
      f.invalidPackets,
      f.verdict,
    ].join(','),
  );
  return [head, ...rows].join('\n') + '\n';
}

export function formatTable(r: ScanReport, all: boolean): string {
  const out: string[] = [];
  out.push(
    `scanned ${r.addresses} addresses x ${r.protocols.length} probes = ${r.probes} probes in ${r.sendSeconds.toFixed(2)} s (${r.probesPerSecond} probes/s, limit ${r.rate}, ${r.engine} engine); ${r.received} replies, ${r.unsolicited.packets} unsolicited`,
  );
  if (r.aborted)
    out.push(`interrupted: ${r.sent} of ${r.probes} probes sent; results cover those only`);
  if (r.kernelDrops)
    out.push(
      `WARNING: the kernel dropped ${r.kernelDrops} replies (receive buffer full); results are incomplete, scan again with a lower --rate`,
    );
  out.push(
    'factor = reply UDP payload bytes / probe UDP payload bytes (frame = Ethernet, IPv4, no FCS)',
  );
  const rows = r.findings.filter((f) => all || f.verdict === 'amplifier');
  // fixed widths (a long value pushes its row right), the verdict unpadded
  const columns = [16, 12, 6, 8, 16, 10, 10, 0].map((width) => ({ width }));
  if (rows.length) {
    out.push(
      ...textTable(
        [
          ['address', 'protocol', 'port', 'probe', 'returned', 'factor', 'frame', 'verdict'],
          ...rows.map((f) => [
            f.address,
            f.protocol,
            f.port,
            `${f.requestBytes}B`,
            `${f.replyPackets}p/${f.replyBytes}B`,
            `${f.factor}x`,
            `${f.frameFactor}x`,
            f.verdict + (f.invalidPackets ? ` (+${f.invalidPackets} invalid)` : ''),
          ]),
        ],
        { columns, gap: ' ', trimEnd: false },
      ),
    );
  } else out.push(all ? 'no replies' : 'no amplifiers found');
  const toFix = r.summary.filter((x) => x.amplifiers);
  if (toFix.length) out.push('fix:', ...toFix.map((x) => `  ${x.protocol}: ${x.fix}`));
  const active = r.summary.filter((s) => s.responders);
  out.push(
    'per protocol: ' +
      (active.length
        ? active
            .map((s) => `${s.protocol} ${s.amplifiers}/${s.responders} (max ${s.maxFactor}x)`)
            .join(', ')
        : 'no responders'),
  );
  return out.join('\n') + '\n';
}
