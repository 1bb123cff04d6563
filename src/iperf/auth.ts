/**
 * iperf3's RSA authentication (esnet/iperf src/iperf_auth.c, 3.12): the client encrypts
 * "user: U\npwd:  P\nts:   T" (T = Unix seconds) with the server's RSA public key, PKCS#1 v1.5
 * padding in 3.12 (3.17+ default to OAEP), and sends it base64-encoded as "authtoken" in the
 * parameters. The server decrypts it, refuses a timestamp more than the skew threshold away from
 * its clock, and looks for the line "U,hex(sha256('{U}P'))" in its authorized users file.
 *
 * Node 20 refuses PKCS#1 v1.5 in privateDecrypt (the Marvin timing attack, CVE-2023-46809), so the
 * server decrypts without padding and strips it here with no early exit; a token whose padding is
 * wrong decodes to a pseudo-random plaintext that then fails like a wrong password (implicit
 * rejection, as OpenSSL 3.2+ does), and the server answers every failure with the same bytes.
 */
import {
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { HostopsError } from '../lib/errors.js';

export type RsaPadding = 'pkcs1' | 'oaep';

/** The authorized users file is read on every attempt (as iperf3 does); anything larger is refused. */
const MAX_USERS_FILE = 4 * 1024 * 1024;
/** An authtoken longer than this (a 16384-bit key's ciphertext in base64) is refused unread. */
export const MAX_AUTHTOKEN = 4096;

/** The plaintext iperf3 encrypts (its auth_text_format). */
export function authText(user: string, password: string, ts: number): string {
  return `user: ${user}\npwd:  ${password}\nts:   ${ts}`;
}

/** The hash in the authorized users file: hex sha256 of "{user}password". */
export function passwordHash(user: string, password: string): string {
  return createHash('sha256').update(`{${user}}${password}`).digest('hex');
}

/**
 * iperf3 parses the plaintext with sscanf("user: %s\npwd:  %s\nts:   %ld"): names and passwords
 * end at white space, so credentials holding any never authenticate. The client refuses them
 * up front; this says why (null when fine).
 */
export function credentialProblem(user: string, password: string): string | null {
  if (user === '' || /\s/.test(user))
    return 'the user name must be non-empty and hold no white space (iperf3 reads it up to the first space)';
  if (password === '' || /\s/.test(password))
    return 'the password must be non-empty and hold no white space (iperf3 reads it up to the first space)';
  if (user.includes(','))
    return 'the user name must not hold a comma (the authorized users file is "user,hash")';
  return null;
}

/** Encrypt the credentials for the "authtoken" parameter. */
export function encodeAuthToken(
  user: string,
  password: string,
  key: KeyObject,
  ts: number,
  padding: RsaPadding = 'pkcs1',
): string {
  const pad = padding === 'oaep' ? constants.RSA_PKCS1_OAEP_PADDING : constants.RSA_PKCS1_PADDING;
  return publicEncrypt(
    { key, padding: pad },
    Buffer.from(authText(user, password, ts), 'utf8'),
  ).toString('base64');
}

export interface Credentials {
  user: string;
  password: string;
  ts: number;
}

function parseAuthText(b: Buffer): Credentials | null {
  // sscanf semantics: literal "user:", any white space, a word, and so on; trailing bytes ignored
  const m = /^user:\s*(\S+)\s*pwd:\s*(\S+)\s*ts:\s*([+-]?\d{1,19})/.exec(b.toString('utf8'));
  if (!m) return null;
  const ts = Number(m[3]);
  return Number.isSafeInteger(ts) ? { user: m[1], password: m[2], ts } : null;
}

/**
 * PKCS#1 v1.5 type 2 unpadding of a raw RSA block (00 02 PS 00 M, PS at least 8 non-zero bytes),
 * scanning every byte whatever it finds. On bad padding the message is a pseudo-random one keyed
 * by the private key and the ciphertext, so callers cannot tell the two cases apart.
 */
function unpadPkcs1(em: Buffer, ciphertext: Buffer, keyId: Buffer): Buffer {
  let bad = (em[0] | (em[1] ^ 2)) !== 0 ? 1 : 0;
  let sep = 0;
  let found = 0;
  for (let i = 2; i < em.length; i++) {
    const isZero = em[i] === 0 ? 1 : 0;
    const take = isZero & (found ^ 1);
    sep = take ? i : sep;
    found |= isZero;
  }
  bad |= (found ^ 1) | (sep < 10 ? 1 : 0);
  const synthetic = createHmac('sha256', keyId).update(ciphertext).digest();
  return bad ? synthetic : em.subarray(sep + 1);
}

/** A fixed secret per key for the synthetic plaintexts (the hash of its private exponent). */
const keyIds = new WeakMap<KeyObject, Buffer>();
function keyId(key: KeyObject): Buffer {
  let id = keyIds.get(key);
  if (!id) {
    id = createHash('sha256')
      .update(key.export({ format: 'der', type: 'pkcs1' }))
      .digest();
    keyIds.set(key, id);
  }
  return id;
}

/**
 * Decrypt an authtoken: OAEP (iperf3 3.17+ by default) is tried first, its integrity check cannot
 * pass on a v1.5 block by chance; then PKCS#1 v1.5 (3.12, and 3.17+ with --use-pkcs1-padding).
 * Returns null when it is not a token for this key.
 */
export function decodeAuthToken(token: string, key: KeyObject): Credentials | null {
  if (token.length > MAX_AUTHTOKEN || !/^[A-Za-z0-9+/]+={0,2}$/.test(token)) return null;
  const ct = Buffer.from(token, 'base64');
  const size = (key.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
  if (ct.length !== size) return null;
  try {
    return parseAuthText(privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING }, ct));
  } catch {
    /* not OAEP */
  }
  let em: Buffer;
  try {
    em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ct);
  } catch {
    return null; // ciphertext not below the modulus
  }
  return parseAuthText(unpadPkcs1(em, ct, keyId(key)));
}

export type AuthVerdict = { ok: true; user: string } | { ok: false; reason: string };

export interface AuthConfig {
  privateKey: KeyObject;
  /** Path of the authorized users file; read on every attempt, so edits need no restart. */
  usersPath: string;
  /** Seconds the client's timestamp may differ from ours (--time-skew-threshold); iperf3's default is 10. */
  skewSeconds: number;
}

function usersFileLines(path: string): string[] | null {
  try {
    const st = statSync(path);
    if (!st.isFile() || st.size > MAX_USERS_FILE) return null;
    return readFileSync(path, 'utf8').split('\n');
  } catch {
    return null;
  }
}

/**
 * test_is_authorized + check_authentication: the token's credentials, timestamp and the users
 * file. The reason is for the server's log (never the password); the client is told only that
 * authorization failed.
 */
export function authorize(
  token: unknown,
  cfg: AuthConfig,
  nowSec = Math.floor(Date.now() / 1000),
): AuthVerdict {
  if (token === undefined || token === null)
    return {
      ok: false,
      reason: 'the client sent no credentials (no --username / --rsa-public-key-path)',
    };
  const cred = typeof token === 'string' ? decodeAuthToken(token, cfg.privateKey) : null;
  if (!cred)
    return { ok: false, reason: "the credentials do not decrypt with this server's RSA key" };
  const skew = nowSec - cred.ts;
  const who = JSON.stringify(cred.user.slice(0, 64));
  if (Math.abs(skew) > cfg.skewSeconds) {
    return {
      ok: false,
      reason: `user ${who}: timestamp ${Math.abs(skew)} s ${skew > 0 ? 'behind' : 'ahead of'} this server's clock (threshold ${cfg.skewSeconds} s)`,
    };
  }
  const lines = usersFileLines(cfg.usersPath);
  if (!lines)
    return {
      ok: false,
      reason: `user ${who}: cannot read the authorized users file ${cfg.usersPath}`,
    };
  const want = Buffer.from(passwordHash(cred.user, cred.password), 'latin1');
  let knownUser = false;
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    if (line === '' || line.startsWith('#') || !line.includes(',')) continue;
    // strtok(",") as iperf3: leading commas skipped, the hash ends at the next comma
    const [u, h] = line.replace(/^,+/, '').split(/,+/);
    if (u !== cred.user) continue;
    knownUser = true;
    const have = Buffer.from(h ?? '', 'latin1');
    if (have.length === want.length && timingSafeEqual(have, want))
      return { ok: true, user: cred.user };
  }
  return {
    ok: false,
    reason: knownUser ? `user ${who}: wrong password` : `user ${who} is not in ${cfg.usersPath}`,
  };
}

function readKeyFile(path: string, what: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new HostopsError(
      'IPERF_AUTH_KEY',
      `cannot read the RSA ${what} key ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      {
        exitCode: 2,
        where: path,
        hint: `give ${option} the path of a PEM file (openssl genrsa -out private.pem 2048; openssl rsa -in private.pem -pubout -out public.pem)`,
      },
    );
  }
}

/** --rsa-private-key-path: a PEM RSA private key without a passphrase. */
export function loadPrivateKey(path: string): KeyObject {
  const pem = readKeyFile(path, 'private', '--rsa-private-key-path');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    const enc = /passphrase/i.test((e as Error).message);
    throw new HostopsError(
      'IPERF_AUTH_KEY',
      `${path} is not ${enc ? 'an unencrypted' : 'a PEM'} private key${enc ? ' (it needs a passphrase)' : ''}`,
      {
        exitCode: 2,
        where: path,
        hint: enc
          ? 'remove the passphrase: openssl rsa -in key.pem -out plain.pem'
          : 'make one with: openssl genrsa -out private.pem 2048',
      },
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new HostopsError(
      'IPERF_AUTH_KEY',
      `${path} is a ${key.asymmetricKeyType} key; iperf3 authentication needs RSA`,
      { exitCode: 2, where: path, hint: 'make one with: openssl genrsa -out private.pem 2048' },
    );
  }
  return key;
}

/** --rsa-public-key-path: a PEM RSA public key ("BEGIN PUBLIC KEY", as openssl rsa -pubout writes). */
export function loadPublicKey(path: string): KeyObject {
  const pem = readKeyFile(path, 'public', '--rsa-public-key-path');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new HostopsError('IPERF_AUTH_KEY', `${path} is not a PEM public key`, {
      exitCode: 2,
      where: path,
      hint: "ask the server's operator for the key made with: openssl rsa -in private.pem -pubout -out public.pem",
    });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new HostopsError(
      'IPERF_AUTH_KEY',
      `${path} is a ${key.asymmetricKeyType} key; iperf3 authentication needs RSA`,
      { exitCode: 2, where: path },
    );
  }
  return key;
}

/** --authorized-users-path, checked once at start (iperf3 reads it only when a client comes). */
export function checkUsersFile(path: string): void {
  try {
    const st = statSync(path);
    if (!st.isFile())
      throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    if (st.size > MAX_USERS_FILE)
      throw Object.assign(new Error('too large'), { code: `larger than ${MAX_USERS_FILE} bytes` });
    readFileSync(path, { flag: 'r' }).subarray(0, 0);
  } catch (e) {
    throw new HostopsError(
      'IPERF_AUTH_USERS',
      `cannot read the authorized users file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      {
        exitCode: 2,
        where: path,
        hint: 'one line per user: user,sha256 of "{user}password" in hex (echo -n "{alice}secret" | sha256sum); # starts a comment',
      },
    );
  }
}
