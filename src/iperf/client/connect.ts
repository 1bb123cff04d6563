/** TCP connections of the client (control and data), with -B, --cport, --bind-dev and --fwmark. */
import net from 'node:net';
import { lookup } from 'node:dns/promises';
import { boundTcpSocket, wantsDeviceBind, type DeviceBind } from '../bind-dev.js';

export async function connectTcp(
  host: string,
  port: number,
  family: 4 | 6 | undefined,
  timeoutMs: number,
  onread?: net.OnReadOpts,
  local: { address?: string; port?: number } & DeviceBind = {},
): Promise<net.Socket> {
  // --bind-dev / --fwmark: the socket is made (and marked) before Node connects it, so the family
  // must be known first
  let pre: net.Socket | undefined;
  if (wantsDeviceBind(local)) {
    if (!family || !net.isIP(host)) {
      const a = await lookup(host, { family: family ?? 0 });
      host = a.address;
      family = a.family === 6 ? 6 : 4;
    }
    pre = boundTcpSocket(family, local, onread);
  }
  return new Promise((resolve, reject) => {
    const where = {
      host,
      port,
      family: family ?? 0,
      ...(onread && !pre ? { onread } : {}),
      ...(local.address ? { localAddress: local.address } : {}),
      ...(local.port ? { localPort: local.port } : {}),
    };
    const sock = pre ? pre.connect(where) : net.connect(where);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('Connection timed out'));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(e.code === 'ECONNREFUSED' ? 'Connection refused' : e.message));
    });
  });
}
