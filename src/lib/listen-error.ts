/** A listen() that failed for a reason of the machine (port taken, no permission, no such address) as a named error, exit 3. */
import { HostopsError, type ErrorCode } from './errors.js';

const REASONS: Record<string, string> = {
  EADDRINUSE: 'is already in use',
  EACCES: 'needs more privileges (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  EADDRNOTAVAIL: 'is not an address of this host',
};
const CODES: Record<string, ErrorCode> = {
  EADDRINUSE: 'LISTEN_EADDRINUSE',
  EACCES: 'LISTEN_EACCES',
  EADDRNOTAVAIL: 'LISTEN_EADDRNOTAVAIL',
};

/** `e` itself when it is not a listen error this host caused; otherwise a HostopsError naming the address and port. */
export function listenError(
  e: unknown,
  what: string,
  host: string | undefined,
  port: number,
  hint: string,
): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (!code || !REASONS[code]) return e;
  const h = host ?? '*';
  const addr = `${h.includes(':') ? `[${h}]` : h}:${port}`;
  return new HostopsError(
    CODES[code],
    `${what}: cannot listen on ${addr}: the ${code === 'EADDRNOTAVAIL' ? 'address' : 'port'} ${REASONS[code]}`,
    { exitCode: 3, hint, cause: e },
  );
}
