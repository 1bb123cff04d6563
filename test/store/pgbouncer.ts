/**
 * PgBouncer (Debian's 1.18) for tests, in front of a private cluster from pg-cluster.ts: a free
 * 127.0.0.1 port, no unix socket, auth_type=trust (the cluster trusts its postgres user; trust
 * still needs the user in auth_file), pool_mode from the caller (default transaction), the log
 * in a temp dir. Run as the postgres user (pgbouncer refuses root); stop() kills it by PID.
 */
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { onCleanup } from '../lib/cleanup.js';
import { after, before } from 'node:test';
import { freePort, startPg, type PgCluster } from './pg-cluster.js';

const BIN = '/usr/sbin/pgbouncer';

export interface Bouncer {
  /** The cluster's URL with PgBouncer's port (same user and database). */
  url(pgUrl: string): string;
  port: number;
  log(): string;
  stop(): void;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startBouncer(
  pg: PgCluster,
  poolMode: 'transaction' | 'session' = 'transaction',
): Promise<Bouncer> {
  if (!existsSync(BIN))
    throw new Error(
      `${BIN} is not installed (Debian package pgbouncer): run scripts/setup-test.sh`,
    );
  const dir = mkdtempSync(path.join(tmpdir(), 'hostops-pgb-'));
  const port = await freePort();
  const uid = Number(
    readFileSync('/etc/passwd', 'utf8').match(/^postgres:[^:]*:(\d+):(\d+):/m)?.[1],
  );
  const gid = Number(
    readFileSync('/etc/passwd', 'utf8').match(/^postgres:[^:]*:(\d+):(\d+):/m)?.[2],
  );
  chownSync(dir, uid, gid);
  writeFileSync(path.join(dir, 'userlist.txt'), '"postgres" ""\n');
  const ini = path.join(dir, 'pgbouncer.ini');
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=127.0.0.1 port=${pg.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      `pool_mode = ${poolMode}`,
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      'default_pool_size = 5',
      'ignore_startup_parameters = extra_float_digits',
      '',
    ].join('\n'),
  );
  const child = spawn(BIN, ['-u', 'postgres', ini], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const kill = () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
  };
  const forget = onCleanup(() => {
    kill();
    rmSync(dir, { recursive: true, force: true });
  });
  const log = () => {
    try {
      return readFileSync(path.join(dir, 'pgbouncer.log'), 'utf8');
    } catch {
      return '';
    }
  };
  for (let i = 0; i < 100 && !(await accepts(port)); i++) {
    if (child.exitCode !== null)
      throw new Error(`pgbouncer exited ${child.exitCode}: ${stderr}${log()}`);
    await sleep(100);
  }
  if (!(await accepts(port))) {
    kill();
    throw new Error(`pgbouncer not listening on 127.0.0.1:${port} after 10 s: ${stderr}${log()}`);
  }
  return {
    port,
    url: (u) => u.replace(`:${pg.port}/`, `:${port}/`),
    log,
    stop() {
      forget();
      kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A private cluster and a pgbouncer in front of it for one test file (before/after hooks), as
 * pgForFile does for the cluster alone.
 */
export function bouncerForFile(mode: 'session' | 'transaction'): {
  cluster: () => PgCluster;
  bouncer: () => Bouncer;
} {
  let pg: PgCluster | undefined;
  let pgb: Bouncer | undefined;
  before(async () => {
    pg = await startPg();
    pgb = await startBouncer(pg, mode);
  });
  after(() => {
    pgb?.stop();
    pg?.stop();
  });
  const need = <T>(x: T | undefined): T => {
    if (!x) throw new Error('bouncerForFile: started by the before() hook');
    return x;
  };
  return { cluster: () => need(pg), bouncer: () => need(pgb) };
}
