/**
 * iperf3's authentication flags, with iperf3's role checks: --username and --rsa-public-key-path
 * (client, both or neither; the password from IPERF3_PASSWORD or typed at a terminal, never an
 * argument), --rsa-private-key-path, --authorized-users-path (server, both or neither) and
 * --time-skew-threshold (server).
 */
import { usageError } from '../lib/errors.js';
import { checkUsersFile, loadPrivateKey, loadPublicKey, type AuthConfig } from '../iperf/auth.js';
import { checkClientAuth, type ClientAuth } from '../iperf/client.js';

export interface AuthFlagInput {
  username?: string;
  rsaPublicKeyPath?: string;
  rsaPrivateKeyPath?: string;
  authorizedUsersPath?: string;
  timeSkewThreshold?: number;
}

const HINT =
  'client: --username U --rsa-public-key-path public.pem (password in IPERF3_PASSWORD); ' +
  'server: --rsa-private-key-path private.pem --authorized-users-path users.csv';

export function serverAuth(o: AuthFlagInput): AuthConfig | undefined {
  if (o.username !== undefined || o.rsaPublicKeyPath !== undefined) {
    throw usageError(
      'IPERF_USAGE',
      '--username and --rsa-public-key-path are client options',
      HINT,
    );
  }
  if ((o.rsaPrivateKeyPath === undefined) !== (o.authorizedUsersPath === undefined)) {
    throw usageError(
      'IPERF_USAGE',
      'give both --rsa-private-key-path and --authorized-users-path, or neither',
      HINT,
    );
  }
  if (o.rsaPrivateKeyPath === undefined) {
    if (o.timeSkewThreshold !== undefined)
      throw usageError(
        'IPERF_USAGE',
        '--time-skew-threshold needs --rsa-private-key-path and --authorized-users-path',
        HINT,
      );
    return undefined;
  }
  const skew = o.timeSkewThreshold ?? 10;
  const privateKey = loadPrivateKey(o.rsaPrivateKeyPath);
  checkUsersFile(o.authorizedUsersPath!);
  return { privateKey, usersPath: o.authorizedUsersPath!, skewSeconds: skew };
}

/** The client's credentials; the password is read here (environment or terminal), never from argv. */
export async function clientAuth(
  o: AuthFlagInput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ClientAuth | undefined> {
  if (
    o.rsaPrivateKeyPath !== undefined ||
    o.authorizedUsersPath !== undefined ||
    o.timeSkewThreshold !== undefined
  ) {
    throw usageError(
      'IPERF_USAGE',
      '--rsa-private-key-path, --authorized-users-path and --time-skew-threshold are server options',
      HINT,
    );
  }
  if (o.username === undefined && o.rsaPublicKeyPath === undefined) return undefined;
  if (o.username === undefined || o.rsaPublicKeyPath === undefined) {
    throw usageError(
      'IPERF_USAGE',
      'give both --username and --rsa-public-key-path, or neither',
      HINT,
    );
  }
  const publicKey = loadPublicKey(o.rsaPublicKeyPath);
  let password = env.IPERF3_PASSWORD;
  if (password === undefined) {
    if (!process.stdin.isTTY) {
      throw usageError(
        'IPERF_AUTH_PASSWORD',
        'no password: IPERF3_PASSWORD is not set and standard input is not a terminal to ask on',
        'export IPERF3_PASSWORD (as for iperf3); hostops never takes a password on the command line',
      );
    }
    password = await askPassword();
  }
  const auth = { username: o.username, password, publicKey };
  checkClientAuth(auth);
  return auth;
}

/** "Password: " on the terminal without echo, as iperf3's iperf_getpass. */
function askPassword(): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    // raw (no echo) before the prompt shows, so nothing typed after it is echoed
    stdin.setRawMode(true);
    process.stderr.write('Password: ');
    stdin.resume();
    let typed = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (b: Buffer) => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          return;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          done(usageError('IPERF_AUTH_PASSWORD', 'no password given'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}
