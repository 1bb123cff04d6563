import type { Command } from 'commander';
import { analyzeCapture, DEFAULTS, type DdosReport, type WatchEvent } from '../ddos/index.js';
import { HostopsError, usageError } from '../lib/errors.js';
import { printJson, printNdjson } from '../lib/output.js';
import { progress } from '../lib/progress.js';
import { DdosNotifier } from '../ddos/notify.js';
import { textTable } from '../lib/text-table.js';

/** `hostops ddos`: reflection-attack detection in captures. */
export function register(program: Command): void {
  const ddos = program
    .command('ddos')
    .description('Find UDP reflection/amplification attacks in packet captures');
  ddos
    .command('analyze')
    .description(
      'Read a pcap/pcapng file (or - for stdin, e.g. `tcpdump -U --immediate-mode -s 512 -w -`) and report reflection-attack victims',
    )
    .argument('<file>', 'capture file, or - for standard input')
    .option('--min-pps <n>', 'peak packets/s a victim+protocol must reach', String(DEFAULTS.minPps))
    .option(
      '--min-reflectors <n>',
      'distinct reflectors a victim+protocol must have',
      String(DEFAULTS.minReflectors),
    )
    .option(
      '--min-bytes <n>',
      'total frame bytes a victim+protocol must have',
      String(DEFAULTS.minBytes),
    )
    .option('--top <n>', 'reflectors listed per victim', String(DEFAULTS.topReflectors))
    .option(
      '--watch',
      'print an alert as soon as a victim crosses the thresholds, and when its attack ends (for live streams)',
    )
    .option(
      '--quiet-after <s>',
      'with --watch: seconds without packets after which an attack is reported as ended',
      '10',
    )
    .option(
      '--notify-webhook <url>',
      'with --watch: POST each alert and its end to this URL as Alertmanager webhook JSON (repeatable)',
      (v: string, a: string[] = []) => [...a, v],
    )
    .option(
      '--notify-command <cmd>',
      'with --watch: run this shell command per alert and end, the same JSON on its stdin (repeatable)',
      (v: string, a: string[] = []) => [...a, v],
    )
    .option(
      '--max-conversations <n>',
      'bound on tracked UDP conversations (~150 bytes each); attacks are still found past it',
      '4000000',
    )
    .option(
      '--conversations',
      'include every UDP conversation (like tshark -z conv,udp) in --json output',
    )
    .option('--json', 'JSON output (NDJSON alerts then the report with --watch)')
    .action(async (file: string, o: Record<string, string | boolean | undefined>) => {
      const num = (name: string, v: unknown) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0)
          throw HostopsError.of('BAD_OPTION', `--${name}`, v, 'a number >= 0');
        return n;
      };
      const json = Boolean(o.json);
      const webhooks = (o.notifyWebhook ?? []) as unknown as string[];
      const commands = (o.notifyCommand ?? []) as unknown as string[];
      if ((webhooks.length || commands.length) && !o.watch)
        throw usageError('DDOS_BAD_OPTION', '--notify-webhook and --notify-command need --watch');
      for (const u of webhooks)
        if (!/^https?:\/\/\S+$/.test(u))
          throw usageError(
            'DDOS_BAD_OPTION',
            `--notify-webhook must be an http:// or https:// URL, got '${u}'`,
          );
      const notifier =
        webhooks.length || commands.length
          ? new DdosNotifier({ webhooks, commands, describe: formatAlert })
          : null;
      const onAlert = o.watch
        ? (e: WatchEvent) => {
            if (json) printNdjson(e);
            else process.stdout.write(formatAlert(e) + '\n');
            notifier?.notify(e);
          }
        : undefined;
      const bar = file !== '-' && !json && !o.watch ? progress('reading', 1) : null;
      let lastTotal = 0,
        done = 0;
      const report = await analyzeCapture(file === '-' ? process.stdin : file, {
        minPps: num('min-pps', o.minPps),
        minReflectors: num('min-reflectors', o.minReflectors),
        minBytes: num('min-bytes', o.minBytes),
        topReflectors: num('top', o.top),
        conversations: Boolean(o.conversations),
        maxConversations: num('max-conversations', o.maxConversations),
        onAlert,
        quietAfter: num('quiet-after', o.quietAfter),
        onProgress: bar
          ? (n, total) => {
              if (total && total !== lastTotal) {
                bar.total(total);
                lastTotal = total;
              }
              bar.tick(n - done);
              done = n;
            }
          : undefined,
      }).finally(() => bar?.stop());
      await notifier?.idle();
      if (json) {
        if (o.watch) printNdjson({ type: 'report', ...report });
        else printJson(report);
      } else process.stdout.write(formatReport(report));
      if (report.truncated)
        process.stderr.write(
          `hostops: warning: ${report.truncated.message}; results before it are reported\n`,
        );
      if (report.victims.length > 0) process.exitCode = 1;
    });
}

const iso = (t: number) =>
  new Date(t * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
const timeOf = (t: number) => new Date(t * 1000).toISOString().slice(11, 19);

export function human(n: number, unit: string): string {
  const k = ['', 'k', 'M', 'G', 'T'];
  let i = 0;
  while (n >= 1000 && i < k.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${k[i]}${unit}`;
}

export function formatAlert(e: WatchEvent): string {
  if (e.type === 'end') {
    return (
      `END   ${iso(e.end)} ${e.protocol} reflection (udp/${e.port}) against ${e.victim}: lasted ${(e.end - e.start).toFixed(1)} s, ` +
      `${e.packets} packets, ${human(e.bytes, 'B')}, peak ${e.peakPps} pkt/s / ${human(e.peakBps, 'bit/s')}, ${e.reflectors} reflectors`
    );
  }
  return (
    `ALERT ${iso(e.at)} ${e.protocol} reflection (udp/${e.port}) against ${e.victim}: ${e.pps} pkt/s, ${human(e.bps, 'bit/s')} ` +
    `from ${e.reflectors} reflectors${e.monlistPackets ? `, ${e.monlistPackets} NTP monlist responses` : ''}`
  );
}

export function formatReport(r: DdosReport): string {
  const out: string[] = [];
  const span =
    r.start !== null && r.end !== null
      ? `${iso(r.start)} .. ${iso(r.end)} (${(r.end - r.start).toFixed(1)} s)`
      : 'empty';
  out.push(
    `capture ${r.source}: ${r.format}${r.compressed ? ' (gzip)' : ''}, linktype ${r.linktypes.join(',')}, ${r.packets} packets, ${human(r.bytes, 'B')}, ${span}`,
  );
  out.push(
    `  udp ${r.udpPackets} packets in ${r.conversations.count} conversations; ipv4 ${r.ipv4}, ipv6 ${r.ipv6}, non-ip ${r.nonIp}, ` +
      `fragments ${r.fragments} (${r.orphanFragments} without a first fragment), short ${r.shortPackets}, malformed ${r.malformedPackets}`,
  );
  if (r.conversations.untrackedPackets)
    out.push(
      `  ${r.conversations.untrackedPackets} udp packets beyond --max-conversations were not given a conversation (attack counts include them)`,
    );
  if (r.truncated) out.push(`  truncated: ${r.truncated.message}`);
  const enc = Object.entries(r.encapsulations);
  if (enc.length) {
    out.push(
      `  decapsulated: ${enc.map(([k, n]) => `${k} ${n}`).join(', ')} (victims and reflectors are the inner addresses)`,
    );
    for (const t of r.tunnels)
      out.push(
        `    ${t.kind} ${t.outerSource} -> ${t.outerDestination}: ${t.frames} frames, ${human(t.bytes, 'B')}`,
      );
    if (r.tunnelsNotListed) out.push(`    ${r.tunnelsNotListed} more tunnels not listed`);
  }
  const th = r.thresholds;
  out.push(
    `thresholds: peak >= ${th.minPps} pkt/s, >= ${th.minReflectors} reflectors, >= ${th.minBytes} bytes per victim and protocol`,
  );
  if (r.victims.length === 0) {
    out.push('no reflection attack found');
    return out.join('\n') + '\n';
  }
  out.push(`${r.victims.length} victim${r.victims.length > 1 ? 's' : ''} of reflection attacks:`);
  out.push('');
  const head = [
    'VICTIM',
    'PROTO',
    'REFLECTORS',
    'PACKETS',
    'BYTES',
    'PEAK PPS',
    'PEAK BPS',
    'START',
    'END',
    'MONLIST',
  ];
  const rows: string[][] = [head];
  for (const v of r.victims) {
    for (const x of v.vectors) {
      rows.push([
        v.address,
        `${x.protocol}/${x.port}`,
        String(x.reflectors),
        String(x.packets),
        human(x.bytes, 'B'),
        String(x.peakPps),
        human(x.peakBps, 'bit/s'),
        timeOf(x.start),
        timeOf(x.end),
        String(x.monlistPackets),
      ]);
    }
  }
  out.push(...textTable(rows));
  for (const v of r.victims) {
    out.push('');
    out.push(
      `${v.address}: ${v.reflectors} reflectors, peak ${v.peakPps} pkt/s / ${human(v.peakBps, 'bit/s')} at ${iso(v.peakAt)}`,
    );
    if (v.monlistPackets)
      out.push(
        `  NTP monlist signature: ${v.monlistPackets} mode 7 MON_GETLIST responses (src port 123)`,
      );
    out.push('  top reflectors:');
    for (const t of v.topReflectors)
      out.push(
        `    ${t.address.padEnd(39)} ${String(t.packets).padStart(9)} pkts  ${human(t.bytes, 'B').padStart(9)}  ${t.protocols.join(',')}`,
      );
  }
  return out.join('\n') + '\n';
}
