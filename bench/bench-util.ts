/**
 * "Agree or exit non-zero" for the benchmarks: a ratio is printed only when both sides ran, exited
 * as expected and produced the same counts; otherwise the bench says what differed and its exit
 * status is 1 (scripts/run-bench.mjs then exits non-zero too). Not a bench itself: run-bench skips it.
 */

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const problems: string[] = [];

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Records one comparison (deep equality on JSON) and prints it either way. */
export function agree(what: string, ours: unknown, reference: unknown): boolean {
  const same = JSON.stringify(ours) === JSON.stringify(reference);
  if (same) console.log(`  agree: ${what}: ${show(ours)}`);
  else disagree(`${what}: ours ${show(ours)}, reference ${show(reference)}`);
  return same;
}

/** Records a failed check that is not a plain comparison (a tool that failed, a missing figure). */
export function disagree(why: string): false {
  problems.push(why);
  process.exitCode = 1;
  console.log(`  DISAGREE: ${why}`);
  return false;
}

/** Checks a tool's exit status against the ones that mean "did the work". */
export function exitedOk(
  tool: string,
  status: number | null,
  ok: number[] = [0],
  stderr = '',
): boolean {
  if (status !== null && ok.includes(status)) return true;
  return disagree(
    `${tool} exited ${status ?? 'on a signal'} (expected ${ok.join(' or ')})${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`,
  );
}

/** True while every check so far agreed. */
export const allAgree = (): boolean => problems.length === 0;

/** Prints a ratio line only when every check agreed; otherwise says why it is withheld. */
export function ratio(line: string | (() => string)): void {
  if (allAgree()) console.log(typeof line === 'function' ? line() : line);
  else
    console.log(
      `ratio withheld: ours and the reference disagree (${problems.length} check${problems.length > 1 ? 's' : ''} failed)`,
    );
}

/** Final line; the exit status is already 1 if anything disagreed. */
export function verdict(ok = 'bench: ours and the reference did the same work and agree'): void {
  console.log(
    allAgree() ? ok : `bench: FAILED, ${problems.length} disagreement(s): ${problems.join('; ')}`,
  );
  if (!allAgree()) process.exitCode = 1;
}

/** CPU seconds used so far by this process and by a private PostgreSQL cluster's processes (test/store/pg-cluster.ts dir): a shared machine's load stretches wall time, hardly CPU time. */
export function pgCpuNow(dir: string): { client: number; server: number } {
  const u = process.cpuUsage();
  const postmaster = readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0];
  let server = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      if (p === postmaster || f[1] === postmaster) server += (Number(f[11]) + Number(f[12])) / 100;
      // backends that exited meanwhile: the postmaster reaped them, their CPU is in its cutime/cstime
      if (p === postmaster) server += (Number(f[13]) + Number(f[14])) / 100;
    } catch {
      /* exited meanwhile */
    }
  }
  return { client: (u.user + u.system) / 1e6, server };
}

/** The number after `name` on the command line, else `def`. */
export function numArg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
