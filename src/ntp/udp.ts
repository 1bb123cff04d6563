/** Small UDP exchange helper: send datagrams to one peer, collect every reply for a while. */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { usageError } from '../lib/errors.js';
import { canonical6, inetAton, numericName } from '../net/resolve.js';

export interface Resolved {
  address: string;
  family: 4 | 6;
}

const HOST_RE =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/;

/** Validate a host name or IP literal and resolve it (first address). */
export async function resolveHost(host: string): Promise<Resolved> {
  const fam = net.isIP(host);
  // replies are matched to the target by address text: "0:0::1" or upper case must be made canonical
  if (fam) return { address: fam === 6 ? canonical6(host) : host, family: fam as 4 | 6 };
  if (numericName(host)) {
    // "300.1.1.1" is a mistyped address, not a name: never send it to DNS
    const quad = inetAton(host);
    if (!quad)
      throw usageError(
        'NTP_BAD_HOST',
        `not a valid IP address: ${JSON.stringify(host)}`,
        'each part of a dotted IPv4 address is 0..255',
      );
    return { address: quad, family: 4 };
  }
  if (!HOST_RE.test(host))
    throw usageError('NTP_BAD_HOST', `not a host name or IP address: ${JSON.stringify(host)}`);
  try {
    const r = await lookup(host);
    return { address: r.address, family: r.family as 4 | 6 };
  } catch (e) {
    throw usageError('NTP_RESOLVE', `cannot resolve ${host}: ${(e as Error).message}`);
  }
}

export interface Datagram {
  data: Buffer;
  address: string;
  port: number;
  at: number;
}

/**
 * Send `requests` to host:port from one socket and collect replies that come from exactly that
 * address and port until `timeoutMs` passes or `done(replies)` says enough (a quiet period of
 * `settleMs` after the last reply ends the wait early). Replies from anyone else are counted in
 * `stray`, never mixed in. Caps the number of kept datagrams.
 */
export async function exchange(
  target: Resolved,
  port: number,
  requests: Buffer[],
  opts: {
    timeoutMs: number;
    settleMs?: number;
    maxReplies?: number;
    done?: (r: Datagram[]) => boolean;
    graceMs?: number;
    beforeSend?: (req: Buffer) => void;
  },
): Promise<{ replies: Datagram[]; stray: number }> {
  const sock = dgram.createSocket(target.family === 6 ? 'udp6' : 'udp4');
  const replies: Datagram[] = [];
  let stray = 0;
  const max = opts.maxReplies ?? 2000;
  return await new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settle: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(settle);
      try {
        sock.close();
      } catch {
        /* closed */
      }
      resolve({ replies, stray });
    };
    sock.on('error', (e) => {
      clearTimeout(timer);
      clearTimeout(settle);
      try {
        sock.close();
      } catch {
        /* */
      }
      reject(e);
    });
    sock.on('message', (data, rinfo) => {
      const at = performance.timeOrigin + performance.now();
      if (rinfo.address !== target.address || rinfo.port !== port) {
        stray++;
        return;
      }
      if (replies.length >= max) return;
      replies.push({ data, address: rinfo.address, port: rinfo.port, at });
      if (opts.done?.(replies)) {
        if (!opts.graceMs) return finish();
        clearTimeout(settle);
        settle = setTimeout(finish, opts.graceMs);
        return;
      }
      if (opts.settleMs !== undefined) {
        clearTimeout(settle);
        settle = setTimeout(finish, opts.settleMs);
      }
    });
    sock.bind(0, () => {
      timer = setTimeout(finish, opts.timeoutMs);
      for (const r of requests) {
        opts.beforeSend?.(r);
        sock.send(r, port, target.address);
      }
    });
  });
}
