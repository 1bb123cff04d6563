/**
 * The probers by name (blackbox_exporter's Probers map): each is src/net, src/iperf, src/ntp or
 * src/probe behind the one contract of prober.ts, resolving to that module's own result type.
 * The jobs turn those results into store records; nothing here re-declares a module's types.
 */
import { mtr, pingMany, type MtrOptions, type MtrReport } from '../../net/index.js';
import { runClient, type ClientOptions, type IperfJson } from '../../iperf/index.js';
import {
  ntpCheck,
  ntpQuery,
  type NtpCheckOptions,
  type NtpCheckResult,
  type NtpQueryResult,
} from '../../ntp/index.js';
import {
  probeDns,
  probeHttp,
  probeSmtp,
  probeTcp,
  type DnsOptions,
  type DnsResult,
  type HttpOptions,
  type HttpResult,
  type SmtpOptions,
  type SmtpResult,
  type TcpOptions,
  type TcpResult,
} from '../../probe/index.js';
import { isIP } from 'node:net';
import type { SocketBind } from '../../net/bind.js';
import { loadAddon } from '../../lib/native.js';
import { fpingProber, type LatencyProber } from './latency.js';
import type { Prober } from './prober.js';

export interface HostPort {
  host: string;
  port: number;
}

/** A feed's source address fixes the family its targets are resolved in (none: the resolver's choice). */
function feedFamily(bind: SocketBind | undefined): { family?: 4 | 6 } {
  return bind?.source ? { family: isIP(bind.source) === 6 ? 6 : 4 } : {};
}

/** src/net pingMany: one socket for every target, staggered across the interval. */
const ping: LatencyProber = {
  name: 'src/net pingMany',
  async probe(targets, o, ctx) {
    if (!targets.length) return [];
    const hosts = [...new Set(targets.map((t) => t.host))];
    ctx?.log?.(`pinging ${hosts.length} hosts, ${o.count} each, ${o.intervalMs} ms apart`);
    const res = await pingMany(hosts, {
      count: o.count,
      intervalMs: o.intervalMs,
      timeoutMs: o.timeoutMs,
      signal: ctx?.signal ?? o.signal,
      bind: o.bind,
      ...feedFamily(o.bind),
    });
    const byHost = new Map(res.map((r) => [r.target, r]));
    return targets.map((t) => {
      const r = byHost.get(t.host);
      if (!r || r.error)
        return {
          target: t.name,
          host: t.host,
          sent: 0,
          received: 0,
          rtts: [],
          error: r?.error ?? 'no result',
        };
      const rtts = r.rtts.filter((x): x is number => x !== null);
      return {
        target: t.name,
        host: t.host,
        address: r.address,
        sent: r.transmitted,
        received: rtts.length,
        rtts,
      };
    });
  },
};

const path: Prober<string, Omit<MtrOptions, 'signal'>, MtrReport> = {
  name: 'src/net mtr',
  probe: (host, m, ctx) => {
    ctx?.log?.(`mtr to ${host}, ${m.cycles} cycles`);
    return mtr(host, {
      ...feedFamily(m.bind),
      ...m,
      signal: ctx?.signal,
    });
  },
};

/** iperf3 client run; a failed test is the document with `error` set, as iperf3 -J writes it. */
const iperf: Prober<HostPort, Omit<ClientOptions, 'host' | 'port' | 'signal'>, IperfJson> = {
  name: 'src/iperf',
  async probe(t, m, ctx) {
    ctx?.log?.(`iperf3 client to ${t.host}:${t.port}`);
    try {
      return await runClient({ ...m, host: t.host, port: t.port, signal: ctx?.signal });
    } catch (e) {
      ctx?.log?.(`failed: ${(e as Error).message}`);
      return { start: {}, intervals: [], end: {}, error: (e as Error).message };
    }
  },
};

const ntp: Prober<string, { port: number; timeoutMs: number }, NtpQueryResult> = {
  name: 'src/ntp',
  probe: (host, m) => ntpQuery(host, m),
};
const amp: Prober<string, NtpCheckOptions, NtpCheckResult> = {
  name: 'src/ntp',
  probe: (host, m) => ntpCheck(host, m),
};

const tcp: Prober<HostPort, TcpOptions, TcpResult> = {
  name: 'src/probe tcp',
  probe: (t, m, ctx) => probeTcp(t.host, t.port, { count: 1, ...m, log: ctx?.log }),
};
const http: Prober<string, HttpOptions, HttpResult> = {
  name: 'src/probe http',
  probe: (url, m, ctx) => probeHttp(url, { ...m, log: ctx?.log }),
};
const dns: Prober<string, Omit<DnsOptions, 'server' | 'port'> & { name: string }, DnsResult> = {
  name: 'src/probe dns',
  probe: (server, { name, ...m }, ctx) => {
    const hp = splitHostPort(server, 53);
    return probeDns(name, { ...m, server: hp.host, port: hp.port, log: ctx?.log });
  },
};
const smtp: Prober<HostPort, SmtpOptions, SmtpResult> = {
  name: 'src/probe smtp',
  probe: (t, m, ctx) => probeSmtp(t.host, t.port, { ...m, log: ctx?.log }),
};

export const PROBERS = {
  ping,
  fping: fpingProber(),
  path,
  iperf,
  ntp,
  amp,
  tcp,
  http,
  dns,
  smtp,
} as const;
export type ProberName = keyof typeof PROBERS;

/** "host:port", "[v6]:port" or a bare host with `port` (the config has checked the form). */
export function splitHostPort(s: string, port: number): HostPort {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : port };
  const m = /^([^:]+):(\d+)$/.exec(s);
  return m ? { host: m[1], port: Number(m[2]) } : { host: s, port };
}

/** src/net needs its native addon; without it (no compiler at install) fping still works. */
function netAvailable(): boolean {
  try {
    loadAddon('hostops_probe');
    return true;
  } catch {
    return false;
  }
}

/** The ping job's prober by its config name (ping.prober): auto, net or fping. */
export function latencyProber(name: string): LatencyProber {
  switch (name) {
    case 'net':
      return PROBERS.ping;
    case 'auto':
      return netAvailable() ? PROBERS.ping : PROBERS.fping;
    case 'fping':
      return PROBERS.fping;
    default:
      throw new Error(
        `unknown latency prober ${JSON.stringify(name)} (expected auto, net or fping)`,
      );
  }
}
