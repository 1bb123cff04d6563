/** Spawns a peer binary with an argv array (never a shell), bounded in time and output size. */
import { spawn } from 'node:child_process';
import { envError } from '../../lib/errors.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  argv: string[],
  opts: { timeoutMs: number; signal?: AbortSignal; maxBytes?: number },
): Promise<RunResult> {
  const max = opts.maxBytes ?? 8 << 20;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: opts.signal,
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      if (out.length < max) out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < max) err += d.toString();
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT')
        reject(
          envError(
            'PEER_MISSING',
            `${argv[0]} is not installed`,
            `install it on this host (Debian: apt-get install ${argv[0].split('/').pop()}); hostops doctor lists what the configured jobs need`,
          ),
        );
      else reject(e);
    });
    child.on('close', (code) => resolve({ code, stdout: out, stderr: err }));
  });
}
