/** Shared helpers for the net tests: run our CLI and the reference tools inside a namespace. */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const hostops = path.join(root, 'bin', 'hostops.js');

/** Fail loudly when a reference tool is missing (never skip silently). */
export function requireTool(bin: string): void {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', bin]);
  if (r.status !== 0)
    throw new Error(`reference tool ${bin} is not installed (scripts/setup-test.sh installs it)`);
}

export interface Ran {
  stdout: string;
  stderr: string;
  status: number;
}

/** Run argv inside a namespace; never throws on a non-zero exit. */
export function inNs(ns: string, argv: string[], timeoutMs = 60000): Ran {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status ?? -1 };
}

export function ours(ns: string, args: string[], timeoutMs = 60000): Ran {
  return inNs(ns, [process.execPath, hostops, ...args], timeoutMs);
}

/**
 * Our CLI and a reference tool at the same time in one namespace: the reference starts once ours
 * has printed its first line (node's start-up is over), so both measure under the same load.
 */
export function oursAlongside(ns: string, args: string[], ref: string[]): Promise<[Ran, Ran]> {
  const run = (argv: string[], onFirst?: () => void) =>
    new Promise<Ran>((resolve) => {
      const p = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => p.kill('SIGKILL'), 60000);
      p.stdout.setEncoding('utf8').on('data', (d: string) => {
        if (!stdout && onFirst) onFirst();
        stdout += d;
      });
      p.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      p.on('close', (code) => {
        clearTimeout(timer);
        if (!stdout) onFirst?.(); // nothing printed: let the reference run anyway
        resolve({ stdout, stderr, status: code ?? -1 });
      });
    });
  let started!: () => void;
  const go = new Promise<void>((r) => {
    started = r;
  });
  const mine = run([process.execPath, hostops, ...args], () => started());
  const theirs = go.then(() => run(ref));
  return Promise.all([mine, theirs]);
}

export function sh(argv: string[]): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
}

/** Hop addresses per TTL from traceroute -n text (ours or the real one): first address per row, '*' when none. */
export function hopAddresses(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^\s*\d+ /.test(l))
    .map((l) => {
      const m = l.match(/^\s*\d+\s+(?:\*\s+)*([0-9a-f.:]+)/);
      return m ? m[1] : '*';
    });
}

/** Marks (!H, !N, ...) per hop row. */
export function hopMarks(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^\s*\d+ /.test(l))
    .map((l) => (l.match(/![A-Z<][^\s]*/g) ?? []).join(','));
}
