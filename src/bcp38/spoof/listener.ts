/**
 * `bcp38 listen`: records spoof-test probes per session and answers the control exchange.
 * Bounded everywhere: line length, connection count and time, sessions kept and probes per session.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { envError } from '../../lib/errors.js';
import {
  DEFAULT_PORT,
  MAX_LINE,
  VERSION,
  decodeProbe,
  isSession,
  type ProbeRecord,
} from './protocol.js';

export interface ListenerOptions {
  port?: number;
  /** Address to bind; default all IPv4 addresses (and all IPv6 ones on a second socket). */
  host?: string;
  /** Called for every valid probe as it arrives. */
  onProbe?: (session: string, p: ProbeRecord) => void;
  maxSessions?: number;
  maxProbesPerSession?: number;
  /** Sessions older than this are forgotten; default 600 s. */
  sessionTtl?: number;
  /** Control connections open at once; past it the oldest is dropped. Default 64. */
  maxConnections?: number;
  /** A control connection is closed this long after it opened; default 5000 ms. */
  connectionTimeoutMs?: number;
}

export interface Listener {
  port: number;
  close(): Promise<void>;
  /** Probes recorded for a session (a copy). */
  results(session: string): ProbeRecord[];
}

const unmap = (a: string) => (a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a);

export async function startListener(opts: ListenerOptions = {}): Promise<Listener> {
  const port = opts.port ?? DEFAULT_PORT;
  const maxSessions = opts.maxSessions ?? 1000;
  const maxProbes = opts.maxProbesPerSession ?? 256;
  const ttl = (opts.sessionTtl ?? 600) * 1000;
  const maxConns = opts.maxConnections ?? 64;
  const connTimeout = opts.connectionTimeoutMs ?? 5000;
  const sessions = new Map<string, { created: number; probes: ProbeRecord[] }>();

  const record = (msg: Buffer, address: string, sport: number) => {
    const p = decodeProbe(msg);
    if (!p) return;
    let s = sessions.get(p.session);
    if (!s) {
      const now = Date.now();
      // Map order is creation order: expire from the front only, so a flood of new (forged) sessions
      // costs O(1) per datagram instead of a walk over all 1000
      for (const [k, v] of sessions) {
        if (now - v.created <= ttl) break;
        sessions.delete(k);
      }
      if (sessions.size >= maxSessions) sessions.delete(sessions.keys().next().value!);
      s = { created: now, probes: [] };
      sessions.set(p.session, s);
    }
    if (s.probes.length >= maxProbes) return;
    const rec = {
      id: p.id,
      label: p.label,
      source: unmap(address),
      sourcePort: sport,
      at: Date.now() / 1000,
    };
    s.probes.push(rec);
    opts.onProbe?.(p.session, rec);
  };

  const udp: UdpSocket[] = [];
  const bindUdp = (type: 'udp4' | 'udp6', host?: string) =>
    new Promise<void>((resolve, reject) => {
      const s = createSocket({ type, ipv6Only: type === 'udp6' });
      s.on('message', (m, r) => record(m, r.address, r.port));
      s.once('error', reject);
      s.bind(port, host, () => {
        s.removeListener('error', reject);
        s.on('error', () => {});
        udp.push(s);
        resolve();
      });
    });
  const fail = (e: unknown): never => {
    for (const s of udp) s.close();
    const err = e as NodeJS.ErrnoException;
    throw envError(
      'BCP38_LISTEN_FAILED',
      `cannot listen on port ${port}: ${err.code ?? err.message}`,
      err.code === 'EADDRINUSE'
        ? 'another process uses the port: choose one with --port'
        : undefined,
    );
  };
  try {
    if (opts.host) await bindUdp(isIPv6(opts.host) ? 'udp6' : 'udp4', opts.host);
    else {
      await bindUdp('udp4');
      await bindUdp('udp6').catch(() => {
        /* no IPv6 here */
      });
    }
  } catch (e) {
    fail(e);
  }

  // Insertion-ordered, so the first entry is the oldest connection.
  const conns = new Set<Socket>();
  const server: Server = createServer((c) => {
    // A full table evicts the oldest client rather than refusing the new one: an honest exchange
    // takes milliseconds, so slow or idle clients cannot lock spooftest out.
    if (conns.size >= maxConns) {
      const oldest = conns.values().next().value!;
      conns.delete(oldest); // now: 'close' comes later, and a burst of accepts must not pick the same victim
      oldest.destroy();
    }
    conns.add(c);
    // Whole-exchange deadline, not only an idle one: a byte every few seconds must not hold a slot.
    const deadline = setTimeout(() => c.destroy(), connTimeout);
    c.setTimeout(connTimeout, () => c.destroy());
    c.on('close', () => {
      clearTimeout(deadline);
      conns.delete(c);
    });
    c.on('error', () => {});
    let line = '';
    let answered = false;
    c.on('data', (d) => {
      if (answered) return;
      line += d.toString('latin1');
      if (line.length > MAX_LINE) {
        answered = true;
        c.end(JSON.stringify({ ok: false, error: 'line too long' }) + '\n');
        c.destroy();
        return;
      }
      const nl = line.indexOf('\n');
      if (nl < 0) return;
      answered = true;
      let req: { op?: unknown; session?: unknown };
      try {
        req = JSON.parse(line.slice(0, nl));
      } catch {
        c.end(JSON.stringify({ ok: false, error: 'not JSON' }) + '\n');
        return;
      }
      if (req?.op === 'hello') {
        c.end(
          JSON.stringify({ ok: true, version: VERSION, observed: unmap(c.remoteAddress ?? '') }) +
            '\n',
        );
      } else if (req?.op === 'results' && isSession(req.session)) {
        c.end(
          JSON.stringify({
            ok: true,
            session: req.session,
            received: sessions.get(req.session)?.probes ?? [],
          }) + '\n',
        );
      } else c.end(JSON.stringify({ ok: false, error: 'unknown request' }) + '\n');
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: opts.host ?? '::', ipv6Only: false }, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
  } catch (e) {
    if (!opts.host && (e as NodeJS.ErrnoException).code === 'EAFNOSUPPORT') {
      await new Promise<void>((resolve) => server.listen({ port, host: '0.0.0.0' }, resolve));
    } else fail(e);
  }

  // accept() errors (EMFILE under a connection flood) must not end the process.
  server.on('error', () => {});

  return {
    port,
    results: (s) => [...(sessions.get(s)?.probes ?? [])],
    close: async () => {
      for (const c of conns) c.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      for (const s of udp) s.close();
    },
  };
}
