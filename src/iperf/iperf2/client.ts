/**
 * iperf 2 client, plain TCP: each stream sends the 2.1.8 header and then data for -t seconds
 * (or -n bytes) and closes; there is no control channel and no server report in this mode.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { HostopsError } from '../../lib/errors.js';
import { nowSec } from '../clock.js';
import { plainAddr } from '../stream.js';
import { validateHost } from '../client.js';
import { clientHeader, HEADER_LEN } from './header.js';
import { HEADER, RULE, defaultWindow, peerLine, row } from './format.js';

export interface Iperf2ClientOptions {
  host: string;
  port?: number;
  duration?: number;
  bytes?: number;
  parallel?: number;
  len?: number;
  interval?: number;
  onLine?: (line: string) => void;
}

export interface Iperf2Stream {
  id: number;
  local: { host: string; port: number };
  remote: { host: string; port: number };
  bytes: number;
  start: number;
  end: number;
}
export interface Iperf2Result {
  role: 'client' | 'server';
  streams: Iperf2Stream[];
  sum: { start: number; end: number; bytes: number; bits_per_second: number };
}

export async function runIperf2Client(o: Iperf2ClientOptions): Promise<Iperf2Result> {
  validateHost(o.host);
  const port = o.port ?? 5001;
  const P = o.parallel ?? 1;
  const len = o.len ?? 128 * 1024;
  const duration = o.bytes ? 0 : (o.duration ?? 10);
  const say = o.onLine ?? (() => {});
  const header = clientHeader({ threads: P, port, duration, bytes: o.bytes });
  const block = randomBytes(Math.max(len, HEADER_LEN));
  header.copy(block, 0);
  say(RULE);
  say(`Client connecting to ${o.host}, TCP port ${port}`);
  say(`TCP window size: ${defaultWindow('wmem')}`);
  say(RULE);
  const socks: net.Socket[] = [];
  try {
    for (let i = 0; i < P; i++) {
      const s = await new Promise<net.Socket>((resolve, reject) => {
        const c = net.connect({ host: o.host, port });
        const t = setTimeout(() => {
          c.destroy();
          reject(new Error('Connection timed out'));
        }, 10_000);
        c.once('connect', () => {
          clearTimeout(t);
          resolve(c);
        });
        c.once('error', (e) => {
          clearTimeout(t);
          reject(e);
        });
      }).catch((e: Error) => {
        throw new HostopsError('IPERF2_CONNECT', `connect failed: ${e.message}`, {
          where: `${o.host} port ${port}`,
        });
      });
      s.on('error', () => {});
      s.on('data', () => {}); // 2.1 servers may send a short version ack; it carries nothing we use
      socks.push(s);
      say(
        peerLine(
          i + 1,
          { host: plainAddr(s.localAddress), port: s.localPort ?? 0 },
          { host: plainAddr(s.remoteAddress), port: s.remotePort ?? 0 },
        ),
      );
    }
    const t0 = nowSec();
    const streams: Iperf2Stream[] = socks.map((s, i) => ({
      id: i + 1,
      local: { host: plainAddr(s.localAddress), port: s.localPort ?? 0 },
      remote: { host: plainAddr(s.remoteAddress), port: s.remotePort ?? 0 },
      bytes: 0,
      start: 0,
      end: 0,
    }));
    say(HEADER);
    let ivStart = 0;
    const ivBytes = streams.map(() => 0);
    const ivTimer = o.interval
      ? setInterval(() => {
          const now = nowSec() - t0;
          let sum = 0;
          streams.forEach((st, i) => {
            const b = st.bytes - ivBytes[i];
            ivBytes[i] = st.bytes;
            sum += b;
            say(row(st.id, ivStart, now, b));
          });
          if (P > 1) say(row('SUM', ivStart, now, sum));
          ivStart = now;
        }, o.interval * 1000)
      : null;
    let totalBytes = 0;
    const budget = o.bytes ?? 0;
    await Promise.all(
      socks.map(
        (s, i) =>
          new Promise<void>((resolve) => {
            const st = streams[i];
            let first = true;
            let stopped = false;
            const deadline = t0 + duration;
            const finish = () => {
              if (stopped) return;
              stopped = true;
              st.end = nowSec() - t0;
              s.end(() => resolve());
              s.once('close', () => resolve());
            };
            const pump = () => {
              for (let k = 0; k < 32; k++) {
                if (stopped) return;
                if (
                  (duration > 0 && nowSec() >= deadline) ||
                  (budget > 0 && totalBytes >= budget)
                ) {
                  finish();
                  return;
                }
                const buf = first ? header : block;
                first = false;
                st.bytes += buf.length;
                totalBytes += buf.length;
                if (!s.write(buf)) {
                  s.once('drain', pump);
                  return;
                }
              }
              setImmediate(pump);
            };
            s.once('close', () => {
              if (!stopped) finish();
            });
            pump();
          }),
      ),
    );
    if (ivTimer) clearInterval(ivTimer);
    for (const st of [...streams].sort((a, b) => a.end - b.end))
      say(row(st.id, 0, st.end, st.bytes));
    const end = Math.max(...streams.map((s) => s.end));
    const bytes = streams.reduce((a, s) => a + s.bytes, 0);
    if (P > 1) say(row('SUM', 0, end, bytes));
    return {
      role: 'client',
      streams,
      sum: { start: 0, end, bytes, bits_per_second: end > 0 ? (bytes * 8) / end : 0 },
    };
  } finally {
    for (const s of socks) s.destroy();
  }
}
