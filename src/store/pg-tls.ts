/**
 * TLS to PostgreSQL the libpq way, in the URL: `?sslmode=verify-full&sslrootcert=/etc/hostops/ca.pem`
 * (plus `sslcert` / `sslkey` for client-certificate login). postgres.js reads only `sslmode` and
 * would send the other three to the server as settings, so they are taken out here and become
 * the TLS options; verify-full checks the certificate against the CA and the URL's host
 * (a name or an IP address in the certificate's subjectAltName).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import tls, { type ConnectionOptions } from 'node:tls';
import { HostopsError } from '../lib/errors.js';

const MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
type Mode = (typeof MODES)[number];
const FILES = ['sslrootcert', 'sslcert', 'sslkey'] as const;

export interface PgConnection {
  url: string;
  ssl?: false | 'prefer' | 'require' | ConnectionOptions;
  mode: Mode | null;
  where: string;
}

function readPem(param: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new HostopsError('STORE_PG_TLS_FILE', `${param}=${file}: ${(e as Error).message}`, {
      exitCode: 2,
      where: file,
      hint: `${param} in the store URL must name a readable PEM file`,
    });
  }
}

/** The URL postgres.js gets and the TLS options it needs. */
export function pgConnection(url: string): PgConnection {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url, mode: null, where: '(unparsable URL)' };
  }
  const where = `${u.hostname}:${u.port || 5432}`;
  const q = u.searchParams;
  const mode = q.get('sslmode') as Mode | null;
  if (mode !== null && !MODES.includes(mode)) {
    throw new HostopsError(
      'STORE_PG_TLS_MODE',
      `sslmode=${mode} in the URL for ${where} is not a mode`,
      { exitCode: 2, hint: `one of ${MODES.join(', ')}` },
    );
  }
  const files = Object.fromEntries(FILES.map((k) => [k, q.get(k)]));
  for (const k of ['sslmode', ...FILES]) q.delete(k);
  const out = u.toString();
  if (mode === null && !files.sslrootcert && !files.sslcert) return { url: out, mode, where };
  if (mode === 'disable') return { url: out, ssl: false, mode, where };
  const client: ConnectionOptions = {};
  if (files.sslcert) client.cert = readPem('sslcert', files.sslcert);
  if (files.sslkey) client.key = readPem('sslkey', files.sslkey);
  // like libpq: allow/prefer/require check nothing (unless a root certificate makes require verify-ca)
  const verify =
    mode === 'verify-full' ||
    mode === 'verify-ca' ||
    ((mode === 'require' || mode === null) && files.sslrootcert);
  if (!verify) {
    const m = mode === 'allow' || mode === 'prefer' ? 'prefer' : 'require';
    return {
      url: out,
      ssl: client.cert ? { ...client, rejectUnauthorized: false } : m,
      mode: mode ?? 'require',
      where,
    };
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const ssl: ConnectionOptions = {
    ...client,
    rejectUnauthorized: true,
    ...(files.sslrootcert ? { ca: readPem('sslrootcert', files.sslrootcert) } : {}),
    ...(isIP(host) ? {} : { servername: host }),
    // verify-full: the URL's host must be in the certificate; verify-ca: the CA is enough
    checkServerIdentity:
      mode === 'verify-full' ? (_h, cert) => tls.checkServerIdentity(host, cert) : () => undefined,
  };
  return { url: out, ssl, mode: mode === 'verify-full' ? mode : 'verify-ca', where };
}

const TLS_CODES =
  /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_\w+|ERR_TLS_\w+|ERR_SSL_\w+)$/;

/** A clear error for a TLS failure talking to PostgreSQL at the URL's host, or null for anything else. */
export function pgTlsError(e: unknown, url: string): HostopsError | null {
  const err = e as { code?: string; message?: string };
  const msg = err?.message ?? String(e);
  const serverSide = /client certificate|SSL off|pg_hba\.conf .*(SSL|encryption)/i.test(msg);
  if (!(err?.code && TLS_CODES.test(err.code)) && !serverSide) return null;
  let where = '(unparsable URL)';
  let mode = '';
  let root = '';
  try {
    const u = new URL(url);
    where = `${u.hostname}:${u.port || 5432}`;
    mode = u.searchParams.get('sslmode') ?? '';
    root = u.searchParams.get('sslrootcert') ?? '';
  } catch {
    /* keep the defaults */
  }
  if (serverSide) {
    return new HostopsError(
      'STORE_PG_TLS',
      `PostgreSQL at ${where} refused the TLS login: ${msg}`,
      {
        exitCode: 3,
        hint: 'the server wants TLS and/or a client certificate: add sslmode=verify-full, sslrootcert, and sslcert/sslkey (CN = the role) to the URL',
      },
    );
  }
  return new HostopsError(
    'STORE_PG_TLS',
    `PostgreSQL at ${where}: the server's TLS certificate is not trusted (${msg}${mode ? `; sslmode=${mode}` : ''}${root ? `, sslrootcert=${root}` : ''})`,
    {
      exitCode: 3,
      hint: "sslrootcert must be the CA that signed the database server's certificate, and with verify-full the URL's host must be a name or address in it",
    },
  );
}
