/**
 * iperf3's authentication flags, with iperf3's role checks: --username and --rsa-public-key-path
 * (client, both or neither; the password from IPERF3_PASSWORD or typed at a terminal, never an
 * argument), --rsa-private-key-path, --authorized-users-path (server, both or neither) and
 * --time-skew-threshold (server).
 */
import { usageError } from '../lib/errors.js';
import { checkUsersFile, loadPrivateKey, type AuthConfig } from '../iperf/auth.js';

export interface AuthFlagInput {
  username?: string; rsaPublicKeyPath?: string; rsaPrivateKeyPath?: string; authorizedUsersPath?: string; timeSkewThreshold?: string;
}

const HINT = 'client: --username U --rsa-public-key-path public.pem (password in IPERF3_PASSWORD); '
  + 'server: --rsa-private-key-path private.pem --authorized-users-path users.csv';

export function serverAuth(o: AuthFlagInput): AuthConfig | undefined {
  if (o.username !== undefined || o.rsaPublicKeyPath !== undefined) {
    throw usageError('IPERF_USAGE', '--username and --rsa-public-key-path are client options', HINT);
  }
  if ((o.rsaPrivateKeyPath === undefined) !== (o.authorizedUsersPath === undefined)) {
    throw usageError('IPERF_USAGE', 'give both --rsa-private-key-path and --authorized-users-path, or neither', HINT);
  }
  if (o.rsaPrivateKeyPath === undefined) {
    if (o.timeSkewThreshold !== undefined) throw usageError('IPERF_USAGE', '--time-skew-threshold needs --rsa-private-key-path and --authorized-users-path', HINT);
    return undefined;
  }
  let skew = 10;
  if (o.timeSkewThreshold !== undefined) {
    skew = Number(o.timeSkewThreshold);
    if (!/^\d+$/.test(o.timeSkewThreshold) || skew < 1 || skew > 86400) {
      throw usageError('IPERF_BAD_OPTION', `--time-skew-threshold must be a whole number of seconds from 1 to 86400, got "${o.timeSkewThreshold}"`);
    }
  }
  const privateKey = loadPrivateKey(o.rsaPrivateKeyPath);
  checkUsersFile(o.authorizedUsersPath!);
  return { privateKey, usersPath: o.authorizedUsersPath!, skewSeconds: skew };
}
