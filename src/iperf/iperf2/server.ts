/**
 * iperf 2 server, plain TCP: counts what each connection sends until it closes, prints the
 * 2.1.8 layout, and sums streams that the client header says belong together (-P).
 */
import net from 'node:net';
import { nowSec } from '../clock.js';
import { plainAddr } from '../stream.js';
import { parseHeader } from './header.js';
import { SINK, adoptWithReader } from '../tcp-data.js';
import { HEADER, RULE, defaultWindow, peerLine, row } from './format.js';
import type { Iperf2Result, Iperf2Stream } from './client.js';
import { listenError } from '../../lib/listen-error.js';

export interface Iperf2ServerOptions {
  port?: number;
  host?: string;
  oneOff?: boolean;
  interval?: number;
  /** A connection that sends nothing for this long is closed (ms). Default 30 s. */
  idleTimeoutMs?: number;
  maxConnections?: number;
  onLine?: (line: string) => void;
  onResult?: (r: Iperf2Result) => void;
}

interface Group {
  peer: string;
  want: number;
  streams: (Iperf2Stream & { t0: number; open: boolean })[];
  t0: number;
}

export async function startIperf2Server(
  o: Iperf2ServerOptions = {},
): Promise<{ port: number; close(): Promise<void>; done: Promise<void> }> {
  const say = o.onLine ?? (() => {});
  const idle = o.idleTimeoutMs ?? 30_000;
  let nextId = 1;
  let group: Group | null = null;
  const all = new Set<net.Socket>();
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const server = net.createServer();
  server.maxConnections = o.maxConnections ?? 256;

  const finishGroup = (g: Group) => {
    const end = Math.max(...g.streams.map((s) => s.end));
    const bytes = g.streams.reduce((a, s) => a + s.bytes, 0);
    if (g.want > 1) say(row('SUM', 0, end, bytes));
    o.onResult?.({
      role: 'server',
      streams: g.streams.map(({ t0: _t, open: _o, ...s }) => s),
      sum: { start: 0, end, bytes, bits_per_second: end > 0 ? (bytes * 8) / end : 0 },
    });
    if (group === g) group = null;
    if (o.oneOff) resolveDone();
  };

  server.on('connection', (sock) => {
    all.add(sock);
    sock.on('close', () => all.delete(sock));
    sock.on('error', () => {});
    sock.setTimeout(idle, () => sock.destroy());
    const peer = plainAddr(sock.remoteAddress);
    const t0 = nowSec();
    const st = {
      id: nextId++,
      local: { host: plainAddr(sock.localAddress), port: sock.localPort ?? 0 },
      remote: { host: peer, port: sock.remotePort ?? 0 },
      bytes: 0,
      start: 0,
      end: 0,
      t0,
      open: true,
    };
    say(peerLine(st.id, st.local, st.remote));
    let g: Group | null = null;
    let headerSeen = false;
    let ivStart = 0;
    let ivBytes = 0;
    const ivTimer = o.interval
      ? setInterval(() => {
          const now = nowSec() - t0;
          say(row(st.id, ivStart, now, st.bytes - ivBytes));
          ivBytes = st.bytes;
          ivStart = now;
        }, o.interval * 1000)
      : null;
    const onData = (d: Buffer) => {
      if (!headerSeen) {
        headerSeen = true;
        const h = parseHeader(d);
        const want = h?.threads ?? 1;
        if (group && group.peer === peer && group.streams.length < group.want) g = group;
        else {
          g = { peer, want, streams: [], t0 };
          if (want > 1) group = g;
          say(HEADER);
        }
        g.streams.push(st);
      }
      st.bytes += d.length;
      // After the header only lengths matter: read straight into the shared sink buffer.
      sock.removeListener('data', onData);
      sock.pause();
      const fresh = adoptWithReader(sock, {
        buffer: SINK,
        callback: (n) => {
          st.bytes += n;
          return true;
        },
      });
      all.add(fresh);
      fresh.setTimeout(idle, () => fresh.destroy());
      fresh.on('close', () => {
        all.delete(fresh);
        finish();
      });
      if (fresh === sock) return;
      sock.removeAllListeners('close'); // the old object closes now; the stream lives on in `fresh`
      all.delete(sock);
    };
    sock.on('data', onData);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (ivTimer) clearInterval(ivTimer);
      st.end = nowSec() - t0;
      st.open = false;
      if (!g) {
        if (o.oneOff) resolveDone();
        return;
      }
      say(row(st.id, 0, st.end, st.bytes));
      if (g.streams.length >= g.want && g.streams.every((s) => !s.open)) finishGroup(g);
    };
    sock.on('close', finish);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) =>
      reject(
        listenError(
          e,
          'iperf 2 server',
          o.host,
          o.port ?? 5001,
          'choose another port with -p (and address with -B), or stop the program holding it (ss -ltnp)',
        ),
      ),
    );
    server.listen({ port: o.port ?? 5001, host: o.host }, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  server.on('error', () => {});
  const port = (server.address() as net.AddressInfo).port;
  say(RULE);
  say(`Server listening on TCP port ${port}`);
  say(`TCP window size: ${defaultWindow('rmem')}`);
  say(RULE);
  return {
    port,
    done,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of all) s.destroy();
        server.close(() => resolve());
      }),
  };
}
