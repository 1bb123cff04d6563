/**
 * Debian's Prometheus (/usr/bin/prometheus) for tests: one process on 127.0.0.1 with a private
 * config and data directory, killed by PID at the end (or by the cleanup registry when the test
 * itself is killed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { onCleanup } from '../lib/cleanup.js';

export const PROM = '/usr/bin/prometheus';

export interface Prom {
  proc: ChildProcess;
  err: () => string;
  /** SIGTERM, then wait (at most 10 s) for the exit, so its directory can go. */
  stop: () => Promise<void>;
}

/** config: YAML after the 1 s global intervals; args: extra flags (mode, features). */
export function startProm(
  dir: string,
  name: string,
  port: number,
  config: string,
  args: string[] = [],
): Prom {
  const file = path.join(dir, `${name}.yml`);
  writeFileSync(file, `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n${config}`);
  const agent = args.includes('--enable-feature=agent');
  const proc = spawn(
    PROM,
    [
      `--config.file=${file}`,
      agent
        ? `--storage.agent.path=${path.join(dir, `${name}-wal`)}`
        : `--storage.tsdb.path=${path.join(dir, `${name}-tsdb`)}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...args,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const kill = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  const forget = onCleanup(kill);
  return {
    proc,
    err: () => err,
    stop: async () => {
      forget();
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = once(proc, 'exit');
      proc.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000).unref())]);
      kill();
    },
  };
}

/** The result vector of an instant query, or [] while the server is not up. */
export async function query(
  port: number,
  q: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
    return ((await r.json()) as { data: { result: [] } }).data.result;
  } catch {
    return [];
  }
}
