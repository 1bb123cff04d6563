/**
 * `hostops iperf`: iperf3-compatible client (-c HOST) and server (-s), and with --iperf2 the
 * iperf 2 protocol on port 5001. Parses iperf3's flags, calls src/iperf, renders text or -J.
 */
import { fwmark, ifaceName, requireInterface } from '../net/bind.js';
import type { Command } from 'commander';
import { HostopsError, usageError } from '../lib/errors.js';
import { printJson } from '../lib/output.js';
import {
  IperfError,
  runClient,
  startServer,
  type ClientEvent,
  type TestSettings,
} from '../iperf/index.js';
import {
  connectedLines,
  connectingLines,
  doneLines,
  intervalLines,
  summaryLines,
} from '../iperf/text.js';
import { parseSize } from '../iperf/units.js';
import { clientFlags } from './iperf-client-flags.js';
import { clientAuth, serverAuth, type AuthFlagInput } from './iperf-auth-flags.js';
import { tcpInfoAvailable } from '../iperf/tcp-info.js';
import { runIperf2Client, startIperf2Server } from '../iperf/iperf2/index.js';

interface Opts extends AuthFlagInput {
  server?: boolean;
  client?: string;
  port?: string;
  time?: string;
  bytes?: string;
  blockcount?: string;
  parallel?: string;
  reverse?: boolean;
  bidir?: boolean;
  udp?: boolean;
  bitrate?: string;
  length?: string;
  window?: string;
  omit?: string;
  interval?: string;
  getServerOutput?: boolean;
  congestion?: string;
  version4?: boolean;
  version6?: boolean;
  J?: boolean;
  json?: boolean;
  oneOff?: boolean;
  bind?: string;
  bindDev?: string;
  fwmark?: string;
  udpCounters64bit?: boolean;
  iperf2?: boolean;
  format?: string;
  cport?: string;
  dscp?: string;
  tos?: string;
  zerocopy?: boolean;
  affinity?: string;
  title?: string;
  maxDuration?: string;
  idleTimeout?: string;
  controlTimeout?: string;
  serverBitrateLimit?: string;
}

function int(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw HostopsError.of('BAD_OPTION', name, v, `a number ${min}..${max}`);
  return n;
}

function size(v: string | undefined, name: string, kind: 'bytes' | 'rate'): number | undefined {
  if (v === undefined) return undefined;
  const n = parseSize(v, kind);
  if (!Number.isFinite(n) || n < 0)
    throw HostopsError.of('BAD_OPTION', name, v, 'a size like 128K, 10M or 1G');
  return n;
}

const out = (l: string) => process.stdout.write(l + '\n');

export function register(program: Command): void {
  program
    .command('iperf')
    .description(
      'iperf3-compatible throughput client and server (--iperf2 for the iperf 2 protocol)',
    )
    .option('-s, --server', 'run as server')
    .option('-c, --client <host>', 'run as client, connecting to host')
    .option('-p, --port <n>', 'server port (default 5201, iperf2 5001)')
    .option('-t, --time <s>', 'seconds to transmit (default 10)')
    .option('-n, --bytes <n>', 'bytes to transmit instead of -t (K/M/G suffix)')
    .option('-k, --blockcount <n>', 'blocks (-l) to transmit instead of -t')
    .option('-P, --parallel <n>', 'parallel streams')
    .option('-R, --reverse', 'server sends, client receives')
    .option('--bidir', 'both directions at once')
    .option('-u, --udp', 'UDP instead of TCP')
    .option('-b, --bitrate <rate>', 'target bit/s per stream (UDP default 1M, TCP unlimited)')
    .option(
      '-l, --length <n>',
      "block size (TCP 128K; UDP the control connection's MSS, else 1460)",
    )
    .option(
      '-w, --window <n>',
      "socket buffer size (SO_SNDBUF/SO_RCVBUF) on both ends' data sockets",
    )
    .option('-O, --omit <s>', 'omit the first s seconds from the results')
    .option('-i, --interval <s>', 'seconds between interval reports (0 = none)')
    .option('--get-server-output', "append the server's report")
    .option(
      '-C, --congestion <algo>',
      'TCP congestion control algorithm (see /proc/sys/net/ipv4/tcp_available_congestion_control)',
    )
    .option('--udp-counters-64bit', '64-bit UDP sequence numbers')
    .option('-4, --version4', 'IPv4 only')
    .option('-6, --version6', 'IPv6 only')
    .option(
      '-B, --bind <host>',
      'server: address to listen on; client: local address of all its connections',
    )
    .option('-f, --format <f>', 'bitrate unit: k m g t (bits) or K M G T (bytes), as iperf3')
    .option(
      '--bind-dev <iface>',
      'client: send through this interface (SO_BINDTODEVICE), as iperf3 --bind-dev',
    )
    .option(
      '--fwmark <n>',
      'client: fwmark on every connection (SO_MARK; selects a feed with `ip rule fwmark`)',
    )
    .option('--cport <port>', 'client: local port of the first data stream (stream i: port + i)')
    .option('--dscp <v>', 'client: DSCP value (0-63) or name (ef, af11..af43, cs0..cs7, le)')
    .option('-S, --tos <n>', 'client: IP type of service byte')
    .option(
      '-Z, --zerocopy',
      'accepted for iperf3 compatibility; data is sent with ordinary writes',
    )
    .option(
      '-A, --affinity <n>',
      'client: pin this process to CPU core n (sched_setaffinity via taskset)',
    )
    .option('-1, --one-off', 'server: handle one test, then exit')
    .option('-T, --title <text>', 'client: title sent with the parameters')
    .option('--max-duration <s>', 'server: longest test accepted (default 3600)')
    .option(
      '--server-bitrate-limit <rate>',
      'server: refuse tests asking for more than this total bit/s (unlimited tests too)',
    )
    .option(
      '--control-timeout <s>',
      'server: deadline for each control message during setup (default 10)',
    )
    .option(
      '--idle-timeout <s>',
      'server: end a test whose streams move nothing for s seconds (default 30)',
    )
    .option(
      '--rsa-private-key-path <file>',
      "server: RSA private key (PEM) that decrypts the clients' credentials",
    )
    .option(
      '--authorized-users-path <file>',
      'server: authorized users, one "user,sha256(\'{user}password\')" line each; # comments',
    )
    .option(
      '--time-skew-threshold <s>',
      'server: refuse credentials whose timestamp is more than s seconds off (default 10)',
    )
    .option(
      '--username <name>',
      'client: user name for authentication (password in IPERF3_PASSWORD, else asked on the terminal)',
    )
    .option(
      '--rsa-public-key-path <file>',
      "client: the server's RSA public key (PEM) to encrypt the credentials",
    )
    .option('-J', 'JSON output in the iperf3 -J schema')
    .option('--json', 'same as -J')
    .option('--iperf2', 'speak the iperf 2 protocol (port 5001) instead of iperf3')
    .action(async (o: Opts) => {
      const json = !!(o.J || o.json);
      if (!!o.server === !!o.client)
        throw usageError('IPERF_USAGE', 'give exactly one of -s (server) or -c HOST (client)');
      const family = o.version6 ? 6 : o.version4 ? 4 : undefined;
      if (o.iperf2) return iperf2(o, json);
      if (o.server) return server(o, json);
      const settingsPort = int(o.port, '-p', 1, 65535) ?? 5201;
      const host = o.client!;
      const cf = clientFlags(o);
      const auth = await clientAuth(o);
      const device =
        o.bindDev !== undefined
          ? requireInterface({ device: ifaceName(o.bindDev, '--bind-dev') })!.device
          : undefined;
      const mark = o.fwmark !== undefined ? fwmark(o.fwmark, '--fwmark') : undefined;
      if (!json) for (const l of connectingLines(host, settingsPort, !!o.reverse)) out(l);
      let ivIndex = 0;
      let settings: TestSettings | undefined;
      const onEvent = (e: ClientEvent) => {
        if (e.type === 'connected') {
          settings = e.settings;
          if (!json) connectedLines(e.start).forEach(out);
        } else if (e.type === 'warning') {
          if (!json) process.stderr.write(`warning: ${e.message}\n`);
        } else if (e.type === 'interval' && !json)
          intervalLines(
            e.interval,
            e.settings,
            'c',
            ivIndex++,
            e.settings.protocol === 'tcp' && tcpInfoAvailable(),
            cf.unit,
          ).forEach(out);
      };
      const ac = new AbortController();
      const onSig = () => ac.abort();
      process.once('SIGINT', onSig);
      try {
        const res = await runClient({
          host,
          port: settingsPort,
          family,
          protocol: o.udp ? 'udp' : 'tcp',
          duration: int(o.time, '-t', 0, 86400),
          bytes: size(o.bytes, '-n', 'bytes'),
          blocks: int(o.blockcount, '-k', 0, Number.MAX_SAFE_INTEGER),
          parallel: int(o.parallel, '-P', 1, 128),
          reverse: o.reverse,
          bidir: o.bidir,
          bitrate: size(o.bitrate, '-b', 'rate'),
          len: size(o.length, '-l', 'bytes'),
          window: size(o.window, '-w', 'bytes'),
          omit: int(o.omit, '-O', 0, 600),
          interval: int(o.interval, '-i', 0, 60),
          getServerOutput: o.getServerOutput,
          congestion: o.congestion,
          udp64: o.udpCounters64bit,
          title: o.title,
          bind: o.bind,
          cport: cf.cport,
          tos: cf.tos,
          auth,
          device,
          mark,
          signal: ac.signal,
          onEvent,
        });
        if (json) printJson(res);
        else {
          if (settings) summaryLines(res.end, settings, 'c', cf.unit).forEach(out);
          doneLines(res.server_output_text).forEach(out);
        }
      } catch (e) {
        if (json && e instanceof IperfError) {
          printJson(e.json);
          process.exitCode = 1;
          return;
        }
        throw e;
      } finally {
        process.removeListener('SIGINT', onSig);
      }
    });
}

async function server(o: Opts, json: boolean): Promise<void> {
  const auth = serverAuth(o);
  const srv = await startServer({
    auth,
    port: int(o.port, '-p', 0, 65535) ?? 5201,
    host: o.bind ?? (o.version6 ? '::' : o.version4 ? '0.0.0.0' : undefined),
    interval: int(o.interval, '-i', 0, 60),
    oneOff: o.oneOff,
    json,
    maxDuration: int(o.maxDuration, '--max-duration', 1, 86400),
    dataIdleTimeoutMs: (int(o.idleTimeout, '--idle-timeout', 1, 3600) ?? 30) * 1000,
    maxBitrate: size(o.serverBitrateLimit, '--server-bitrate-limit', 'rate'),
    controlTimeoutMs: (int(o.controlTimeout, '--control-timeout', 0.1, 600) ?? 10) * 1000,
    onEvent: (e) => {
      if (e.type === 'line' && !json) out(e.line);
      else if (e.type === 'result' && json) printJson(e.json);
      else if (e.type === 'rejected' && !json)
        process.stderr.write(`iperf3: ${e.peer}: ${e.reason}\n`);
      // iperf3's own line, then why (for the operator; the client hears only the first part)
      else if (e.type === 'auth-failed')
        process.stderr.write(
          `iperf3: error - test authorization failed (${e.peer}: ${e.reason})\n`,
        );
    },
  });
  await new Promise<void>((resolve) => {
    const stop = () => {
      void srv.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (o.oneOff) {
      const t = setInterval(() => {
        if (srv.completed > 0 && !srv.busy) {
          clearInterval(t);
          stop();
        }
      }, 200);
    }
  });
}

async function iperf2(o: Opts, json: boolean): Promise<void> {
  const port = int(o.port, '-p', 0, 65535) ?? 5001;
  if (o.server) {
    const srv = await startIperf2Server({
      port,
      host: o.bind,
      oneOff: o.oneOff,
      onLine: json ? undefined : out,
      onResult: json ? (r) => printJson(r) : undefined,
    });
    await new Promise<void>((resolve) => {
      const stop = () => {
        void srv.close().then(resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (o.oneOff) srv.done.then(stop);
    });
    return;
  }
  const res = await runIperf2Client({
    host: o.client!,
    port,
    duration: int(o.time, '-t', 0, 86400),
    bytes: size(o.bytes, '-n', 'bytes'),
    parallel: int(o.parallel, '-P', 1, 128),
    len: size(o.length, '-l', 'bytes'),
    interval: int(o.interval, '-i', 0, 60),
    onLine: json ? undefined : out,
  });
  if (json) printJson(res);
}
