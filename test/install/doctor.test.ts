/**
 * `hostops doctor` on this machine (root: raw ICMP works) and in a fresh network namespace as an
 * unprivileged user with every capability dropped and ping_group_range excluding its group:
 * ICMP must be reported unavailable, with the fix, and the exit code must say so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'hostops.js');
const NOBODY = 65534;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** A config whose ports and store are this test's own (other tests may hold 8080 and 5201). */
async function config(dir: string): Promise<string> {
  const file = path.join(dir, 'hostops.yaml');
  fs.writeFileSync(
    file,
    [
      `listen: { host: 127.0.0.1, port: ${await freePort()} }`,
      `store: { path: ${path.join(dir, 'state', 'hostops.db')} }`,
      `iperf: { server: true, host: 127.0.0.1, port: ${await freePort()} }`,
      'mailq: { enabled: false }',
      '',
    ].join('\n'),
  );
  return file;
}

interface Report {
  ok: boolean;
  checks: { id: string; status: string; detail: string; fix?: string; jobs: string[] }[];
  blocked: string[];
}

function tmpdir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-doctor-'));
  fs.chmodSync(dir, 0o777); // the unprivileged run writes its store here
  return dir;
}

test('doctor on this machine as root: raw ICMP, every configured job can run, exit 0', async () => {
  const dir = tmpdir();
  try {
    const r = spawnSync(process.execPath, [CLI, 'doctor', '--json', '-c', await config(dir)], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const rep = JSON.parse(r.stdout) as Report;
    const icmp = rep.checks.find((c) => c.id === 'icmp')!;
    assert.equal(icmp.status, 'ok');
    assert.match(icmp.detail, /raw ICMP/);
    assert.deepEqual(
      rep.checks.filter((c) => c.status === 'fail'),
      [],
    );
    assert.equal(r.status, 0, r.stderr);
    for (const id of ['native', 'caps', 'listen', 'iperf', 'store', 'clock'])
      assert.ok(
        rep.checks.some((c) => c.id === id),
        id,
      );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Run doctor as nobody, no capabilities at all, in a new netns whose ping_group_range is `range`. */
function unprivileged(cfg: string, range: string, json = true) {
  const inner =
    `ip link set lo up && sysctl -qw net.ipv4.ping_group_range="${range}" && exec setpriv --reuid=${NOBODY} --regid=${NOBODY} --clear-groups ` +
    `--inh-caps=-all --bounding-set=-all --no-new-privs ${process.execPath} ${CLI} doctor ${json ? '--json ' : ''}-c ${cfg}`;
  return spawnSync('unshare', ['--net', 'sh', '-c', inner], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH, LANG: 'C' },
  });
}

test('doctor without CAP_NET_RAW and outside ping_group_range: ICMP unavailable with its fix, exit 1', async () => {
  const dir = tmpdir();
  try {
    const cfg = await config(dir);
    const r = unprivileged(cfg, '0 100');
    assert.equal(r.status, 1, r.stderr);
    const rep = JSON.parse(r.stdout) as Report;
    const icmp = rep.checks.find((c) => c.id === 'icmp')!;
    assert.equal(icmp.status, 'fail');
    assert.match(icmp.detail, /CAP_NET_RAW not effective/);
    assert.match(icmp.detail, /ping_group_range 0 100 excludes gid 65534/);
    assert.match(icmp.fix!, /AmbientCapabilities=CAP_NET_RAW/);
    assert.match(icmp.fix!, /ping_group_range="65534 65534"/);
    assert.deepEqual(rep.blocked.sort(), ['path', 'ping']);
    assert.equal(rep.ok, false);
    // the same as text: the problem, its fix and what it blocks
    const t = unprivileged(cfg, '0 100', false);
    assert.equal(t.status, 1);
    assert.match(t.stdout, /FAIL {2}ICMP probes +no raw ICMP socket/);
    assert.match(t.stdout, /fix: run the service with AmbientCapabilities=CAP_NET_RAW/);
    assert.match(t.stdout, /1 problem: ping, path cannot run\n$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('doctor without CAP_NET_RAW but inside ping_group_range: datagram ICMP, exit 0', async () => {
  const dir = tmpdir();
  try {
    const r = unprivileged(await config(dir), `${NOBODY} ${NOBODY}`);
    const rep = JSON.parse(r.stdout) as Report;
    const icmp = rep.checks.find((c) => c.id === 'icmp')!;
    assert.equal(icmp.status, 'ok');
    assert.match(icmp.detail, /^datagram ICMP sockets/);
    assert.equal(r.status, 0, r.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('doctor with HOSTOPS_NATIVE_DIR naming an empty directory: addons fail (no fallback to the prebuilds), ICMP cannot be tried, exit 1', async () => {
  const dir = tmpdir();
  try {
    const empty = path.join(dir, 'no-addons');
    fs.mkdirSync(empty);
    const r = spawnSync(process.execPath, [CLI, 'doctor', '--json', '-c', await config(dir)], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, HOSTOPS_NATIVE_DIR: empty },
    });
    assert.equal(r.status, 1, r.stderr);
    const rep = JSON.parse(r.stdout) as Report;
    const native = rep.checks.find((c) => c.id === 'native')!;
    assert.equal(native.status, 'fail');
    assert.equal(
      native.detail,
      `hostops_probe, hostops_raw, hostops_scan, hostops_spool, hostops_sock do not load (the native addon hostops_probe was not found in ${empty})`,
    );
    assert.equal(
      rep.checks.find((c) => c.id === 'icmp')!.detail,
      'cannot be tried: the probe addon (hostops_probe) does not load',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('doctor with store.kind postgres: a private cluster is reachable (exit 0); a closed port is a failure with its fix (exit 1)', {
  timeout: 120_000,
}, async () => {
  const { startPg } = await import('../store/pg-cluster.js');
  const dir = tmpdir();
  const pg = await startPg();
  try {
    const run = async (url: string) => {
      const file = path.join(dir, 'pg.yaml');
      fs.writeFileSync(
        file,
        `listen: { port: 0 }\niperf: { server: false }\nmailq: { enabled: false }\nstore: { kind: postgres, url: "${url}", spool: { path: ${path.join(dir, 'spool.db')} } }\n`,
      );
      const r = spawnSync(process.execPath, [CLI, 'doctor', '--json', '-c', file], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { status: r.status, rep: JSON.parse(r.stdout) as Report };
    };
    const ok = await run(pg.url);
    assert.equal(ok.rep.checks.find((c) => c.id === 'postgres')!.status, 'ok');
    assert.equal(ok.status, 0);
    assert.equal(
      ok.rep.checks.find((c) => c.id === 'retention'),
      undefined,
      'no fleet yet',
    );
    // a fleet with a site whose agent has not declared its retention: a warning naming it
    const add = spawnSync(process.execPath, [CLI, 'fleet', 'add-site', 'ghost', '--db', pg.url], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(add.status, 0, add.stderr);
    const fleet = await run(pg.url);
    const ret = fleet.rep.checks.find((c) => c.id === 'retention')!;
    assert.equal(ret.status, 'warn');
    assert.match(ret.detail, /^held back by ghost \(has not declared; until \d{4}-/);
    assert.equal(fleet.status, 0, 'a warning, not a failure');
    const closed = await freePort();
    const bad = await run(`postgres://hostops:secret@127.0.0.1:${closed}/hostops`);
    const c = bad.rep.checks.find((x) => x.id === 'postgres')!;
    assert.equal(c.status, 'fail');
    assert.match(
      c.detail,
      new RegExp(`^postgres://hostops:\\*\\*\\*@127\\.0\\.0\\.1:${closed}/hostops: .*ECONNREFUSED`),
    );
    assert.doesNotMatch(JSON.stringify(bad.rep), /secret/);
    assert.match(c.fix!, /pg_hba\.conf/);
    assert.deepEqual(bad.rep.blocked, ['store']);
    assert.equal(bad.status, 1);
  } finally {
    pg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
