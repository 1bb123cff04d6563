/**
 * The README's run-command set-up (scripts/setup.sh) on a "fresh Debian" simulated with stubs:
 * dpkg-query knows only what the stub apt-get installed, apt-get/npm/systemctl record their argv.
 * It may install the compiler and nothing else: no MTA, database, browser, daemon or test peer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BUILD_TOOLS = new Set(['make', 'g++', 'python3']);
const NEVER =
  /^(exim4.*|postfix|sendmail.*|.*-mta|postgresql.*|prometheus.*|chromium.*|firefox.*|mariadb.*|mysql.*|iperf3?|chrony|ntp.*|zmap|tshark)$/;

/** A copy of the checkout's scripts and manifests (no .git: as a release tarball unpacked) with stubs on PATH. */
function sandbox(): {
  dir: string;
  log: string;
  run(script: string): { status: number | null; out: string };
  calls(): string[][];
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-setup-'));
  fs.cpSync(path.join(ROOT, 'scripts'), path.join(dir, 'scripts'), { recursive: true });
  for (const f of ['package.json', 'package-lock.json'])
    fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  const bin = path.join(dir, 'stub-bin');
  const log = path.join(dir, 'calls.log');
  const installed = path.join(dir, 'installed.txt');
  fs.mkdirSync(bin);
  fs.writeFileSync(installed, '');
  const record = `printf '%s' "$(basename "$0")" >> ${log}; for a in "$@"; do printf '\\t%s' "$a" >> ${log}; done; echo >> ${log}\n`;
  const stub = (name: string, body: string) =>
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${record}${body}`, { mode: 0o755 });
  // apt-get install marks its packages installed; dpkg-query answers from that list only
  stub(
    'apt-get',
    `if [ "$1" = install ]; then for a in "$@"; do case "$a" in -*|install) ;; *) echo "$a" >> ${installed};; esac; done; fi\nexit 0\n`,
  );
  stub(
    'dpkg-query',
    `p=""; for a in "$@"; do p="$a"; done\nif grep -qx "$p" ${installed}; then printf 'install ok installed'; exit 0; fi\nexit 1\n`,
  );
  for (const n of [
    'npm',
    'npx',
    'systemctl',
    'service',
    'invoke-rc.d',
    'update-rc.d',
    'debconf-set-selections',
    'dnf',
    'yum',
  ])
    stub(n, 'exit 0\n');
  return {
    dir,
    log,
    run(script: string) {
      const r = spawnSync('bash', [path.join(dir, 'scripts', script)], {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
          HOME: dir,
          LANG: 'C',
        },
      });
      return { status: r.status, out: r.stdout + r.stderr };
    },
    calls: () =>
      fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')),
  };
}

const aptInstalls = (calls: string[][]) =>
  calls
    .filter((c) => c[0] === 'apt-get' && c[1] === 'install')
    .flatMap((c) => c.slice(2).filter((a) => !a.startsWith('-')));

test('the run set-up installs only the compiler, starts nothing, and is idempotent', () => {
  const sb = sandbox();
  try {
    const first = sb.run('setup.sh');
    assert.equal(first.status, 0, first.out);
    const calls = sb.calls();
    const pkgs = aptInstalls(calls);
    assert.deepEqual(
      pkgs.filter((p) => !BUILD_TOOLS.has(p)),
      [],
      `setup.sh installed more than the compiler: ${pkgs.join(' ')}`,
    );
    assert.deepEqual(
      pkgs.filter((p) => NEVER.test(p)),
      [],
    );
    // nothing from the test rig's list beyond the build tools
    const peers = fs
      .readFileSync(path.join(ROOT, 'scripts', 'apt-packages.txt'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(
      pkgs.filter((p) => peers.includes(p) && !BUILD_TOOLS.has(p)),
      [],
    );
    assert.deepEqual(
      calls.filter((c) =>
        ['systemctl', 'service', 'invoke-rc.d', 'update-rc.d', 'debconf-set-selections'].includes(
          c[0],
        ),
      ),
      [],
    );
    assert.deepEqual(
      calls.filter((c) => c[0] === 'npm').map((c) => c[1]),
      ['ci', 'run'],
    );
    // a second run finds the compiler there and installs nothing
    fs.writeFileSync(sb.log, '');
    const second = sb.run('setup.sh');
    assert.equal(second.status, 0, second.out);
    assert.deepEqual(aptInstalls(sb.calls()), []);
  } finally {
    fs.rmSync(sb.dir, { recursive: true, force: true });
  }
});

test('with prebuilt addons that load, the run set-up installs no compiler either', () => {
  const sb = sandbox();
  try {
    const dir = path.join(sb.dir, 'prebuilds', `${process.platform}-${process.arch}`);
    fs.mkdirSync(dir, { recursive: true });
    for (const n of [
      'hostops_probe',
      'hostops_raw',
      'hostops_scan',
      'hostops_spool',
      'hostops_sock',
    ]) {
      fs.copyFileSync(
        path.join(ROOT, 'build', 'Release', `${n}.node`),
        path.join(dir, `${n}.node`),
      );
    }
    const r = sb.run('setup.sh');
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(aptInstalls(sb.calls()), []);
  } finally {
    fs.rmSync(sb.dir, { recursive: true, force: true });
  }
});

test('the test set-up still installs the peers of scripts/apt-packages.txt', () => {
  const sb = sandbox();
  try {
    fs.rmSync(path.join(sb.dir, 'scripts', 'setup.d'), { recursive: true }); // those run real config steps
    const r = sb.run('setup-test.sh');
    assert.equal(r.status, 0, r.out);
    const pkgs = aptInstalls(sb.calls());
    for (const p of ['exim4-daemon-light', 'postgresql', 'prometheus', 'chromium'])
      assert.ok(pkgs.includes(p), `${p} missing from ${pkgs.join(' ')}`);
    assert.match(
      fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8'),
      /bash scripts\/setup-test\.sh && npm test/,
    );
  } finally {
    fs.rmSync(sb.dir, { recursive: true, force: true });
  }
});
