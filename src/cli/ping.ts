/**
 * `hostops ping`: iputils ping's options and output for one target; fping's for several targets
 * or fping's own options (ping-fping.ts); `--json` for the summaries (with per-probe RTTs).
 */
import type { Command } from 'commander';
import { usageError } from '../lib/errors.js';
import { applyOptions, readOption, type OptionTable } from './options/index.js';
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
  count?: number;
  interval?: number;
  size?: string | boolean;
  timeout?: number;
  deadline?: number;
  ttl?: number;
  tos?: number;
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
  vcount?: number;
  period?: number;
  stats?: boolean;
}

const MODE_ERROR = () => usageError('PING_BAD_OPTION', '--mode must be auto, raw or dgram');

/** iputils ping's flags and units (seconds for -i -W -w), fping's own for several targets. */
export const PING_OPTIONS: OptionTable = {
  count: {
    flags: '-c, --count <n>',
    type: 'int',
    min: 1,
    max: 1e9,
    name: '-c',
    copies: 'iputils ping -c, fping -c',
    help: 'stop after n probes',
  },
  interval: {
    flags: '-i, --interval <s>',
    type: 'number',
    min: 0.002,
    max: 3600,
    name: '-i',
    defaultText: '1',
    copies: 'iputils ping -i (seconds)',
    help: 'seconds between probes',
  },
  size: {
    flags: '-s, --size [bytes]',
    type: 'int',
    min: 0,
    max: 65507,
    name: '-s',
    lazy: true,
    defaultText: '56',
    copies: 'iputils ping -s; fping -s without a number',
    help: "payload bytes; -s without a number is fping's -s (final statistics)",
  },
  timeout: {
    flags: '-W, --timeout <s>',
    type: 'number',
    min: 0.001,
    max: 3600,
    name: '-W',
    copies: 'iputils ping -W (seconds)',
    help: 'seconds to wait for a reply; later replies are not counted',
  },
  deadline: {
    flags: '-w, --deadline <s>',
    type: 'number',
    min: 0.001,
    max: 1e6,
    name: '-w',
    copies: 'iputils ping -w (seconds)',
    help: 'stop after this many seconds',
  },
  ttl: {
    flags: '-t, --ttl <n>',
    type: 'int',
    min: 1,
    max: 255,
    name: '-t',
    copies: 'iputils ping -t',
    help: 'IP time to live',
  },
  tos: {
    flags: '-Q, --tos <n>',
    type: 'int',
    min: 0,
    max: 255,
    name: '-Q',
    copies: 'iputils ping -Q',
    help: 'IP type of service / traffic class',
  },
  quiet: {
    flags: '-q, --quiet',
    type: 'bool',
    copies: 'iputils ping -q',
    help: 'only the summary',
  },
  timestamp: {
    flags: '-D, --timestamp',
    type: 'bool',
    copies: 'iputils ping -D',
    help: 'print a unix timestamp before each line',
  },
  outstanding: {
    flags: '-O, --outstanding',
    type: 'bool',
    copies: 'iputils ping -O',
    help: 'report a missing reply before the next probe',
  },
  numeric: {
    flags: '-n, --numeric',
    type: 'bool',
    copies: 'iputils ping -n',
    help: 'no reverse name lookups',
  },
  ipv4: { flags: '-4, --ipv4', type: 'bool', copies: 'iputils ping -4', help: 'IPv4 only' },
  ipv6: { flags: '-6, --ipv6', type: 'bool', copies: 'iputils ping -6', help: 'IPv6 only' },
  interface: {
    flags: '-I, --interface <iface|addr>',
    type: 'string',
    copies: 'iputils ping -I, fping -I',
    help: 'send from this interface (SO_BINDTODEVICE) or source address',
  },
  src: {
    flags: '-S, --src <addr>',
    type: 'string',
    copies: 'fping -S',
    help: 'fping: source address',
  },
  mark: {
    flags: '-m, --mark <n>',
    type: 'string',
    copies: 'iputils ping -m',
    help: 'fwmark on the probes (SO_MARK; selects a feed with `ip rule fwmark`)',
  },
  fwmark: { flags: '--fwmark <n>', type: 'string', help: 'the same as -m' },
  mode: {
    flags: '--mode <m>',
    type: 'enum',
    choices: ['auto', 'raw', 'dgram'],
    default: 'auto',
    help: 'socket: auto, raw or dgram (ICMP datagram sockets)',
    error: MODE_ERROR,
  },
  sendTime: {
    flags: '--send-time <src>',
    type: 'enum',
    choices: ['kernel', 'user'],
    defaultText: 'kernel up to 64 targets, user past 64',
    help: "kernel: the kernel's TX timestamp, so an RTT leaves out our own send path; user: the clock just before sendto, like iputils",
    error: () => usageError('PING_BAD_OPTION', '--send-time must be kernel or user'),
  },
  generate: {
    flags: '-g, --generate',
    type: 'bool',
    copies: 'fping -g',
    help: 'fping: targets from a CIDR block (network and broadcast left out below /31) or a start and end address',
  },
  file: {
    flags: '-f, --file <file>',
    type: 'string',
    copies: 'fping -f',
    help: 'fping: targets from a file, one per line (first word; blank and # lines skipped); - for stdin',
  },
  alive: {
    flags: '-a, --alive',
    type: 'bool',
    copies: 'fping -a',
    help: 'fping: show only targets that are alive',
  },
  unreach: {
    flags: '-u, --unreach',
    type: 'bool',
    copies: 'fping -u',
    help: 'fping: show only targets that are unreachable',
  },
  vcount: {
    flags: '-C, --vcount <n>',
    type: 'int',
    min: 1,
    max: 1e6,
    name: '-C',
    copies: 'fping -C',
    help: 'fping: n probes per target, then every RTT per target (- for lost) on stderr',
  },
  period: {
    flags: '-p, --period <ms>',
    type: 'number',
    min: 1,
    max: 3_600_000,
    name: '-p',
    defaultText: '1000',
    copies: 'fping -p (milliseconds)',
    help: 'fping: milliseconds between probes to one target',
  },
  stats: {
    flags: '--stats',
    type: 'bool',
    copies: 'fping -s',
    help: 'fping -s: final statistics on stderr',
  },
  json: {
    flags: '--json',
    type: 'bool',
    help: 'summaries as JSON; without -c and -w, NDJSON: one line per event, then a summary line per target',
  },
};

export function register(program: Command): void {
  const ping = program
    .command('ping')
    .description('ICMP echo like iputils ping; several targets at once like fping')
    .argument(
      '[targets...]',
      'hosts or addresses (with -g: a CIDR block, or a start and an end address)',
    );
  applyOptions(ping, PING_OPTIONS).action(async (targets: string[], f: PingFlags) => {
    process.exitCode = await pingCommand(targets, f);
  });
}

async function pingCommand(targets: string[], f: PingFlags): Promise<number> {
  if (f.ipv4 && f.ipv6) throw usageError('PING_BAD_OPTION', 'only one of -4 and -6');
  // -s is iputils' size with a number and fping's statistics without one; commander hands us
  // the word after a bare -s, which is then the first target
  const sz0 = f.size;
  if (sz0 === true || (typeof sz0 === 'string' && !/^\d+$/.test(sz0))) {
    if (typeof sz0 === 'string') targets = [sz0, ...targets];
    f = { ...f, size: undefined, stats: true };
  }
  const family = f.ipv4 ? 4 : f.ipv6 ? 6 : undefined;
  const size =
    typeof f.size === 'string' ? (readOption(PING_OPTIONS.size, f.size) as number) : undefined;
  targets = expandTargets(targets, f);
  const bind = pingBind(f);
  if (isFpingMode(targets, f)) return fpingCommand(targets, f, { family, size, bind });
  if (!targets.length)
    throw usageError('PING_NO_TARGET', 'no target given', 'hostops ping [options] <targets...>');
  const { interval: intervalS, count, timeout: timeoutS, deadline: deadlineS, ttl, tos } = f;
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
