/** Helpers for iperf tests: free loopback ports, real iperf3/iperf peers started and killed by pid. */
import net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { startServer, type IperfJson, type ServerOptions } from '../../src/iperf/index.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Fails loudly (never skips) when a peer binary is missing. */
export function requireBinary(name: string): void {
  const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
  if (r.error)
    throw new Error(
      `${name} is not installed: the iperf tests need Debian's ${name} (scripts/apt-packages.txt)`,
    );
}

export interface Peer {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  kill(): void;
}

/** Start a program; resolves once `ready` appears on stdout (or after readyMs). */
export async function startPeer(
  cmd: string,
  args: string[],
  ready: RegExp | null,
  readyMs = 300,
  env?: NodeJS.ProcessEnv,
): Promise<Peer> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(
      () => (ready ? reject(new Error(`${cmd} did not become ready: ${out} ${err}`)) : resolve()),
      ready ? 5000 : readyMs,
    );
    if (ready) {
      const check = () => {
        if (ready.test(out)) {
          clearTimeout(t);
          resolve();
        }
      };
      proc.stdout!.on('data', check);
      check();
    }
    proc.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: () => {
      if (proc.exitCode === null && proc.pid) {
        try {
          process.kill(proc.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    },
  };
}

/** Run a program to completion with a deadline; returns stdout/stderr/status. */
export function run(
  cmd: string,
  args: string[],
  timeoutMs = 20_000,
  env?: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => {
      stdout += d;
    });
    proc.stderr.on('data', (d) => {
      stderr += d;
    });
    const t = setTimeout(() => {
      if (proc.pid)
        try {
          process.kill(proc.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    }, timeoutMs);
    proc.on('close', (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

export type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A one-second test by the real iperf3 client (`-J`, plus args) against our server on loopback: both JSON results. */
export async function iperf3AgainstOurs(
  args: string[],
  server: Partial<ServerOptions> = {},
): Promise<{ theirs: J; ours: J }> {
  const port = await freePort();
  const results: IperfJson[] = [];
  const srv = await startServer({
    ...server,
    port,
    host: '127.0.0.1',
    onEvent: (e) => {
      if (e.type === 'result') results.push(e.json);
    },
  });
  try {
    const r = await run('iperf3', [
      '-c',
      '127.0.0.1',
      '-p',
      String(port),
      '-J',
      '-t',
      '1',
      ...args,
    ]);
    const theirs = JSON.parse(r.stdout) as J;
    assert.equal(theirs.error, undefined, `iperf3 reported: ${theirs.error}`);
    assert.equal(results.length, 1);
    return { theirs, ours: results[0] as J };
  } finally {
    await srv.close();
  }
}

/**
 * Resolves once something listens on 127.0.0.1:port (state LISTEN in /proc/net/tcp). iperf 2.1.8
 * prints "Server listening" before its listener thread has called listen(), so a client started on
 * that line alone can be refused; polling the socket table does not open a test connection.
 */
export async function waitListening(port: number, timeoutMs = 5000): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const table = ['/proc/net/tcp', '/proc/net/tcp6']
      .map((f) => {
        try {
          return readFileSync(f, 'utf8');
        } catch {
          return '';
        }
      })
      .join('\n');
    if (
      table.split('\n').some((l) => {
        const c = l.trim().split(/\s+/);
        return c[1]?.endsWith(hex.trim()) && c[3] === '0A';
      })
    )
      return;
    if (Date.now() > deadline)
      throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
