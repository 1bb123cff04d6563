/** `hostops traceroute`: Linux traceroute 2.1 options and layout on our own probes (Paris flow). */
import { fwmark, ifaceName, mergeBind, requireInterface, sourceAddr } from '../net/bind.js';
import type { Command } from 'commander';
import { usageError } from '../lib/errors.js';
import { applyOptions, readOption, type OptionSpec, type OptionTable } from './options/index.js';
import { printJson } from '../lib/output.js';
import { trace, defaultPacketLen, type TraceHop } from '../net/trace.js';
import { discoverEcmp } from '../net/ecmp.js';
import { resolveTarget, reverseName } from '../net/resolve.js';
import { traceHeader, traceHopLine } from '../net/format/trace.js';

interface TrFlags {
  icmp?: boolean;
  tcp?: boolean;
  udp?: boolean;
  maxHops?: number;
  queries?: number;
  numeric?: boolean;
  port?: number;
  wait?: string;
  firstTtl?: string;
  simQueries?: number;
  ipv4?: boolean;
  ipv6?: boolean;
  tos?: number;
  json?: boolean;
  ecmp?: number;
  interface?: string;
  source?: string;
  fwmark?: string;
  extensions?: boolean;
}

const int = (
  flags: string,
  name: string,
  min: number,
  max: number,
  help: string,
  extra: Partial<OptionSpec> = {},
): OptionSpec => ({
  flags,
  type: 'int',
  min,
  max,
  name,
  copies: `traceroute ${name}`,
  help,
  ...extra,
});

/** Linux traceroute 2.1's flags and units (-w in seconds). */
const TRACEROUTE_OPTIONS: OptionTable = {
  icmp: { flags: '-I, --icmp', type: 'bool', copies: 'traceroute -I', help: 'ICMP echo probes' },
  tcp: {
    flags: '-T, --tcp',
    type: 'bool',
    copies: 'traceroute -T',
    help: 'TCP SYN probes (default port 80)',
  },
  udp: { flags: '-U, --udp', type: 'bool', copies: 'traceroute -U', help: 'UDP probes (default)' },
  maxHops: int('-m, --max-hops <n>', '-m', 1, 255, 'max TTL', { defaultText: '30' }),
  // its upper bound is -m, so it is read once -m is known
  firstTtl: int('-f, --first-ttl <n>', '-f', 1, 255, 'start from this TTL (at most -m)', {
    defaultText: '1',
    lazy: true,
  }),
  queries: int('-q, --queries <n>', '-q', 1, 10, 'probes per hop', { defaultText: '3' }),
  simQueries: int('-N, --sim-queries <n>', '-N', 1, 128, 'probes in flight at once', {
    defaultText: '16',
  }),
  numeric: {
    flags: '-n, --numeric',
    type: 'bool',
    copies: 'traceroute -n',
    help: 'no reverse name lookups',
  },
  port: int('-p, --port <n>', '-p', 1, 65535, 'destination port', {
    defaultText: 'UDP 33434, TCP 80',
  }),
  wait: {
    flags: '-w, --wait <max[,here,near]>',
    type: 'string',
    defaultText: '5,3,10',
    copies: 'traceroute -w (seconds)',
    help: 'seconds to wait for an answer',
  },
  tos: int('-t, --tos <n>', '-t', 0, 255, 'type of service / traffic class'),
  ipv4: { flags: '-4, --ipv4', type: 'bool', copies: 'traceroute -4', help: 'IPv4' },
  ipv6: { flags: '-6, --ipv6', type: 'bool', copies: 'traceroute -6', help: 'IPv6' },
  interface: {
    flags: '-i, --interface <iface>',
    type: 'string',
    copies: 'traceroute -i',
    help: 'send from this interface (SO_BINDTODEVICE)',
  },
  source: {
    flags: '-s, --source <addr>',
    type: 'string',
    copies: 'traceroute -s',
    help: 'source address of the probes',
  },
  fwmark: {
    flags: '--fwmark <n>',
    type: 'string',
    copies: 'traceroute --fwmark',
    help: 'fwmark on the probes (SO_MARK; selects a feed with `ip rule fwmark`)',
  },
  extensions: {
    flags: '-e, --extensions',
    type: 'bool',
    copies: 'traceroute -e',
    help: 'show ICMP extensions (RFC 4884): MPLS label stacks (RFC 4950) as <MPLS:L=..,E=..,S=..,T=..>',
  },
  ecmp: {
    flags: '--ecmp <flows>',
    type: 'int',
    min: 1,
    max: 64,
    help: 'also trace with this many flow ids and list every next hop seen per TTL',
  },
  json: { flags: '--json', type: 'bool', help: 'the result as JSON' },
};

/** The optional [packetlen] argument, read as an option is. */
const PACKETLEN: OptionSpec = {
  flags: 'packetlen',
  type: 'int',
  min: 28,
  max: 65000,
  help: 'total packet length',
};

export function register(program: Command): void {
  const traceroute = program
    .command('traceroute')
    .description('print the route packets take (UDP, ICMP or TCP probes; constant flow per trace)')
    .argument('<host>', 'destination')
    .argument('[packetlen]', 'total packet length (default 60 for IPv4, 80 for IPv6)');
  applyOptions(traceroute, TRACEROUTE_OPTIONS).action(
    async (host: string, packetlen: string | undefined, f: TrFlags) => {
      process.exitCode = await traceCommand(host, packetlen, f);
    },
  );
}

async function traceCommand(
  host: string,
  packetlen: string | undefined,
  f: TrFlags,
): Promise<number> {
  const protocol = f.icmp ? 'icmp' : f.tcp ? 'tcp' : 'udp';
  if ([f.icmp, f.tcp].filter(Boolean).length > 1)
    throw usageError('TRACE_BAD_OPTION', 'choose one of -I and -T');
  const family = f.ipv4 ? 4 : f.ipv6 ? 6 : undefined;
  const r = await resolveTarget(host, family);
  const maxHops = f.maxHops ?? 30;
  const firstHop =
    f.firstTtl !== undefined
      ? (readOption({ ...TRACEROUTE_OPTIONS.firstTtl, max: maxHops }, f.firstTtl) as number)
      : 1;
  const q = f.queries ?? 3;
  const parallel = f.simQueries ?? 16;
  const { port, tos, ecmp } = f;
  const len =
    packetlen !== undefined
      ? (readOption(PACKETLEN, packetlen) as number)
      : defaultPacketLen(r.family);
  let wait = [5, 3, 10];
  if (f.wait) {
    const parts = f.wait.split(',').map(Number);
    if (parts.some((x) => !Number.isFinite(x) || x < 0))
      throw usageError('TRACE_BAD_OPTION', `invalid argument for -w: '${f.wait}'`);
    wait = [parts[0] ?? 5, parts[1] ?? 3, parts[2] ?? 10];
  }
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  const names = new Map<string, string>();
  const name = f.numeric ? undefined : (ip: string) => names.get(ip) ?? ip;
  const opts = {
    family: r.family,
    protocol,
    maxHops,
    firstHop,
    probesPerHop: q,
    parallel,
    port,
    tos,
    packetLen: len,
    timeoutMs: wait[0] * 1000,
    here: wait[1],
    near: wait[2],
    signal: ac.signal,
    bind: requireInterface(
      mergeBind(
        f.interface !== undefined ? { device: ifaceName(f.interface, '-i') } : undefined,
        f.source !== undefined ? { source: sourceAddr(f.source, '-s') } : undefined,
        f.fwmark !== undefined ? { mark: fwmark(f.fwmark, '--fwmark') } : undefined,
      ),
    ),
  } as const;
  try {
    if (ecmp) {
      const res = await discoverEcmp(r.address, { ...opts, flows: ecmp });
      if (f.json) printJson(res);
      else {
        process.stdout.write(`${traceHeader(host, r.address, maxHops, len)}, ${ecmp} flows\n`);
        for (const h of res.hops)
          process.stdout.write(
            `${String(h.ttl).padStart(2)}  ${h.addresses.length ? h.addresses.join('  ') : '*'}\n`,
          );
      }
      return 0;
    }
    if (!f.json)
      process.stdout.write(
        traceHeader(
          host,
          r.address,
          maxHops,
          protocol === 'tcp' ? (r.family === 6 ? 64 : 44) : len,
        ) + '\n',
      );
    const onHop = f.json
      ? undefined
      : async (hop: TraceHop) => {
          if (name)
            for (const p of hop.probes)
              if (p.address && !names.has(p.address))
                names.set(p.address, await reverseName(p.address));
          process.stdout.write(traceHopLine(hop, name, !!f.extensions) + '\n');
        };
    // hops are printed in order even when a name lookup is slow
    let chain = Promise.resolve();
    const res = await trace(r.address, {
      ...opts,
      onHop: onHop
        ? (h) => {
            chain = chain.then(() => onHop(h));
          }
        : undefined,
    });
    await chain;
    if (f.json) printJson({ ...res, target: host });
    return 0;
  } finally {
    process.off('SIGINT', onSig);
  }
}
