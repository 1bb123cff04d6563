/** `hostops traceroute`: Linux traceroute 2.1 options and layout on our own probes (Paris flow). */
import { fwmark, ifaceName, mergeBind, requireInterface, sourceAddr } from '../net/bind.js';
import type { Command } from 'commander';
import { HostopsError, usageError } from '../lib/errors.js';
import { printJson } from '../lib/output.js';
import { trace, defaultPacketLen, type TraceHop } from '../net/trace.js';
import { discoverEcmp } from '../net/ecmp.js';
import { resolveTarget, reverseName } from '../net/resolve.js';
import { traceHeader, traceHopLine } from '../net/format/trace.js';

interface TrFlags {
  icmp?: boolean;
  tcp?: boolean;
  udp?: boolean;
  maxHops?: string;
  queries?: string;
  numeric?: boolean;
  port?: string;
  wait?: string;
  firstTtl?: string;
  simQueries?: string;
  ipv4?: boolean;
  ipv6?: boolean;
  tos?: string;
  json?: boolean;
  ecmp?: string;
  interface?: string;
  source?: string;
  fwmark?: string;
  extensions?: boolean;
}

function int(v: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw HostopsError.of('BAD_OPTION', flag, v, `an integer ${min}..${max}`);
  return n;
}

export function register(program: Command): void {
  program
    .command('traceroute')
    .description('print the route packets take (UDP, ICMP or TCP probes; constant flow per trace)')
    .argument('<host>', 'destination')
    .argument('[packetlen]', 'total packet length (default 60 for IPv4, 80 for IPv6)')
    .option('-I, --icmp', 'ICMP echo probes')
    .option('-T, --tcp', 'TCP SYN probes (default port 80)')
    .option('-U, --udp', 'UDP probes (default)')
    .option('-m, --max-hops <n>', 'max TTL (default 30)')
    .option('-f, --first-ttl <n>', 'start from this TTL (default 1)')
    .option('-q, --queries <n>', 'probes per hop (default 3)')
    .option('-N, --sim-queries <n>', 'probes in flight at once (default 16)')
    .option('-n, --numeric', 'no reverse name lookups')
    .option('-p, --port <n>', 'destination port (UDP 33434, TCP 80)')
    .option('-w, --wait <max[,here,near]>', 'seconds to wait for an answer (default 5,3,10)')
    .option('-t, --tos <n>', 'type of service / traffic class')
    .option('-4, --ipv4', 'IPv4')
    .option('-6, --ipv6', 'IPv6')
    .option('-i, --interface <iface>', 'send from this interface (SO_BINDTODEVICE)')
    .option('-s, --source <addr>', 'source address of the probes')
    .option('--fwmark <n>', 'fwmark on the probes (SO_MARK; selects a feed with `ip rule fwmark`)')
    .option(
      '-e, --extensions',
      'show ICMP extensions (RFC 4884): MPLS label stacks (RFC 4950) as <MPLS:L=..,E=..,S=..,T=..>',
    )
    .option(
      '--ecmp <flows>',
      'also trace with this many flow ids and list every next hop seen per TTL',
    )
    .option('--json', 'the result as JSON')
    .action(async (host: string, packetlen: string | undefined, f: TrFlags) => {
      process.exitCode = await traceCommand(host, packetlen, f);
    });
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
  const maxHops = int(f.maxHops, '-m', 1, 255) ?? 30;
  const firstHop = int(f.firstTtl, '-f', 1, maxHops) ?? 1;
  const q = int(f.queries, '-q', 1, 10) ?? 3;
  const parallel = int(f.simQueries, '-N', 1, 128) ?? 16;
  const port = int(f.port, '-p', 1, 65535);
  const tos = int(f.tos, '-t', 0, 255);
  const len = int(packetlen, 'packetlen', 28, 65000) ?? defaultPacketLen(r.family);
  const ecmp = int(f.ecmp, '--ecmp', 1, 64);
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
