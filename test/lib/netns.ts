/**
 * Builds throwaway network-namespace topologies for tests and benchmarks: namespaces joined by
 * veth pairs, 198.18.0.0/15 addresses, forwarding routers. This kernel has no netem, so loss and
 * rate limiting are emulated with nftables (see docs/ARCHITECTURE.md).
 *
 * Every name carries the caller's prefix plus the process id, so parallel test files never
 * collide, and destroy() removes everything the topology made (also on exit, SIGTERM, SIGINT and
 * SIGHUP: test/lib/cleanup.ts).
 */
import { execFileSync, spawn, type SpawnOptions, type ChildProcess } from 'node:child_process';
import { onCleanup } from './cleanup.js';

export function sh(argv: string[], input?: string): string {
  return execFileSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export class Topology {
  readonly prefix: string;
  private namespaces: string[] = [];
  private links = 0;
  private readonly forget: () => void;

  /** prefix: 2-6 lowercase letters naming the test (ns names must stay under 16 chars). */
  constructor(prefix: string) {
    this.prefix = `${prefix}${process.pid % 100000}`;
    this.forget = onCleanup(() => this.destroy());
  }

  /** Create a namespace; returns its full name. Loopback up, forwarding on when router. */
  ns(name: string, opts: { router?: boolean } = {}): string {
    const full = `${this.prefix}${name}`;
    sh(['ip', 'netns', 'add', full]);
    this.namespaces.push(full);
    this.exec(full, ['ip', 'link', 'set', 'lo', 'up']);
    if (opts.router) {
      this.exec(full, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      this.exec(full, ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
    }
    // fair comparisons: the kernel must not rate-limit its own ICMP errors
    this.exec(full, ['sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0']);
    this.exec(full, ['sysctl', '-qw', 'net.ipv4.ping_group_range=0 2147483647']);
    return full;
  }

  /**
   * Join two namespaces (or a namespace and the host when a is null) with a veth pair and
   * give each end an address with prefix length, e.g. '198.18.1.1/30'.
   */
  link(a: string | null, aAddr: string, b: string, bAddr: string): { aIf: string; bIf: string } {
    const n = this.links++;
    const aIf = `${this.prefix.slice(0, 8)}a${n}`;
    const bIf = `${this.prefix.slice(0, 8)}b${n}`;
    sh(['ip', 'link', 'add', aIf, 'type', 'veth', 'peer', 'name', bIf]);
    if (a) sh(['ip', 'link', 'set', aIf, 'netns', a]);
    sh(['ip', 'link', 'set', bIf, 'netns', b]);
    const inA = (argv: string[]) => (a ? this.exec(a, argv) : sh(argv));
    inA(['ip', 'addr', 'add', aAddr, 'dev', aIf]);
    inA(['ip', 'link', 'set', aIf, 'up']);
    this.exec(b, ['ip', 'addr', 'add', bAddr, 'dev', bIf]);
    this.exec(b, ['ip', 'link', 'set', bIf, 'up']);
    return { aIf, bIf };
  }

  /** Add a route in a namespace (null = host): `route(ns, 'default', '198.18.0.2')`. */
  route(ns: string | null, dst: string, via: string): void {
    const argv = ['ip', 'route', 'add', dst, 'via', via];
    if (ns) this.exec(ns, argv);
    else sh(argv);
  }

  /** Run a command inside a namespace and return its stdout. */
  exec(ns: string, argv: string[], input?: string): string {
    return sh(['ip', 'netns', 'exec', ns, ...argv], input);
  }

  /** Start a long-running process inside a namespace. */
  spawn(ns: string, argv: string[], opts: SpawnOptions = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: 'pipe', ...opts });
  }

  /** Load an nftables ruleset (text) inside a namespace. */
  nft(ns: string, ruleset: string): void {
    this.exec(ns, ['nft', '-f', '-'], ruleset);
  }

  /** Drop N percent of packets matching `match` (nft expression) leaving ns; emulates loss. */
  loss(
    ns: string,
    percent: number,
    match = '',
    hook: 'output' | 'forward' | 'input' = 'forward',
  ): void {
    this.nft(
      ns,
      `table inet hoemu_${hook} {
  chain c { type filter hook ${hook} priority 0; policy accept;
    ${match} numgen random mod 100 < ${Math.round(percent)} drop
  }
}`,
    );
  }

  destroy(): void {
    for (const ns of this.namespaces.reverse()) {
      try {
        sh(['ip', 'netns', 'pids', ns])
          .split(/\s+/)
          .filter(Boolean)
          .forEach((p) => {
            try {
              process.kill(Number(p), 'SIGKILL');
            } catch {
              /* gone */
            }
          });
      } catch {
        /* none */
      }
      try {
        sh(['ip', 'netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
    this.namespaces = [];
    this.forget();
  }
}

/** A chain host - r1 - r2 - ... - rN - target, /30 links in 198.18.<base>.0/24; returns addresses. */
export function chain(
  t: Topology,
  routers: number,
  base: number,
): { src: string; hops: string[]; target: string; srcAddr: string } {
  if (base < 0 || base > 255) throw new Error('base must be 0..255');
  const src = t.ns('s');
  const nodes = [src];
  for (let i = 1; i <= routers; i++) nodes.push(t.ns(`r${i}`, { router: true }));
  const target = t.ns('t');
  nodes.push(target);
  const hops: string[] = [];
  const addr = (link: number, host: 1 | 2) => `198.18.${base}.${link * 4 + host}`;
  for (let i = 0; i < nodes.length - 1; i++) {
    t.link(nodes[i], `${addr(i, 1)}/30`, nodes[i + 1], `${addr(i, 2)}/30`);
    hops.push(addr(i, 2));
  }
  // default routes forward, specific routes back
  for (let i = 0; i < nodes.length - 1; i++)
    t.exec(nodes[i], ['ip', 'route', 'add', 'default', 'via', addr(i, 2)]);
  for (let i = 1; i < nodes.length; i++) {
    for (let j = 0; j < i - 1; j++)
      t.exec(nodes[i], ['ip', 'route', 'add', `${addr(j, 1)}/32`, 'via', addr(i - 1, 1)]);
  }
  return { src, hops, target, srcAddr: addr(0, 1) };
}

/**
 * An ISP host with two transit feeds (per-feed measurement tests):
 *
 *   h --ifA-- ta ------------- x      feed A: one transit hop
 *   h --ifB-- tb --- tb2 ----- x      feed B: two transit hops
 *
 * The target address lives on x's loopback and is reachable both ways; x routes each uplink's
 * subnet back the way it came. h has no route to the target in its main table: only policy
 * routing finds it, by source address (`ip rule from`), by fwmark (A 10, B 20) or by the
 * interface a socket is bound to (`ip rule oif`). Addresses in 198.18.<base>.0/24 and
 * 198.18.<base+1>.1 for the target.
 */
export function twoFeeds(
  t: Topology,
  base: number,
): {
  h: string;
  ta: string;
  tb: string;
  tb2: string;
  x: string;
  ifA: string;
  ifB: string;
  srcA: string;
  srcB: string;
  markA: number;
  markB: number;
  target: string;
  hopsA: string[];
  hopsB: string[];
} {
  if (base < 0 || base > 254) throw new Error('base must be 0..254');
  const a = (n: number) => `198.18.${base}.${n}`;
  const target = `198.18.${base + 1}.1`;
  const h = t.ns('h');
  const ta = t.ns('ta', { router: true });
  const tb = t.ns('tb', { router: true });
  const tb2 = t.ns('tc', { router: true });
  const x = t.ns('x');
  const { aIf: ifA } = t.link(h, `${a(1)}/30`, ta, `${a(2)}/30`);
  const { aIf: ifB } = t.link(h, `${a(5)}/30`, tb, `${a(6)}/30`);
  t.link(ta, `${a(9)}/30`, x, `${a(10)}/30`);
  t.link(tb, `${a(13)}/30`, tb2, `${a(14)}/30`);
  t.link(tb2, `${a(17)}/30`, x, `${a(18)}/30`);
  t.exec(x, ['ip', 'addr', 'add', `${target}/32`, 'dev', 'lo']);
  // forward towards the target, back towards each uplink's subnet
  t.exec(ta, ['ip', 'route', 'add', `${target}/32`, 'via', a(10)]);
  t.exec(tb, ['ip', 'route', 'add', `${target}/32`, 'via', a(14)]);
  t.exec(tb2, ['ip', 'route', 'add', `${target}/32`, 'via', a(18)]);
  t.exec(tb2, ['ip', 'route', 'add', `${a(4)}/30`, 'via', a(13)]);
  t.exec(x, ['ip', 'route', 'add', `${a(0)}/30`, 'via', a(9)]);
  t.exec(x, ['ip', 'route', 'add', `${a(4)}/30`, 'via', a(17)]);
  // h: one table per feed, chosen by source, fwmark or bound interface
  const markA = 10,
    markB = 20;
  t.exec(h, ['ip', 'route', 'add', 'default', 'via', a(2), 'dev', ifA, 'table', '101']);
  t.exec(h, ['ip', 'route', 'add', 'default', 'via', a(6), 'dev', ifB, 'table', '102']);
  for (const [sel, table] of [
    [['from', a(1)], '101'],
    [['from', a(5)], '102'],
    [['fwmark', String(markA)], '101'],
    [['fwmark', String(markB)], '102'],
    [['oif', ifA], '101'],
    [['oif', ifB], '102'],
  ] as const) {
    t.exec(h, ['ip', 'rule', 'add', ...sel, 'table', table]);
  }
  // replies come back on the feed they left by; no reverse-path filter in the way
  for (const k of ['all', 'default', ifA, ifB])
    t.exec(h, ['sysctl', '-qw', `net.ipv4.conf.${k}.rp_filter=0`]);
  return {
    h,
    ta,
    tb,
    tb2,
    x,
    ifA,
    ifB,
    srcA: a(1),
    srcB: a(5),
    markA,
    markB,
    target,
    hopsA: [a(2), target],
    hopsB: [a(6), a(14), target],
  };
}
