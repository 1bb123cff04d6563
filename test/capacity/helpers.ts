/** Shared helpers for the capacity tests: temp dirs and running peer tools by argv. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

export const FIX = path.resolve('test/fixtures/capacity');

export function tmp(): { dir: string; done(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'hostops-cap-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Run a peer tool; a missing tool fails the test with a clear message (never a silent skip). */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; input?: string } = {},
): string {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    input: opts.input,
    encoding: 'utf8',
    timeout: 60000,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      `${cmd} is not installed: it is a Debian package listed in scripts/apt-packages.txt (run scripts/setup-test.sh)`,
    );
  }
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function close(a: number, b: number, tol: number, msg = ''): void {
  if (!(Math.abs(a - b) <= tol)) throw new Error(`${msg} expected ${b} ± ${tol}, got ${a}`);
}
