/**
 * iperf3's RSA authentication against Debian's iperf3 3.12, both ways: its client against our
 * server (accepted with the right credentials; wrong user, wrong password, no credentials and a
 * stale timestamp refused with the bytes and the client output the real server gives), and our
 * client against its server. Keys are made with openssl at test time, as iperf3's docs do; clock
 * skew comes from libfaketime preloaded into the iperf3 process.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, runClient, type ServerEvent } from '../../src/iperf/index.js';
import { faketimeLib } from '../lib/faketime.js';
import {
  authText,
  authorize,
  decodeAuthToken,
  encodeAuthToken,
  loadPrivateKey,
  loadPublicKey,
  passwordHash,
} from '../../src/iperf/auth.js';
import { makeCookie } from '../../src/iperf/cookie.js';
import { freePort, requireBinary, run, startPeer, type J } from './helpers.js';

requireBinary('iperf3');
requireBinary('openssl');
const FAKETIME_LIB = faketimeLib();

const hostops = new URL('../../bin/hostops.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hostops-iperf-auth-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const priv = join(dir, 'private.pem');
const pub = join(dir, 'public.pem');
const otherPub = join(dir, 'other-public.pem');
const users = join(dir, 'users.csv');
execFileSync('openssl', ['genrsa', '-out', priv, '2048'], { stdio: 'ignore' });
execFileSync('openssl', ['rsa', '-in', priv, '-pubout', '-out', pub], { stdio: 'ignore' });
execFileSync('openssl', ['genrsa', '-out', join(dir, 'other.pem'), '2048'], { stdio: 'ignore' });
execFileSync('openssl', ['rsa', '-in', join(dir, 'other.pem'), '-pubout', '-out', otherPub], {
  stdio: 'ignore',
});
// the hash as iperf3's docs make it: echo -n "{user}password" | sha256sum
const sha = (s: string) => execFileSync('sha256sum', { input: s }).toString().split(' ')[0];
writeFileSync(
  users,
  `# hostops test users\n\nalice,${sha('{alice}secret')}\r\nbob,${sha('{bob}hunter2')}\n`,
);

const env = (password?: string, skew?: string): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env };
  delete e.IPERF3_PASSWORD;
  if (password !== undefined) e.IPERF3_PASSWORD = password;
  if (skew) Object.assign(e, { LD_PRELOAD: FAKETIME_LIB, FAKETIME: skew });
  return e;
};
const creds = (user: string) => ['--username', user, '--rsa-public-key-path', pub];

interface OurServer {
  port: number;
  events: ServerEvent[];
  close(): Promise<void>;
  completed(): number;
}
async function ourServer(skewSeconds = 10): Promise<OurServer> {
  const port = await freePort();
  const events: ServerEvent[] = [];
  const srv = await startServer({
    port,
    host: '127.0.0.1',
    auth: { privateKey: loadPrivateKey(priv), usersPath: users, skewSeconds },
    onEvent: (e) => events.push(e),
  });
  return { port, events, close: () => srv.close(), completed: () => srv.completed };
}

async function realServer(args: string[] = [], skew?: string) {
  const port = await freePort();
  const peer = await startPeer(
    'iperf3',
    [
      '-s',
      '-p',
      String(port),
      '-B',
      '127.0.0.1',
      '--rsa-private-key-path',
      priv,
      '--authorized-users-path',
      users,
      '--forceflush',
      ...args,
    ],
    /Server listening/,
    300,
    env(undefined, skew),
  );
  return { port, peer };
}

/** Connect, send the cookie and `params`, collect every byte until the server closes. */
function rawParams(port: number, params: Record<string, unknown>): Promise<Buffer> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve(Buffer.concat(got));
    };
    const t = setTimeout(done, 5000);
    s.on('data', (d) => {
      got.push(d);
      if (got.length === 1 && d[0] === 9) {
        const body = Buffer.from(JSON.stringify(params));
        const h = Buffer.alloc(4);
        h.writeUInt32BE(body.length);
        s.write(Buffer.concat([h, body]));
      }
    });
    s.on('close', done);
    s.on('error', done);
    s.on('connect', () => s.write(makeCookie()));
  });
}

test("the token format: iperf3 3.12's own token decodes here; ours decrypts with openssl (PKCS#1 v1.5) to its exact plaintext", async () => {
  assert.equal(passwordHash('alice', 'secret'), sha('{alice}secret'));
  const key = loadPrivateKey(priv);
  // iperf3 --debug prints its parameters, authtoken included
  const srv = await ourServer();
  try {
    const before = Math.floor(Date.now() / 1000);
    const r = await run(
      'iperf3',
      ['-c', '127.0.0.1', '-p', String(srv.port), '-t', '1', '--debug', ...creds('alice')],
      20_000,
      env('secret'),
    );
    const token = /"authtoken":\s*"([^"]+)"/.exec(r.stdout)?.[1];
    assert.ok(token, r.stdout);
    const c = decodeAuthToken(token, key);
    assert.ok(c && c.user === 'alice' && c.password === 'secret', JSON.stringify(c));
    assert.ok(c.ts >= before && c.ts <= Math.floor(Date.now() / 1000));
  } finally {
    await srv.close();
  }
  const ts = 1765000000;
  const ours = encodeAuthToken('alice', 'secret', loadPublicKey(pub), ts);
  writeFileSync(join(dir, 'ct.bin'), Buffer.from(ours, 'base64'));
  const plain = execFileSync('openssl', [
    'pkeyutl',
    '-decrypt',
    '-inkey',
    priv,
    '-pkeyopt',
    'rsa_padding_mode:pkcs1',
    '-in',
    join(dir, 'ct.bin'),
  ]);
  assert.equal(plain.toString('latin1'), 'user: alice\npwd:  secret\nts:   1765000000');
  assert.equal(authText('alice', 'secret', ts), plain.toString('latin1'));
  // OAEP (3.17+ default) is accepted too; garbage of every shape is refused, never thrown
  const oaep = encodeAuthToken('bob', 'hunter2', loadPublicKey(pub), ts, 'oaep');
  assert.deepEqual(decodeAuthToken(oaep, key), { user: 'bob', password: 'hunter2', ts });
  const cfg = { privateKey: key, usersPath: users, skewSeconds: 10 };
  assert.deepEqual(authorize(ours, cfg, ts + 10), { ok: true, user: 'alice' });
  assert.match(
    (authorize(ours, cfg, ts + 11) as { reason: string }).reason,
    /timestamp 11 s behind/,
  );
  assert.match(
    (authorize(ours, cfg, ts - 11) as { reason: string }).reason,
    /timestamp 11 s ahead of/,
  );
  for (const bad of [
    '',
    'x',
    '!!!!',
    ours.slice(4),
    Buffer.alloc(256, 0xff).toString('base64'),
    Buffer.alloc(256, 1).toString('base64'),
    encodeAuthToken('alice', 'secret', loadPublicKey(otherPub), ts),
    'A'.repeat(100_000),
    42,
    {},
  ]) {
    const v = authorize(bad, cfg, ts);
    assert.equal(v.ok, false, String(bad).slice(0, 40));
  }
});

test('Debian iperf3 -c against our server: the right credentials get their test', async () => {
  const srv = await ourServer();
  try {
    for (const [user, pw] of [
      ['alice', 'secret'],
      ['bob', 'hunter2'],
    ]) {
      const r = await run(
        'iperf3',
        ['-c', '127.0.0.1', '-p', String(srv.port), '-t', '1', '-J', ...creds(user)],
        20_000,
        env(pw),
      );
      const j = JSON.parse(r.stdout) as J;
      assert.equal(j.error, undefined, `${user}: ${j.error}`);
      assert.equal(r.status, 0);
      assert.ok(j.end.sum_received.bytes > 0);
    }
    assert.equal(srv.completed(), 2);
  } finally {
    await srv.close();
  }
});

test('refusals: wrong password, unknown user, no credentials, a stale timestamp; the Debian client prints what the real server makes it print', async () => {
  // timestamps are whole seconds, read at two instants: 60 s of skew reads as 60 or 61 behind, 59 or 60 ahead
  const cases: { name: string; args: string[]; env: NodeJS.ProcessEnv; reason: RegExp }[] = [
    {
      name: 'wrong password',
      args: creds('alice'),
      env: env('wrong'),
      reason: /user "alice": wrong password/,
    },
    {
      name: 'unknown user',
      args: creds('carol'),
      env: env('secret'),
      reason: /user "carol" is not in /,
    },
    { name: 'no credentials', args: [], env: env(), reason: /sent no credentials/ },
    {
      name: 'timestamp 60 s old',
      args: creds('alice'),
      env: env('secret', '-60s'),
      reason: /timestamp 6[01] s behind this server's clock \(threshold 10 s\)/,
    },
    {
      name: 'timestamp 60 s ahead',
      args: creds('alice'),
      env: env('secret', '+60s'),
      reason: /timestamp (59|60) s ahead of/,
    },
  ];
  const ours = await ourServer();
  const real = await realServer();
  try {
    for (const c of cases) {
      const a = await run(
        'iperf3',
        ['-c', '127.0.0.1', '-p', String(ours.port), '-t', '1', ...c.args],
        20_000,
        c.env,
      );
      const b = await run(
        'iperf3',
        ['-c', '127.0.0.1', '-p', String(real.port), '-t', '1', ...c.args],
        20_000,
        c.env,
      );
      assert.equal(a.status, 1, c.name);
      assert.equal(a.stdout, `Connecting to host 127.0.0.1, port ${ours.port}\n`, c.name);
      assert.equal(a.stderr, 'iperf3: error - test authorization failed\n', c.name);
      assert.equal(b.status, 1, c.name);
      assert.equal(b.stdout.replace(String(real.port), String(ours.port)), a.stdout, c.name);
      assert.equal(b.stderr, a.stderr, c.name);
      const ev = ours.events.filter((e) => e.type === 'auth-failed').pop() as
        | { reason: string }
        | undefined;
      assert.match(ev?.reason ?? '', c.reason, c.name);
    }
    assert.equal(ours.events.filter((e) => e.type === 'auth-failed').length, cases.length);
    assert.equal(ours.completed(), 0);
    // -J: the same error text as the real server produces
    const j = await run(
      'iperf3',
      ['-c', '127.0.0.1', '-p', String(ours.port), '-t', '1', '-J', ...creds('alice')],
      20_000,
      env('wrong'),
    );
    assert.equal((JSON.parse(j.stdout) as J).error, 'test authorization failed');
    // still serving, and the server's log announced no connection for the refused ones
    const ok = await run(
      'iperf3',
      ['-c', '127.0.0.1', '-p', String(ours.port), '-t', '1', ...creds('alice')],
      20_000,
      env('secret'),
    );
    assert.equal(ok.status, 0, ok.stderr);
    const lines = ours.events
      .filter((e) => e.type === 'line')
      .map((e) => (e as { line: string }).line);
    assert.equal(lines.filter((l) => l.startsWith('Accepted connection')).length, 1);
    assert.ok(
      lines.includes(`Server listening on ${ours.port} (test #${cases.length + 3})`),
      'each refusal took a test number, as iperf3',
    );
  } finally {
    await ours.close();
    real.peer.kill();
  }
});

test("the refusal on the wire is the real server's: PARAM_EXCHANGE, SERVER_ERROR, i_errno 142 and no errno, then EOF", async () => {
  const ours = await ourServer();
  const real = await realServer();
  try {
    const params = {
      tcp: true,
      omit: 0,
      time: 1,
      num: 0,
      blockcount: 0,
      parallel: 1,
      len: 131072,
      pacing_timer: 1000,
      client_version: '3.12',
    };
    const a = await rawParams(ours.port, params);
    const b = await rawParams(real.port, params);
    assert.deepEqual([...a], [9, 0xfe, 0, 0, 0, 142]);
    assert.deepEqual([...b], [...a]);
    // a token for another key, and one that is not base64 at all: the same bytes from ours
    const other = encodeAuthToken(
      'alice',
      'secret',
      loadPublicKey(otherPub),
      Math.floor(Date.now() / 1000),
    );
    assert.deepEqual([...(await rawParams(ours.port, { ...params, authtoken: other }))], [...a]);
    assert.deepEqual([...(await rawParams(ours.port, { ...params, authtoken: '%%%' }))], [...a]);
    assert.deepEqual([...(await rawParams(ours.port, { ...params, authtoken: 7 }))], [...a]);
  } finally {
    await ours.close();
    real.peer.kill();
  }
});

test('--time-skew-threshold on our server (CLI): a client 60 s behind passes at 120, and -1 serves on after a refusal', async () => {
  const port = await freePort();
  const srv = await startPeer(
    process.execPath,
    [
      hostops,
      'iperf',
      '-s',
      '-1',
      '-p',
      String(port),
      '-B',
      '127.0.0.1',
      '--rsa-private-key-path',
      priv,
      '--authorized-users-path',
      users,
      '--time-skew-threshold',
      '120',
    ],
    /Server listening/,
  );
  try {
    const bad = await run(
      'iperf3',
      ['-c', '127.0.0.1', '-p', String(port), '-t', '1', ...creds('alice')],
      20_000,
      env('nope'),
    );
    assert.equal(bad.stderr, 'iperf3: error - test authorization failed\n');
    const r = await run(
      'iperf3',
      ['-c', '127.0.0.1', '-p', String(port), '-t', '1', ...creds('alice')],
      20_000,
      env('secret', '-60s'),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(await srv.exited, 0);
    assert.match(
      srv.stderr(),
      /^iperf3: error - test authorization failed \(127\.0\.0\.1 port \d+: user "alice": wrong password\)\n$/,
    );
    assert.equal(
      srv
        .stdout()
        .split('\n')
        .filter((l) => l.startsWith('Accepted connection')).length,
      1,
    );
  } finally {
    srv.kill();
  }
});

test('our client against Debian iperf3 -s with authentication: the right credentials pass; wrong ones fail with IPERF_AUTH_REFUSED', async () => {
  const real = await realServer();
  const stale = await realServer([], '+60s');
  try {
    const ok = await run(
      process.execPath,
      [hostops, 'iperf', '-c', '127.0.0.1', '-p', String(real.port), '-t', '1', ...creds('alice')],
      20_000,
      env('secret'),
    );
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /receiver\n\niperf Done\.\n$/);
    const hint =
      "  hint: check the user name and IPERF3_PASSWORD against the server's authorized users file, that --rsa-public-key-path is this server's key, " +
      "and this host's clock (the server refuses credentials more than its --time-skew-threshold, 10 s by default, off its clock)\n";
    for (const [port, user, pw] of [
      [real.port, 'alice', 'wrong'],
      [real.port, 'carol', 'secret'],
      [stale.port, 'alice', 'secret'],
    ] as const) {
      const r = await run(
        process.execPath,
        [hostops, 'iperf', '-c', '127.0.0.1', '-p', String(port), '-t', '1', ...creds(user)],
        20_000,
        env(pw),
      );
      assert.equal(r.status, 1, `${user}/${pw}: ${r.stderr}`);
      assert.equal(r.stdout, `Connecting to host 127.0.0.1, port ${port}\n`);
      assert.equal(
        r.stderr,
        `hostops: test authorization failed: the server refused user "${user}" (127.0.0.1 port ${port})\n${hint}  code: IPERF_AUTH_REFUSED\n`,
      );
    }
    // -J: the error member is iperf3's own text
    const j = await run(
      process.execPath,
      [
        hostops,
        'iperf',
        '-c',
        '127.0.0.1',
        '-p',
        String(real.port),
        '-t',
        '1',
        '-J',
        ...creds('alice'),
      ],
      20_000,
      env('wrong'),
    );
    assert.equal(j.status, 1);
    assert.equal((JSON.parse(j.stdout) as J).error, 'test authorization failed');
    // no credentials at all against an authenticating server
    const none = await run(
      process.execPath,
      [hostops, 'iperf', '-c', '127.0.0.1', '-p', String(real.port), '-t', '1'],
      20_000,
      env(),
    );
    assert.equal(none.status, 1);
    assert.match(
      none.stderr,
      /^hostops: test authorization failed: the server requires authentication \(127\.0\.0\.1 port \d+\)\n  hint: give --username/,
    );
    // the real server kept serving through all of it
    const again = await runClient({
      host: '127.0.0.1',
      port: real.port,
      duration: 1,
      interval: 0,
      auth: { username: 'bob', password: 'hunter2', publicKey: loadPublicKey(pub) },
    });
    assert.ok((again.end as J).sum_received.bytes > 0);
  } finally {
    real.peer.kill();
    stale.peer.kill();
  }
});

test('our client against our server, OAEP as iperf3 3.17+ sends it by default', async () => {
  const srv = await ourServer();
  try {
    const r = await runClient({
      host: '127.0.0.1',
      port: srv.port,
      duration: 1,
      interval: 0,
      auth: {
        username: 'alice',
        password: 'secret',
        publicKey: loadPublicKey(pub),
        padding: 'oaep',
      },
    });
    assert.ok((r.end as J).sum_received.bytes > 0);
  } finally {
    await srv.close();
  }
});

test('flag errors: roles, pairs, the password source, bad keys and files (exit 2, nothing contacted)', async () => {
  const cli = (args: string[], e = env('secret')) =>
    run(process.execPath, [hostops, 'iperf', ...args], 20_000, e);
  const expect = async (args: string[], code: string, msg: RegExp, e?: NodeJS.ProcessEnv) => {
    const r = await cli(args, e);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg, args.join(' '));
    assert.match(r.stderr, new RegExp(`  code: ${code}\\n$`), args.join(' '));
    assert.equal(r.stdout, '');
  };
  const c = ['-c', '127.0.0.1', '-p', '9'];
  const s = ['-s', '-p', '0', '-B', '127.0.0.1'];
  await expect(
    [...c, '--username', 'alice'],
    'IPERF_USAGE',
    /give both --username and --rsa-public-key-path, or neither/,
  );
  await expect([...c, '--rsa-public-key-path', pub], 'IPERF_USAGE', /give both --username/);
  await expect(
    [...c, ...creds('alice'), '--authorized-users-path', users],
    'IPERF_USAGE',
    /are server options/,
  );
  await expect(
    [...c, ...creds('alice')],
    'IPERF_AUTH_PASSWORD',
    /IPERF3_PASSWORD is not set and standard input is not a terminal/,
    env(),
  );
  await expect(
    [...c, ...creds('alice')],
    'IPERF_AUTH_CREDENTIALS',
    /the password must be non-empty and hold no white space/,
    env('two words'),
  );
  await expect(
    [...c, ...creds('al ice')],
    'IPERF_AUTH_CREDENTIALS',
    /the user name must be non-empty/,
  );
  await expect(
    [...c, ...creds('alice'.repeat(60))],
    'IPERF_AUTH_CREDENTIALS',
    /too long for the RSA key/,
  );
  await expect(
    [...c, '--username', 'alice', '--rsa-public-key-path', users],
    'IPERF_AUTH_KEY',
    /users\.csv is not a PEM public key/,
  );
  await expect(
    [...c, '--username', 'alice', '--rsa-public-key-path', join(dir, 'absent.pem')],
    'IPERF_AUTH_KEY',
    /cannot read the RSA public key .*absent\.pem: ENOENT/,
  );
  await expect(
    [...s, '--rsa-private-key-path', priv],
    'IPERF_USAGE',
    /give both --rsa-private-key-path and --authorized-users-path/,
  );
  await expect([...s, ...creds('alice')], 'IPERF_USAGE', /are client options/);
  await expect([...s, '--time-skew-threshold', '5'], 'IPERF_USAGE', /--time-skew-threshold needs/);
  await expect(
    [
      ...s,
      '--rsa-private-key-path',
      priv,
      '--authorized-users-path',
      users,
      '--time-skew-threshold',
      '0',
    ],
    'IPERF_BAD_OPTION',
    /whole number of seconds from 1/,
  );
  await expect(
    [...s, '--rsa-private-key-path', pub, '--authorized-users-path', users],
    'IPERF_AUTH_KEY',
    /public\.pem is not a PEM private key/,
  );
  await expect(
    [...s, '--rsa-private-key-path', priv, '--authorized-users-path', join(dir, 'nope.csv')],
    'IPERF_AUTH_USERS',
    /cannot read the authorized users file .*nope\.csv: ENOENT/,
  );
  const ec = join(dir, 'ec.pem');
  execFileSync(
    'openssl',
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', ec],
    { stdio: 'ignore' },
  );
  await expect(
    [...s, '--rsa-private-key-path', ec, '--authorized-users-path', users],
    'IPERF_AUTH_KEY',
    /ec\.pem is a ec key; iperf3 authentication needs RSA/,
  );
  assert.ok(readFileSync(users, 'utf8').includes('alice,'));
});

/** Run our client on a pseudo-terminal (Debian's python3 pty), typing `keys` once "Password: " shows. */
function onTerminal(args: string[], keys: string): Promise<{ out: string; status: number }> {
  const py = `
import json, os, pty, select, sys, time
args, keys = json.loads(sys.argv[1]), sys.argv[2].encode()
pid, fd = pty.fork()
if pid == 0:
    os.environ.pop('IPERF3_PASSWORD', None)
    os.execv(args[0], args)
out, sent, end = b'', False, time.time() + 30
while time.time() < end:
    if select.select([fd], [], [], 0.5)[0]:
        try:
            d = os.read(fd, 4096)
        except OSError:
            break
        if not d:
            break
        out += d
        if b'Password: ' in out and not sent:
            os.write(fd, keys)
            sent = True
st = os.waitpid(pid, 0)[1]
print(json.dumps({'out': out.decode('utf8', 'replace'), 'status': os.waitstatus_to_exitcode(st)}))
`;
  return run(
    '/usr/bin/python3',
    ['-c', py, JSON.stringify([process.execPath, hostops, 'iperf', ...args]), keys],
    40_000,
  ).then((r) => JSON.parse(r.stdout) as { out: string; status: number });
}

test('no IPERF3_PASSWORD on a terminal: "Password: " is asked without echo (as iperf3); Ctrl-C gives up with exit 2', async () => {
  const real = await realServer();
  try {
    const a = ['-c', '127.0.0.1', '-p', String(real.port), '-t', '1', '-i', '0', ...creds('alice')];
    const ok = await onTerminal(a, 'secret\r');
    assert.equal(ok.status, 0, ok.out);
    assert.ok(
      ok.out.startsWith(`Password: \r\nConnecting to host 127.0.0.1, port ${real.port}\r\n`),
      JSON.stringify(ok.out.slice(0, 80)),
    );
    assert.ok(!ok.out.includes('secret'));
    assert.match(ok.out, /iperf Done\./);
    const typo = await onTerminal(a, 'secrex\u007ft\r'); // backspace edits what was typed
    assert.equal(typo.status, 0, typo.out);
    const abort = await onTerminal(a, '\u0003');
    assert.equal(abort.status, 2, abort.out);
    assert.match(abort.out, /^Password: \r\nhostops: no password given\r\n/);
  } finally {
    real.peer.kill();
  }
});
