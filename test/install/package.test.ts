/**
 * The release tarball on a machine like the production hosts: `npm pack`, then
 * `npm install -g --prefix` with an empty npm cache and --offline (no network), compilers on PATH
 * replaced by stubs that fail and record the call, the checkout's node_modules out of reach (cwd
 * elsewhere, no NODE_PATH). The installed copy must answer --version, ping, mailq list (byte for
 * byte as exim -bp) and serve its dashboard; its unit file must pass systemd-analyze verify.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Spool, EXIM, sameAsExim } from '../mailq/helpers.js';
import { Topology } from '../lib/netns.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-pkg-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const shim = path.join(tmp, 'shim');
const shimLog = path.join(tmp, 'compiler-calls.log');
fs.mkdirSync(shim);
for (const c of ['gcc', 'cc', 'g++', 'c++', 'clang', 'make']) {
  fs.writeFileSync(
    path.join(shim, c),
    `#!/bin/sh\necho "${c} $*" >> ${shimLog}\necho "no compiler on this machine" >&2\nexit 127\n`,
    { mode: 0o755 },
  );
}
const env = {
  PATH: `${shim}:${path.dirname(process.execPath)}:/usr/sbin:/usr/bin:/sbin:/bin`,
  HOME: tmp,
  LANG: 'C',
  npm_config_cache: path.join(tmp, 'npm-cache'),
  npm_config_update_notifier: 'false',
};
const prefix = path.join(tmp, 'prefix');
const installed = path.join(prefix, 'lib', 'node_modules', 'hostops');
const bin = path.join(prefix, 'bin', 'hostops');
const run = (args: string[], opts: { cwd?: string } = {}) =>
  spawnSync(bin, args, { encoding: 'latin1', cwd: opts.cwd ?? tmp, env, timeout: 60_000 });

test('npm pack, then npm install -g offline with no compiler', { timeout: 600_000 }, () => {
  // the pack steps without npm's prepare (tsc already ran for this test run: dist is current)
  const pre = spawnSync(process.execPath, ['scripts/prebuild.mjs', 'prepack'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  try {
    assert.equal(pre.status, 0, pre.stderr);
    const pack = spawnSync(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp],
      { cwd: ROOT, encoding: 'utf8', timeout: 300_000 },
    );
    assert.equal(pack.status, 0, pack.stderr);
  } finally {
    spawnSync(process.execPath, ['scripts/prebuild.mjs', 'postpack'], { cwd: ROOT });
  }
  const tgz = fs.readdirSync(tmp).find((f) => /^hostops-.*\.tgz$/.test(f))!;
  const list = spawnSync('tar', ['tzf', path.join(tmp, tgz)], { encoding: 'utf8' }).stdout.split(
    '\n',
  );
  for (const f of [
    'package/dist/cli/main.js',
    'package/src/web/static/index.html',
    'package/prebuilds/linux-x64/hostops_probe.node',
    'package/systemd/hostops.service',
    'package/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
  ])
    assert.ok(list.includes(f), f);
  assert.ok(
    !list.some((f) => f.startsWith('package/node_modules/playwright-core/')),
    'playwright-core is a devDependency',
  );

  const r = spawnSync(
    'npm',
    ['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, `./${tgz}`],
    { cwd: tmp, encoding: 'utf8', env, timeout: 300_000 },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(
    fs.existsSync(shimLog),
    false,
    `a compiler was called: ${fs.existsSync(shimLog) ? fs.readFileSync(shimLog, 'utf8') : ''}`,
  );
  assert.equal(
    fs.existsSync(path.join(installed, 'build')),
    false,
    'the addons were built instead of using the prebuilds',
  );
  // dependencies resolve inside the installed copy, never from the checkout
  const dep = spawnSync(
    process.execPath,
    ['-p', "require.resolve('better-sqlite3') + '\\n' + require.resolve('fastify')"],
    { cwd: installed, encoding: 'utf8', env },
  );
  for (const p of dep.stdout.trim().split('\n'))
    assert.ok(p.startsWith(installed + '/node_modules/'), p);
  // the other bundled native parts load there: SQLite (the store) and resvg (capacity charts)
  const js =
    "const D=require('better-sqlite3');const db=new D(':memory:');const {Resvg}=require('@resvg/resvg-js');" +
    'const png=new Resvg(\'<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>\').render().asPng();' +
    "console.log(db.prepare('select sqlite_version() v').get().v.split('.')[0], png.subarray(1,4).toString())";
  const nat = spawnSync(process.execPath, ['-e', js], { cwd: installed, encoding: 'utf8', env });
  assert.equal(nat.stdout, '3 PNG\n', nat.stderr);
  // patches/ were applied at install (postinstall: patch-package): the postgres driver's write
  // to a closed socket settles its queries instead of crashing the agent (pg-backend-killed.test.ts)
  for (const f of ['src/connection.js', 'cjs/src/connection.js'])
    assert.match(
      fs.readFileSync(path.join(installed, 'node_modules', 'postgres', f), 'utf8'),
      /hostops patch: the socket may be gone/,
      f,
    );
});

test('the installed hostops: --version, ping, doctor', () => {
  const v = run(['--version']);
  assert.equal(
    v.stdout,
    `${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}\n`,
  );
  const p = run(['ping', '-c', '1', '127.0.0.1']);
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /^1 packets transmitted, 1 received, 0% packet loss/m);
  const cfg = path.join(tmp, 'doctor.yaml');
  fs.writeFileSync(
    cfg,
    `listen: { port: 0 }\niperf: { server: false }\nmailq: { enabled: false }\nstore: { path: ${path.join(tmp, 'doc.db')} }\n`,
  );
  const d = run(['doctor', '--json', '-c', cfg]);
  const native = (
    JSON.parse(d.stdout) as { checks: { id: string; status: string; detail: string }[] }
  ).checks.find((c) => c.id === 'native')!;
  assert.equal(native.status, 'ok');
  assert.equal(native.detail, `5 loaded from ${path.join(installed, 'prebuilds', 'linux-x64')}`);
});

test('the installed hostops: mailq list and bare mailq on a test spool are exim -bp byte for byte', () => {
  const sp = new Spool();
  try {
    sp.inject('alice@vm', ['bob@example.net', 'carol@example.org'], 'Subject: one\n');
    const frozen = sp.inject('frozen@example.com', ['x@example.org'], 'Subject: two\n');
    sp.exim(['-Mf', frozen]);
    const theirs = () => sp.exim(['-bp']).stdout;
    for (const args of [
      ['mailq', 'list', '--spool', sp.dir],
      ['mailq', '--spool', sp.dir],
    ]) {
      const cmp = sameAsExim(() => {
        const r = run(args);
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
      }, theirs);
      assert.ok(
        cmp.equal,
        `${args.join(' ')}:\n${cmp.ours}\n--- exim -bp (${EXIM}):\n${cmp.theirs}`,
      );
    }
  } finally {
    sp.destroy();
  }
});

test('the installed hostops serve with no config: says where and what, serves the dashboard', {
  timeout: 120_000,
}, async () => {
  // a namespace of its own: with no config serve also probes the default gateway, and there is none here
  const t = new Topology('pkg');
  try {
    const ns = t.ns('a');
    const port = 18080;
    const child = t.spawn(
      ns,
      [bin, 'serve', '--listen', `127.0.0.1:${port}`, '--db', path.join(tmp, 'serve.db')],
      { cwd: tmp, env },
    );
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    const deadline = Date.now() + 60_000;
    while (!/jobs: .*\n/.test(err) && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    assert.match(
      err,
      new RegExp(`^hostops serve: dashboard on http://127\\.0\\.0\\.1:${port} `, 'm'),
    );
    assert.match(err, /^hostops serve: probing localhost=127\.0\.0\.1\n/m);
    assert.match(err, /^hostops serve: jobs: ping every 20s, path every 5m, .*\n/m);
    assert.match(err, /^hostops serve: no config file: add targets under `targets:`/m);
    const fetchJs = `const b='http://127.0.0.1:${port}';Promise.all(['/','/api/status','/app.js'].map((p)=>fetch(b+p).then(async(r)=>[r.status,await r.text()]))).then((x)=>console.log(JSON.stringify(x)))`;
    const [[s1, html], [s2, status], [s3, app]] = JSON.parse(
      t.exec(ns, [process.execPath, '-e', fetchJs]),
    ) as [number, string][];
    assert.deepEqual([s1, s2, s3], [200, 200, 200]);
    assert.match(html, /<title>hostops<\/title>/);
    assert.match(html, /id="setup-note"[^>]*>This agent probes only what it finds by default/);
    assert.match(app, /loadSetupNote/);
    assert.deepEqual(JSON.parse(status).targets, [{ name: 'localhost', host: '127.0.0.1' }]);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, err);
  } finally {
    t.destroy();
  }
});

test('the build-from-source fallback: HOSTOPS_BUILD_FROM_SOURCE=1 with a compiler builds the addons and uses them', {
  timeout: 600_000,
}, () => {
  const tgz = fs.readdirSync(tmp).find((f) => /^hostops-.*\.tgz$/.test(f))!;
  const prefix2 = path.join(tmp, 'prefix-src');
  const env2 = { ...env, PATH: env.PATH.slice(shim.length + 1), HOSTOPS_BUILD_FROM_SOURCE: '1' };
  const r = spawnSync(
    'npm',
    [
      'install',
      '-g',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--foreground-scripts',
      '--prefix',
      prefix2,
      `./${tgz}`,
    ],
    { cwd: tmp, encoding: 'utf8', env: env2, timeout: 540_000 },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /hostops install: HOSTOPS_BUILD_FROM_SOURCE=1; building the addons with node-gyp/,
  );
  const inst2 = path.join(prefix2, 'lib', 'node_modules', 'hostops');
  const cfg = path.join(tmp, 'doctor.yaml');
  const d = spawnSync(path.join(prefix2, 'bin', 'hostops'), ['doctor', '--json', '-c', cfg], {
    encoding: 'utf8',
    cwd: tmp,
    env: env2,
  });
  const native = (
    JSON.parse(d.stdout) as { checks: { id: string; status: string; detail: string }[] }
  ).checks.find((c) => c.id === 'native')!;
  assert.equal(native.detail, `5 loaded from ${path.join(inst2, 'build', 'Release')}`);
});

test('the shipped unit passes systemd-analyze verify', () => {
  const unit = fs.readFileSync(path.join(installed, 'systemd', 'hostops.service'), 'utf8');
  // verify checks ExecStart exists: point it at the installed copy (the unit itself relies on /usr/bin or /usr/local/bin)
  const dir = path.join(tmp, 'unit');
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'hostops.service'),
    unit.replace(/^ExecStart=hostops /m, `ExecStart=${bin} `),
  );
  const r = spawnSync('systemd-analyze', ['verify', path.join(dir, 'hostops.service')], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
});
