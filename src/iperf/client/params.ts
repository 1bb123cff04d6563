/** PARAM_EXCHANGE: the client's parameters, with its credentials when it has them. */
import { encodeAuthToken } from '../auth.js';
import { DEFAULT_UDP_LEN, Limits } from '../constants.js';
import { toWire } from '../params.js';
import { mssOf } from '../sockopt.js';
import type { ClientRun } from './client-run.js';

export function sendParams(c: ClientRun): void {
  const { opts } = c;
  if (c.protocol === 'udp') udpBlockSize(c);
  // the timestamp in the credentials is taken now: the server checks it against its clock
  c.ctrl.writeJson(
    toWire(
      c.settings,
      opts.auth
        ? encodeAuthToken(
            opts.auth.username,
            opts.auth.password,
            opts.auth.publicKey,
            Math.floor(Date.now() / 1000),
            opts.auth.padding,
          )
        : undefined,
    ),
  );
}

/**
 * As iperf3: without -l, a UDP test sends datagrams of the control connection's MSS (TCP_MAXSEG,
 * read once the cookie is out), so they cross the same path unfragmented; 1460 when it is unknown.
 * A larger -l is kept, with iperf3's warning.
 */
function udpBlockSize(c: ClientRun): void {
  const { opts, settings } = c;
  const mss = mssOf(c.ctrlSock);
  const sane = mss >= Limits.minUdpLen && mss <= Limits.maxUdpLen ? mss : 0;
  if (!opts.len) settings.len = sane || DEFAULT_UDP_LEN;
  if (sane && settings.len > sane) {
    opts.onEvent?.({
      type: 'warning',
      message: `UDP block size ${settings.len} exceeds TCP MSS ${sane}, may result in fragmentation / drops`,
    });
  }
}
