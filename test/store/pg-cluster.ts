/**
 * A private PostgreSQL 15 cluster for tests: initdb in a temp dir (as the postgres user), a free
 * port on 127.0.0.1, trust auth; stop() shuts it down and removes the directory (also on exit,
 * SIGTERM, SIGINT and SIGHUP: test/lib/cleanup.ts, so a killed test leaves no postgres behind).
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onCleanup } from '../lib/cleanup.js';
import { after, before } from 'node:test';
import postgres from 'postgres';

/** The newest installed PostgreSQL's binaries (Debian: /usr/lib/postgresql/<major>/bin). */
function pgBin(): string {
  const majors = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const found = majors
    .map((m) => `/usr/lib/postgresql/${m}/bin`)
    .find((b) => existsSync(`${b}/initdb`));
  if (!found)
    throw new Error(
      'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/setup-test.sh',
    );
  return found;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function pgUid(): { uid: number; gid: number } {
  const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).split(':');
  return { uid: Number(line[2]), gid: Number(line[3]) };
}

export interface PgCluster {
  url: string;
  port: number;
  dir: string;
  stop(): void;
  restart(): void;
  pause(): void;
  resume(): void;
}

function asPostgres(argv: string[]): string {
  return execFileSync('runuser', ['-u', 'postgres', '--', ...argv], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** listen: more addresses than 127.0.0.1; hba: pg_hba.conf lines added before the trust lines; conf: `-c` settings. */
export interface PgOptions {
  listen?: string[];
  hba?: string[];
  conf?: string[];
}

export async function startPg(po: PgOptions = {}): Promise<PgCluster> {
  const BIN = pgBin();
  const dir = mkdtempSync(path.join(tmpdir(), 'hostops-pg-'));
  // registered before initdb: a signal at any point from here removes the cluster and its directory
  let stopFirst = () => {};
  const remove = () => {
    stopFirst();
    rmSync(dir, { recursive: true, force: true });
  };
  const forget = onCleanup(remove);
  const { uid, gid } = pgUid();
  chownSync(dir, uid, gid);
  chmodSync(dir, 0o700);
  const data = path.join(dir, 'data');
  asPostgres([
    `${BIN}/initdb`,
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  const port = await freePort();
  if (po.hba?.length) {
    const hba = path.join(data, 'pg_hba.conf');
    writeFileSync(hba, po.hba.join('\n') + '\n' + readFileSync(hba, 'utf8'));
  }
  const opts = `-p ${port} -k ${dir} -c listen_addresses=${['127.0.0.1', ...(po.listen ?? [])].join(',')} -c fsync=off -c max_connections=40${(po.conf ?? []).map((c) => ` -c ${c}`).join('')}`;
  const start = (): string =>
    asPostgres([
      `${BIN}/pg_ctl`,
      '-D',
      data,
      '-o',
      opts,
      '-l',
      path.join(dir, 'log'),
      '-w',
      '-t',
      '30',
      'start',
    ]);
  const stopPg = () => {
    try {
      asPostgres([`${BIN}/pg_ctl`, '-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      /* not running */
    }
  };
  stopFirst = stopPg;
  start();
  asPostgres([`${BIN}/createdb`, '-h', dir, '-p', String(port), 'hostops']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/hostops`,
    port,
    dir,
    stop() {
      forget();
      remove();
    },
    restart() {
      stopPg();
      start();
    },
    pause() {
      stopPg();
    },
    resume() {
      start();
    },
  };
}

/**
 * One private cluster for a whole test file (started before its first test, stopped after the
 * last) and fresh databases in it: `newDb('x')` creates database x and returns its URL.
 */
export function pgForFile(): {
  cluster: () => PgCluster;
  newDb: (name: string) => Promise<string>;
} {
  let pg: PgCluster | undefined;
  before(async () => {
    pg = await startPg();
  });
  after(() => {
    pg?.stop();
  });
  const cluster = () => {
    if (!pg) throw new Error('pgForFile: the cluster is started by the before() hook');
    return pg;
  };
  return {
    cluster,
    async newDb(name: string) {
      const admin = postgres(cluster().url, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return cluster().url.replace(/\/hostops$/, `/${name}`);
    },
  };
}
