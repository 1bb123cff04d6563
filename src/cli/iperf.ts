/**
 * `hostops iperf`: iperf3-compatible client (-c HOST) and server (-s), and with --iperf2 the
 * iperf 2 protocol on port 5001. Parses iperf3's flags, calls src/iperf, renders text or -J.
 */
import { fwmark, ifaceName, requireInterface } from '../net/bind.js';
import type { Command } from 'commander';
import { usageError } from '../lib/errors.js';
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
import { applyOptions, readOption } from './options/index.js';
import { IPERF_OPTIONS } from './iperf-options.js';
import { clientFlags } from './iperf-client-flags.js';
import { clientAuth, serverAuth, type AuthFlagInput } from './iperf-auth-flags.js';
import { tcpInfoAvailable } from '../iperf/tcp-info.js';
import { runIperf2Client, startIperf2Server } from '../iperf/iperf2/index.js';

interface Opts extends AuthFlagInput {
  server?: boolean;
  client?: string;
  port?: string;
  time?: number;
  bytes?: number;
  blockcount?: number;
  parallel?: number;
  reverse?: boolean;
  bidir?: boolean;
  udp?: boolean;
  bitrate?: number;
  length?: number;
  window?: number;
  omit?: number;
  interval?: number;
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
  cport?: number;
  dscp?: string;
  tos?: number;
  zerocopy?: boolean;
  affinity?: string;
  title?: string;
  maxDuration?: number;
  idleTimeout?: number;
  controlTimeout?: number;
  serverBitrateLimit?: number;
}

/** -p once the role is known: a client's port 1..65535, a server's 0..65535 (0: any). */
const portOf = (v: string | undefined, min: number): number | undefined =>
  v === undefined ? undefined : (readOption({ ...IPERF_OPTIONS.port, min }, v) as number);

const out = (l: string) => process.stdout.write(l + '\n');

export function register(program: Command): void {
  const iperf = program
    .command('iperf')
    .description(
      'iperf3-compatible throughput client and server (--iperf2 for the iperf 2 protocol)',
    );
  applyOptions(iperf, IPERF_OPTIONS).action(async (o: Opts) => {
    const json = !!(o.J || o.json);
    if (!!o.server === !!o.client)
      throw usageError('IPERF_USAGE', 'give exactly one of -s (server) or -c HOST (client)');
    const family = o.version6 ? 6 : o.version4 ? 4 : undefined;
    if (o.iperf2) return iperf2(o, json);
    if (o.server) return server(o, json);
    const settingsPort = portOf(o.port, 1) ?? 5201;
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
        duration: o.time,
        bytes: o.bytes,
        blocks: o.blockcount,
        parallel: o.parallel,
        reverse: o.reverse,
        bidir: o.bidir,
        bitrate: o.bitrate,
        len: o.length,
        window: o.window,
        omit: o.omit,
        interval: o.interval,
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
    port: portOf(o.port, 0) ?? 5201,
    host: o.bind ?? (o.version6 ? '::' : o.version4 ? '0.0.0.0' : undefined),
    interval: o.interval,
    oneOff: o.oneOff,
    json,
    maxDuration: o.maxDuration,
    dataIdleTimeoutMs: (o.idleTimeout ?? 30) * 1000,
    maxBitrate: o.serverBitrateLimit,
    controlTimeoutMs: (o.controlTimeout ?? 10) * 1000,
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
  const port = portOf(o.port, 0) ?? 5001;
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
    duration: o.time,
    bytes: o.bytes,
    parallel: o.parallel,
    len: o.length,
    interval: o.interval,
    onLine: json ? undefined : out,
  });
  if (json) printJson(res);
}
