/** SERVER_ERROR: the server's i_errno (and errno), as iperf3 reports it; a refused authentication explained. */
import { IErr, IErrText } from '../constants.js';
import type { ClientRun } from './client-run.js';

export async function serverError(c: ClientRun): Promise<never> {
  const { ctrl, opts } = c;
  // i_errno, then errno; iperf3 3.12 sends no errno after a failed authentication and closes
  const ierr = (await ctrl.readExact(4, 5000).catch(() => Buffer.alloc(4))).readInt32BE(0);
  const errno = (await ctrl.readExact(4, 2000).catch(() => Buffer.alloc(4))).readInt32BE(0);
  if (ierr === IErr.IEAUTHTEST) {
    return c.fail(
      'IPERF_AUTH_REFUSED',
      opts.auth
        ? `test authorization failed: the server refused user ${JSON.stringify(opts.auth.username)}`
        : 'test authorization failed: the server requires authentication',
      1,
      opts.auth
        ? "check the user name and IPERF3_PASSWORD against the server's authorized users file, that --rsa-public-key-path is this server's key, " +
            "and this host's clock (the server refuses credentials more than its --time-skew-threshold, 10 s by default, off its clock)"
        : "give --username and --rsa-public-key-path (the server's public key) and the password in IPERF3_PASSWORD",
      IErrText[ierr],
    );
  }
  return c.fail(
    'IPERF_SERVER_ERROR',
    `server error: ${IErrText[ierr] ?? `i_errno ${ierr}`}${errno ? ` (errno ${errno})` : ''}`,
  );
}
