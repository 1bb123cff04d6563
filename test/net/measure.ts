/** Helpers of the net benchmarks (bench/net-*.ts; kept here so run-bench does not run them as a bench). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const hostops = path.join(root, 'bin', 'hostops.js');

export interface Measured {
  stdout: string;
  stderr: string;
  cpu: number;
  wall: number;
  status: number | null;
}

/**
 * Run argv (inside namespace ns when given) under bash and read the CPU seconds of all its
 * children from bash's `times` builtin; wall time from our clock; status is the command's exit
 * status (null if it could not be read, e.g. on a timeout).
 */
export function measure(ns: string | null, argv: string[], timeoutMs = 120000): Measured {
  const script = '"$@" >"$OUT" 2>"$ERR"; s=$?; times; echo "status $s"';
  const out = `/tmp/hostops-bench-${process.pid}.out`;
  const err = `/tmp/hostops-bench-${process.pid}.err`;
  const cmd = [
    ...(ns ? ['ip', 'netns', 'exec', ns] : []),
    'env',
    `OUT=${out}`,
    `ERR=${err}`,
    'bash',
    '-c',
    script,
    'bash',
    ...argv,
  ];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', timeout: timeoutMs });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const lines = (r.stdout ?? '').trim().split('\n');
  const st = /^status (\d+)$/.exec(lines[lines.length - 1] ?? '');
  const child = lines[lines.length - 2] ?? '';
  const secs = [...child.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  const read = (f: string) => {
    try {
      return spawnSync('cat', [f], { encoding: 'utf8' }).stdout;
    } finally {
      spawnSync('rm', ['-f', f]);
    }
  };
  return {
    stdout: read(out),
    stderr: read(err),
    cpu: (secs[0] ?? 0) + (secs[1] ?? 0),
    wall,
    status: st ? Number(st[1]) : null,
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const fmt = (x: number, d = 3) => x.toFixed(d);
