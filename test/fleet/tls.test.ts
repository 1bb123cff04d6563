/**
 * TLS to the fleet database: a PostgreSQL with ssl=on, a server certificate from a test CA made
 * here with openssl, plain TCP refused; agents connect with sslmode=verify-full and the CA; a wrong
 * CA is refused with an error naming the host; a site may log in with a client certificate.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PgDriver, openStore } from '../../src/store/index.js';
import { HostopsError } from '../../src/lib/errors.js';
import { startPg, type PgCluster } from '../store/pg-cluster.js';
import { tempDir } from '../store/helpers.js';

let pg: PgCluster;
let dir: ReturnType<typeof tempDir>;
const f = (n: string) => path.join(dir.dir, n);
const ssl = (...argv: string[]) =>
  execFileSync('openssl', argv, { stdio: ['ignore', 'pipe', 'pipe'] });

/** A CA (key + self-signed cert) named `name`. */
function makeCa(name: string): void {
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f(`${name}.key`),
    '-out',
    f(`${name}.pem`),
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
}

/** A leaf certificate for `cn` signed by `ca`, with subjectAltNames when given. */
function makeLeaf(name: string, cn: string, ca: string, san?: string): void {
  ssl(
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f(`${name}.key`),
    '-out',
    f(`${name}.csr`),
    '-subj',
    `/CN=${cn}`,
  );
  const ext = f(`${name}.ext`);
  writeFileSync(ext, san ? `subjectAltName=${san}\n` : 'basicConstraints=CA:FALSE\n');
  ssl(
    'x509',
    '-req',
    '-in',
    f(`${name}.csr`),
    '-CA',
    f(`${ca}.pem`),
    '-CAkey',
    f(`${ca}.key`),
    '-CAcreateserial',
    '-out',
    f(`${name}.pem`),
    '-days',
    '2',
    '-extfile',
    ext,
  );
  chmodSync(f(`${name}.key`), 0o600);
}

let owner: string;
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/hostops.js', 'fleet', ...args], { encoding: 'utf8' });

before(async () => {
  dir = tempDir('hostops-fleet-tls-');
  makeCa('ca');
  makeCa('wrong-ca');
  makeLeaf('server', 'db.fleet.test', 'ca', 'DNS:localhost,IP:127.0.0.1');
  makeLeaf('client', 'hostops_site_ldn', 'ca');
  // the server reads its key as postgres, and refuses a key others can read
  const [uid, gid] = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' })
    .split(':')
    .slice(2, 4)
    .map(Number);
  chownSync(dir.dir, uid, gid);
  chmodSync(dir.dir, 0o755);
  for (const n of ['server.key', 'server.pem', 'ca.pem']) chownSync(f(n), uid, gid);
  pg = await startPg({
    conf: [
      'ssl=on',
      `ssl_cert_file=${f('server.pem')}`,
      `ssl_key_file=${f('server.key')}`,
      `ssl_ca_file=${f('ca.pem')}`,
    ],
    // TCP only with TLS; the ldn site only with its client certificate
    hba: [
      'hostnossl all all 127.0.0.1/32 reject',
      'hostssl all hostops_site_ldn 127.0.0.1/32 cert',
    ],
  });
  owner = `${pg.url}?sslmode=verify-full&sslrootcert=${f('ca.pem')}`;
});
after(() => {
  pg?.stop();
  dir?.cleanup();
});

test('add-site prints a verify-full connection string; an agent connects over TLS with the CA', async () => {
  const r = cli('add-site', 'nyc', '--db', owner);
  assert.equal(r.status, 0, r.stderr);
  const m = /store\.url for this agent: (postgres:\/\/\S+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const url = m[1];
  assert.match(
    url,
    new RegExp(
      `^postgres://hostops_site_nyc:[A-Za-z0-9_-]{24}@127\\.0\\.0\\.1:${pg.port}/hostops\\?sslmode=verify-full&sslrootcert=${f('ca.pem').replaceAll('/', '%2F')}$`,
    ),
  );
  const d = new PgDriver(url);
  try {
    const row = (
      await d.all<{ ssl: boolean; cn: string | null }>(
        'SELECT ssl, client_dn AS cn FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      )
    )[0];
    assert.equal(row.ssl, true);
    assert.equal((await d.all<{ u: string }>('SELECT current_user AS u'))[0].u, 'hostops_site_nyc');
  } finally {
    await d.close();
  }
  // the owner without a CA path: add-site still says verify-full, and says where the CA goes
  const plainOwner = `${pg.url}?sslmode=require`;
  const r2 = cli('add-site', 'par', '--db', plainOwner);
  assert.equal(r2.status, 0, r2.stderr);
  assert.match(
    r2.stdout,
    /store\.url for this agent: postgres:\/\/hostops_site_par:\S+\?sslmode=require\n/,
  );
  // plain TCP is refused by the server
  const plain = cli('list', '--db', pg.url);
  assert.equal(plain.status, 3, plain.stderr);
  assert.match(plain.stderr, /127\.0\.0\.1:\d+ .*(no encryption|SSL off)/);
});

test('a server certificate from another CA is refused with an error naming the host', async () => {
  const wrong = `${pg.url}?sslmode=verify-full&sslrootcert=${f('wrong-ca.pem')}`;
  const r = cli('list', '--db', wrong);
  assert.equal(r.status, 3, r.stderr);
  assert.equal(
    r.stderr.split('\n')[0],
    `hostops: PostgreSQL at 127.0.0.1:${pg.port}: the server's TLS certificate is not trusted (self-signed certificate in certificate chain; sslmode=verify-full, sslrootcert=${f('wrong-ca.pem')})`,
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  // an agent's store refuses to start on it (it is not a database that is merely away)
  const spool = f('agent.spool');
  await assert.rejects(
    openStore({
      kind: 'postgres',
      path: '',
      url: wrong,
      spool: { path: spool, maxRows: 100 },
      retention: { raw: 1, fiveMinute: 1, hourly: 1 },
    } as never),
    (e: unknown) =>
      e instanceof HostopsError &&
      e.code === 'STORE_PG_TLS' &&
      e.exitCode === 3 &&
      e.message.includes(`127.0.0.1:${pg.port}`),
  );
  // verify-full checks the host: "localhost" is in the certificate, a bare address not in it fails
  const byName = new PgDriver(
    `postgres://postgres@localhost:${pg.port}/hostops?sslmode=verify-full&sslrootcert=${f('ca.pem')}`,
  );
  try {
    assert.equal((await byName.all<{ one: number }>('SELECT 1 AS one'))[0].one, 1);
  } finally {
    await byName.close();
  }
  // an unknown sslmode is a usage error naming the host
  const bad = cli('list', '--db', `${pg.url}?sslmode=verify`);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /sslmode=verify in the URL for 127\.0\.0\.1:\d+ is not a mode/);
});

test('a site can log in with a client certificate from the fleet CA instead of a password', async () => {
  assert.equal(cli('add-site', 'ldn', '--db', owner).status, 0);
  const base = `postgres://hostops_site_ldn@127.0.0.1:${pg.port}/hostops?sslmode=verify-full&sslrootcert=${f('ca.pem')}`;
  const d = new PgDriver(`${base}&sslcert=${f('client.pem')}&sslkey=${f('client.key')}`);
  try {
    const row = (
      await d.all<{ u: string; dn: string }>(
        'SELECT current_user AS u, client_dn AS dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      )
    )[0];
    assert.deepEqual(row, { u: 'hostops_site_ldn', dn: '/CN=hostops_site_ldn' });
  } finally {
    await d.close();
  }
  // without the certificate the server refuses, and the error says what it wants
  await assert.rejects(
    openStore({
      kind: 'postgres',
      path: '',
      url: base,
      spool: { path: f('ldn.spool'), maxRows: 100 },
      retention: { raw: 1, fiveMinute: 1, hourly: 1 },
    } as never),
    (e: unknown) =>
      e instanceof HostopsError &&
      e.code === 'STORE_PG_TLS' &&
      /refused the TLS login: .*certificate/.test(e.message),
  );
});
