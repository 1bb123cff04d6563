/**
 * The one way tests run the built CLI (bin/hostops.js): synchronously, asynchronously (when the
 * peer lives in the test process, so spawnSync would block it), or inside a network namespace.
 * stdout and stderr are always both returned; status is -1 when the process was killed.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin/hostops.js');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}
export interface CliOptions {
  /** Run under `ip netns exec <ns>`. */
  ns?: string;
  env?: Record<string, string>;
  cwd?: string;
  /** latin1 for byte-exact comparison of Exim output; utf8 by default. */
  encoding?: BufferEncoding;
  timeoutMs?: number;
  maxBuffer?: number;
}

function argv(args: string[], o: CliOptions): [string, string[]] {
  return o.ns
    ? ['ip', ['netns', 'exec', o.ns, process.execPath, BIN, ...args]]
    : [process.execPath, [BIN, ...args]];
}

export function runCli(args: string[], o: CliOptions = {}): CliResult {
  const [cmd, a] = argv(args, o);
  const r = spawnSync(cmd, a, {
    cwd: o.cwd,
    encoding: o.encoding ?? 'utf8',
    env: { ...process.env, ...o.env },
    timeout: o.timeoutMs,
    maxBuffer: o.maxBuffer ?? 256 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function runCliAsync(args: string[], o: CliOptions = {}): Promise<CliResult> {
  const [cmd, a] = argv(args, o);
  return new Promise((resolve) => {
    const p = spawn(cmd, a, {
      cwd: o.cwd,
      env: { ...process.env, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    p.stdout.setEncoding(o.encoding ?? 'utf8');
    p.stderr.setEncoding(o.encoding ?? 'utf8');
    let stdout = '',
      stderr = '';
    p.stdout.on('data', (d: string) => (stdout += d));
    p.stderr.on('data', (d: string) => (stderr += d));
    const kill = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 30_000);
    p.on('close', (code) => {
      clearTimeout(kill);
      resolve({ status: code ?? -1, stdout, stderr });
    });
  });
}
