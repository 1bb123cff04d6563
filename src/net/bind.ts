/**
 * Which way a probe leaves the host: source address, interface (SO_BINDTODEVICE) and fwmark
 * (SO_MARK). With two transit feeds and policy routing (`ip rule from ... / oif ... / fwmark ...`),
 * these select the feed. Parsing follows the tools' flags: ping -I takes an interface or an address
 * (iputils), traceroute -s/-i, mtr -a/-I/-M, iperf3 -B/--bind-dev.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { envError, usageError } from '../lib/errors.js';
import type { Family } from './probe-socket.js';

export interface SocketBind {
  /** numeric source address to bind */
  source?: string;
  /** interface name for SO_BINDTODEVICE */
  device?: string;
  /** SO_MARK fwmark (0..2^32-1) */
  mark?: number;
}

const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/;

/** iputils ping -I: an address is the source, anything else an interface name. */
export function ifaceOrAddr(v: string, flag: string): SocketBind {
  if (isIP(v)) return { source: v };
  return { device: ifaceName(v, flag) };
}

export function ifaceName(v: string, flag: string): string {
  if (!IFNAME.test(v) || v === '.' || v === '..') {
    throw usageError(
      'NET_BAD_INTERFACE',
      `${flag}: "${v.slice(0, 40)}" is not an interface name (1..15 of letters, digits, _ . : @ -)`,
    );
  }
  return v;
}

export function sourceAddr(v: string, flag: string): string {
  if (!isIP(v))
    throw usageError(
      'NET_BAD_SOURCE',
      `${flag} must be a numeric IPv4 or IPv6 address, got "${v.slice(0, 60)}"`,
    );
  return v;
}

/** fwmark as iptables/ip-rule write it: decimal or 0x hex, 0..0xffffffff. */
export function fwmark(v: string, flag: string): number {
  const n = /^0x[0-9a-f]{1,8}$/i.test(v)
    ? parseInt(v.slice(2), 16)
    : /^\d{1,10}$/.test(v)
      ? Number(v)
      : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw usageError(
      'NET_BAD_FWMARK',
      `${flag}: "${v.slice(0, 20)}" is not a fwmark (0..4294967295, or 0x hex)`,
    );
  }
  return n;
}

/** Merge the pieces given by separate flags; a field given twice must agree. */
export function mergeBind(...parts: (SocketBind | undefined)[]): SocketBind | undefined {
  const out: SocketBind = {};
  for (const p of parts) {
    if (!p) continue;
    for (const k of ['source', 'device', 'mark'] as const) {
      if (p[k] === undefined) continue;
      if (out[k] !== undefined && out[k] !== p[k]) {
        throw usageError(
          'NET_BAD_OPTION',
          `two different ${k === 'source' ? 'source addresses' : k === 'device' ? 'interfaces' : 'fwmarks'} given: ${out[k]} and ${p[k]}`,
        );
      }
      (out as Record<string, unknown>)[k] = p[k];
    }
  }
  return Object.keys(out).length ? out : undefined;
}

/** The source address must be of the target's family (a v4 source cannot send to a v6 target). */
export function checkBindFamily(b: SocketBind | undefined, family: Family, target: string): void {
  if (!b?.source) return;
  const f = isIP(b.source);
  if (f !== family) {
    throw usageError(
      'NET_BAD_SOURCE',
      `source address ${b.source} is IPv${f} but ${target} is IPv${family}`,
      `give a source address of the same family, or -${f} to pick the target's IPv${f} address`,
    );
  }
}

/**
 * The interfaces of this process's network namespace: /proc/net is /proc/self/net, the namespace
 * the process is in. /sys/class/net is whatever sysfs is mounted, which is another namespace's
 * under `nsenter --net` (seen: an interface that iputils ping -I used was "not on this host").
 */
function hasInterface(name: string): boolean {
  let dev: string;
  try {
    dev = readFileSync('/proc/net/dev', 'utf8');
  } catch {
    return existsSync(`/sys/class/net/${name}`);
  }
  // after two header lines, one "  name: counters" line per interface (':' is not allowed in a name)
  return dev
    .split('\n')
    .slice(2)
    .some((l) => l.slice(0, l.indexOf(':')).trim() === name);
}

/** An interface that does not exist is an environment error (exit 3), named before any output. */
export function requireInterface(b: SocketBind | undefined): SocketBind | undefined {
  if (b?.device && !hasInterface(b.device)) {
    throw envError(
      'NET_NO_INTERFACE',
      `no interface named "${b.device}" on this host`,
      'list them with `ip -br link`',
    );
  }
  return b;
}

/** Short text for headers and logs: "from 198.18.1.2 dev veth-a mark 10". */
export function bindText(b: SocketBind | undefined): string {
  if (!b) return '';
  const parts: string[] = [];
  if (b.source) parts.push(`from ${b.source}`);
  if (b.device) parts.push(`dev ${b.device}`);
  if (b.mark !== undefined) parts.push(`mark ${b.mark}`);
  return parts.join(' ');
}
