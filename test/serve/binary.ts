/** The real `node bin/hostops.js serve` for tests: started from a config, stopped by its pid. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export const BIN = path.resolve('bin/hostops.js');

export interface ServeProc {
  proc: ChildProcess;
  url: string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Writes `yaml` as hostops.yaml in dir, starts serve --json, resolves once it printed its URL. */
export async function startServe(
  dir: string,
  yaml: string,
  env: Record<string, string> = {},
): Promise<ServeProc> {
  const cfg = path.join(dir, 'hostops.yaml');
  writeFileSync(cfg, yaml);
  const proc = spawn(process.execPath, [BIN, 'serve', '-c', cfg, '--json'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => {
    err += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 30_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /"url":\s*"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`serve exited ${code}: ${err}`));
    });
  });
  proc.removeAllListeners('exit');
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  return {
    proc,
    url,
    stderr: () => err,
    stop: async () => {
      if (proc.exitCode === null && proc.pid) {
        process.kill(proc.pid, 'SIGTERM');
        await exited;
      }
    },
  };
}

/** A minimal agent config on loopback: no gateway, no iperf/ntp/amp/mailq/path, SQLite in dir. */
export function baseYaml(dir: string, port: number, extra = '', listen = ''): string {
  return (
    [
      'site: test',
      `listen: { host: 127.0.0.1, port: ${port}${listen ? `, ${listen}` : ''} }`,
      `store: { path: ${JSON.stringify(path.join(dir, 'h.db'))}, spool: { path: ${JSON.stringify(path.join(dir, 'spool.db'))} } }`,
      'defaults: { gateway: false }',
      'iperf: { server: false }',
      'ntp: { enabled: false }',
      'amp: { enabled: false }',
      'mailq: { enabled: false }',
      'path: { enabled: false }',
      extra,
    ].join('\n') + '\n'
  );
}

/** curl (a real HTTP client) with extra headers: status and body. */
export function curl(
  url: string,
  headers: string[] = [],
  extra: string[] = [],
): { status: number; body: string } {
  const args = [
    '-s',
    '-o',
    '-',
    '-w',
    '\n%{http_code}',
    '--max-time',
    '20',
    ...headers.flatMap((h) => ['-H', h]),
    ...extra,
    url,
  ];
  const r = spawnSync('curl', args, { encoding: 'utf8' });
  if (r.error) throw new Error('curl is not installed (scripts/apt-packages.txt)');
  const i = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(i + 1)), body: r.stdout.slice(0, i) };
}
