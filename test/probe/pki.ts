import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A test CA and leaf certificates made by Debian's openssl CLI: a valid one for 127.0.0.1/localhost and one that expired in 2020. */
export interface Pki {
  dir: string;
  caFile: string;
  ca: Buffer;
  key: Buffer;
  cert: Buffer;
  certFile: string;
  oldCert: Buffer;
  oldCertFile: string;
}

export function makePki(): Pki {
  const dir = mkdtempSync(path.join(tmpdir(), 'hostops-pki-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true })); // the test process owns it to the end
  const ossl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  writeFileSync(
    path.join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = d',
      '[d]',
      'database = ./index.txt',
      'new_certs_dir = .',
      'serial = ./serial',
      'default_md = sha256',
      'policy = p',
      'copy_extensions = copy',
      'unique_subject = no',
      '[p]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'index.txt'), '');
  writeFileSync(path.join(dir, 'serial'), '01\n');
  ossl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '30',
    '-subj',
    '/CN=hostops test CA',
  );
  ossl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'srv.key',
    '-out',
    'srv.csr',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
  );
  const sign = (out: string, ...validity: string[]) =>
    ossl(
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-cert',
      'ca.pem',
      '-keyfile',
      'ca.key',
      '-in',
      'srv.csr',
      '-out',
      out,
      '-notext',
      ...validity,
    );
  sign('srv.pem', '-days', '45');
  sign('old.pem', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z');
  const f = (n: string) => path.join(dir, n);
  return {
    dir,
    caFile: f('ca.pem'),
    ca: readFileSync(f('ca.pem')),
    key: readFileSync(f('srv.key')),
    cert: readFileSync(f('srv.pem')),
    certFile: f('srv.pem'),
    oldCert: readFileSync(f('old.pem')),
    oldCertFile: f('old.pem'),
  };
}

/** notAfter as openssl prints it, as epoch milliseconds. */
export function opensslNotAfter(certFile: string): number {
  const out = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-enddate'], {
    encoding: 'utf8',
  });
  return Date.parse(out.trim().replace(/^notAfter=/, ''));
}
