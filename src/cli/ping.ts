/**
 * `hostops ping`: iputils ping's options and output for one target; fping's for several targets
 * or fping's own options (ping-fping.ts); `--json` for the summaries (with per-probe RTTs).
 */
import type { Command } from 'commander';
import { HostopsError, usageError } from '../lib/errors.js';
import { printJson, printNdjson } from '../lib/output.js';
import { runPing, type PingEvent } from '../net/ping.js';
import { resolveTarget, reverseName, type Resolved } from '../net/resolve.js';
import { expandTargets, fpingCommand, isFpingMode } from './ping-fping.js';
import { iputilsHeader, iputilsLine, iputilsSummary } from '../net/format/ping.js';
import {
  checkBindFamily,
  fwmark,
  ifaceOrAddr,
  mergeBind,
  requireInterface,
  sourceAddr,
  type SocketBind,
} from '../net/bind.js';
import { sourceFor } from '../net/probe-socket.js';

/** -I (iputils: interface or address; fping: interface), fping's -S, iputils' -m and --fwmark. */
export function pingBind(f: PingFlags): SocketBind | undefined {
  if (f.mark !== undefined && f.fwmark !== undefined && f.mark !== f.fwmark)
    throw usageError('PING_BAD_OPTION', 'give the fwmark once (-m or --fwmark)');
  const mark = f.mark ?? f.fwmark;
  return requireInterface(
    mergeBind(
      f.interface !== undefined ? ifaceOrAddr(f.interface, '-I') : undefined,
      f.src !== undefined ? { source: sourceAddr(f.src, '-S') } : undefined,
      mark !== undefined
        ? { mark: fwmark(mark, f.mark !== undefined ? '-m' : '--fwmark') }
        : undefined,
    ),
  );
}

export interface PingFlags {
  count?: string;
  interval?: string;
  size?: string;
  timeout?: string;
  deadline?: string;
  ttl?: string;
  tos?: string;
  quiet?: boolean;
  timestamp?: boolean;
  outstanding?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
  numeric?: boolean;
  json?: boolean;
  mode?: string;
  sendTime?: string;
  interface?: string;
  src?: string;
  mark?: string;
  fwmark?: string;
  // fping's
  generate?: boolean;
  file?: string;
  alive?: boolean;
  unreach?: boolean;
  vcount?: string;
  period?: string;
  stats?: boolean;
}

export function num(
  v: string | undefined,
  flag: string,
  min: number,
  max: number,
  int = true,
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n)) || n < min || n > max) {
    throw HostopsError.of(
      'BAD_OPTION',
      flag,
      v,
      `${int ? 'an integer' : 'a number'} ${min}..${max}`,
    );
  }
  return n;
}

export function register(program: Command): void {
  program
    .command('ping')
    .description('ICMP echo like iputils ping; several targets at once like fping')
    .argument(
      '[targets...]',
      'hosts or addresses (with -g: a CIDR block, or a start and an end address)',
    )
    .option('-c, --count <n>', 'stop after n probes')
    .option('-i, --interval <s>', 'seconds between probes (default 1)')
    .option(
      '-s, --size [bytes]',
      "payload bytes (default 56); -s without a number is fping's -s (final statistics)",
    )
    .option('-W, --timeout <s>', 'seconds to wait for a reply; later replies are not counted')
    .option('-w, --deadline <s>', 'stop after this many seconds')
    .option('-t, --ttl <n>', 'IP time to live')
    .option('-Q, --tos <n>', 'IP type of service / traffic class')
    .option('-q, --quiet', 'only the summary')
    .option('-D, --timestamp', 'print a unix timestamp before each line')
    .option('-O, --outstanding', 'report a missing reply before the next probe')
    .option('-n, --numeric', 'no reverse name lookups')
    .option('-4, --ipv4', 'IPv4 only')
    .option('-6, --ipv6', 'IPv6 only')
    .option(
      '-I, --interface <iface|addr>',
      'send from this interface (SO_BINDTODEVICE) or source address (iputils -I; fping -I)',
    )
    .option('-S, --src <addr>', 'fping: source address')
    .option(
      '-m, --mark <n>',
      'fwmark on the probes (SO_MARK; selects a feed with `ip rule fwmark`)',
    )
    .option('--fwmark <n>', 'the same as -m')
    .option('--mode <m>', 'socket: auto, raw or dgram (ICMP datagram sockets)', 'auto')
    .option(
      '--send-time <src>',
      "kernel: the kernel's TX timestamp, so an RTT leaves out our own send path (default up to 64 targets); user: the clock just before sendto, like iputils (default past 64)",
    )
    .option(
      '-g, --generate',
      'fping: targets from a CIDR block (network and broadcast left out below /31) or a start and end address',
    )
    .option(
      '-f, --file <file>',
      'fping: targets from a file, one per line (first word; blank and # lines skipped); - for stdin',
    )
    .option('-a, --alive', 'fping: show only targets that are alive')
    .option('-u, --unreach', 'fping: show only targets that are unreachable')
    .option(
      '-C, --vcount <n>',
      'fping: n probes per target, then every RTT per target (- for lost) on stderr',
    )
    .option('-p, --period <ms>', 'fping: milliseconds between probes to one target (default 1000)')
    .option('--stats', 'fping -s: final statistics on stderr')
    .option(
      '--json',
      'summaries as JSON; without -c and -w, NDJSON: one line per event, then a summary line per target',
    )
    .action(async (targets: string[], f: PingFlags) => {
      process.exitCode = await pingCommand(targets, f);
    });
}

async function pingCommand(targets: string[], f: PingFlags): Promise<number> {
  if (f.ipv4 && f.ipv6) throw usageError('PING_BAD_OPTION', 'only one of -4 and -6');
  // -s is iputils' size with a number and fping's statistics without one; commander hands us
  // the word after a bare -s, which is then the first target
  const sz0 = f.size as string | boolean | undefined;
  if (sz0 === true || (typeof sz0 === 'string' && !/^\d+$/.test(sz0))) {
    if (typeof sz0 === 'string') targets = [sz0, ...targets];
    f = { ...f, size: undefined, stats: true };
  }
  const family = f.ipv4 ? 4 : f.ipv6 ? 6 : undefined;
  const size = num(f.size, '-s', 0, 65507);
  targets = expandTargets(targets, f);
  const bind = pingBind(f);
  if (isFpingMode(targets, f)) return fpingCommand(targets, f, { family, size, num, bind });
  if (!targets.length)
    throw usageError('PING_NO_TARGET', 'no target given', 'hostops ping [options] <targets...>');
  const intervalS = num(f.interval, '-i', 0.002, 3600, false);
  const count = num(f.count, '-c', 1, 1e9);
  const timeoutS = num(f.timeout, '-W', 0.001, 3600, false);
  const deadlineS = num(f.deadline, '-w', 0.001, 1e6, false);
  const ttl = num(f.ttl, '-t', 1, 255);
  const tos = num(f.tos, '-Q', 0, 255);
  if (!['auto', 'raw', 'dgram'].includes(f.mode ?? 'auto'))
    throw usageError('PING_BAD_OPTION', `--mode must be auto, raw or dgram`);
  if (f.sendTime && !['kernel', 'user'].includes(f.sendTime))
    throw usageError('PING_BAD_OPTION', `--send-time must be kernel or user`);
  const resolved: Resolved[] = [];
  for (const t of targets) resolved.push(await resolveTarget(t, family));
  for (const r of resolved) checkBindFamily(bind, r.family, r.target);
  const multi = resolved.length > 1; // only with --json here: text for several targets is fping's (ping-fping.ts)
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  const out = (s: string) => process.stdout.write(s + '\n');
  const sz = size ?? 56;
  const names = new Map<string, string>();
  const numeric = f.numeric || resolved.every((r) => r.numeric);
  if (!numeric) for (const r of resolved) names.set(r.address, await reverseName(r.address));

  // --json on an open-ended run (no -c, no -w) is a stream: NDJSON, one line per event as it
  // happens, then one summary line per target; a bounded run prints one JSON document at the end
  const stream = !!f.json && count === undefined && deadlineS === undefined;
  const onEvent = stream
    ? (e: PingEvent) => printNdjson(e)
    : f.json || f.quiet
      ? undefined
      : (e: PingEvent) => {
          if (!f.outstanding && e.type === 'noanswer') return;
          const from = 'from' in e ? e.from : undefined;
          const line = iputilsLine(e, {
            timestamp: !!f.timestamp,
            name: from && !numeric ? names.get(from) : undefined,
          });
          if (line) (e.type === 'senderror' ? process.stderr : process.stdout).write(line + '\n');
          if (from && !numeric && !names.has(from))
            void reverseName(from).then((n) => names.set(from, n));
        };

  try {
    const res = await runPing(resolved, {
      count,
      intervalMs: intervalS !== undefined ? intervalS * 1000 : undefined,
      timeoutMs: timeoutS !== undefined ? timeoutS * 1000 : 10000,
      deadlineMs: deadlineS !== undefined ? deadlineS * 1000 : undefined,
      size: sz,
      ttl,
      tos,
      family,
      signal: ac.signal,
      mode: (f.mode ?? 'auto') as 'auto',
      bind,
      // kernel TX timestamps by default: measured here, user-space send times read 10-16 µs high
      // after an idle interval, where iputils' C send path costs far less than ours. Past 64
      // targets (fping-style sweeps) the extra error-queue message per probe costs more than it gives.
      txTimestamps: f.sendTime ? f.sendTime === 'kernel' : resolved.length <= 64,
      onEvent,
      onStart: () => {
        if (!f.json && !multi) out(iputilsHeader(resolved[0], sz, headerFrom(resolved[0], bind)));
      },
    });
    if (stream) for (const r of res) printNdjson({ type: 'summary', ...r });
    else if (f.json) printJson(res.length === 1 && !multi ? res[0] : res);
    else {
      const r = resolved[0];
      out(iputilsSummary(res[0], r.target, sz >= 16)); // as typed, like iputils ("--- 127.1 ping statistics ---")
    }
    // iputils: 1 when nothing came back, or -w ended with fewer replies than -c asked for
    const failed = res.some(
      (s) => !s.received || (deadlineS !== undefined && count !== undefined && s.received < count),
    );
    return failed ? 1 : 0;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}

/** iputils prints "from SRC IFACE: " when -I was given; the source is the kernel's choice for an interface. */
function headerFrom(
  r: Resolved,
  b: SocketBind | undefined,
): { source: string; device?: string } | undefined {
  if (!b?.source && !b?.device) return undefined;
  const source =
    b.source ?? sourceFor(r.family, r.address, b) ?? (r.family === 6 ? '::' : '0.0.0.0');
  return { source, device: b.device };
}
