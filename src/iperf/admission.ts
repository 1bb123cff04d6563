/**
 * Admission of connections that have not sent their cookie yet ("silent" ones). A server that
 * faces the internet cannot let one address fill every slot: each source may hold a few silent
 * connections, and when a source (or the whole server) is at its limit the OLDEST silent
 * connection of the busiest source is closed to make room. A real client sends its cookie within
 * one round trip, so it is never the oldest for long; a flood only ever evicts itself.
 */
import net from 'node:net';

export interface SilentConn {
  readonly source: string;
  readonly since: number;
  /** Close it (the caller's cleanup runs through its 'close' handling). */
  evict(reason: string): void;
}

/** The address a limit counts against: an IPv4 address, or the /64 of an IPv6 one (one host usually owns a whole /64). */
export function sourceKey(addr: string | undefined): string {
  if (!addr) return '?';
  const a = addr.startsWith('::ffff:') && net.isIPv4(addr.slice(7)) ? addr.slice(7) : addr;
  if (!net.isIPv6(a)) return a;
  const full = expand6(a);
  return full ? `${full.slice(0, 4).join(':')}::/64` : a;
}

function expand6(a: string): string[] | null {
  const [head, tail = null] = a.split('::') as [string, string?];
  const h = head ? head.split(':') : [];
  const t = tail === null ? [] : tail ? tail.split(':') : [];
  if (t.some((x) => x.includes('.')) || h.some((x) => x.includes('.'))) return null;
  const fill = tail === null ? [] : Array(8 - h.length - t.length).fill('0');
  const all = [...h, ...fill, ...t];
  return all.length === 8 ? all.map((x) => x.toLowerCase().replace(/^0+(?=.)/, '')) : null;
}

export class Admission {
  private conns: SilentConn[] = [];

  constructor(
    private maxTotal: number,
    private maxPerSource: number,
  ) {}

  get size(): number {
    return this.conns.length;
  }

  countFor(source: string): number {
    return this.conns.filter((c) => c.source === source).length;
  }

  /** Make room for a new silent connection from `source` (evicting others if needed), then hold it. */
  admit(c: SilentConn): void {
    while (this.countFor(c.source) >= this.maxPerSource)
      this.evictOldest(c.source, 'too many silent connections from this source');
    while (this.conns.length >= this.maxTotal)
      this.evictOldest(
        this.busiestSource(),
        'too many silent connections; this source holds the most',
      );
    this.conns.push(c);
  }

  release(c: SilentConn): void {
    const i = this.conns.indexOf(c);
    if (i >= 0) this.conns.splice(i, 1);
  }

  private busiestSource(): string {
    const n = new Map<string, number>();
    for (const c of this.conns) n.set(c.source, (n.get(c.source) ?? 0) + 1);
    let best = this.conns[0].source;
    for (const [s, k] of n) if (k > n.get(best)!) best = s;
    return best;
  }

  /** conns is in arrival order, so the first match is the oldest. */
  private evictOldest(source: string, reason: string): void {
    const i = this.conns.findIndex((c) => c.source === source);
    const [c] = this.conns.splice(i, 1);
    c.evict(reason);
  }
}
