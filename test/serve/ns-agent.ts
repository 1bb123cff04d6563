/**
 * `hostops serve` inside a test namespace: write its config, start it, watch its SQLite store
 * (read-only, WAL) until it has recorded what a test needs, then stop it with SIGTERM the way an
 * operator would. Tests wait for recorded rounds, never for a guessed amount of wall time.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import type { Topology } from '../lib/netns.js';

const BIN = path.resolve('bin/hostops.js');

export interface NsAgent {
  proc: ChildProcess;
  db: string;
  stderr(): string;
  /** Rounds and paths stored so far (0 while the tables do not exist yet). */
  counts(): { rounds: number; paths: number };
  /** Poll the store until `ok(counts)`; throws with the agent's stderr after `limitMs`. */
  waitFor(ok: (c: { rounds: number; paths: number }) => boolean, limitMs: number): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

export function startAgentInNs(t: Topology, ns: string, dir: string, lines: string[]): NsAgent {
  const db = path.join(dir, 'h.db');
  const cfg = path.join(dir, 'hostops.yaml');
  writeFileSync(
    cfg,
    [
      'site: lab',
      'listen: { host: 127.0.0.1, port: 0 }',
      `store: { path: ${db} }`,
      'defaults: { self: false, gateway: false }',
      'iperf: { server: false }',
      'mailq: { enabled: false }',
      'ntp: { enabled: false }',
      'amp: { enabled: false }',
      ...lines,
    ].join('\n') + '\n',
  );
  const proc = t.spawn(ns, [process.execPath, BIN, 'serve', '-c', cfg]);
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  proc.stdout?.on('data', () => {});
  const exited = once(proc, 'exit');
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const counts = () => {
    let h: Database.Database | undefined;
    try {
      h = new Database(db, { readonly: true, fileMustExist: true });
      h.pragma('busy_timeout = 2000');
      const n = (table: string) =>
        Number((h!.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);
      return { rounds: n('ping'), paths: n('path') };
    } catch {
      return { rounds: 0, paths: 0 }; // not created or not migrated yet
    } finally {
      h?.close();
    }
  };
  return {
    proc,
    db,
    counts,
    stderr: () => err,
    async waitFor(ok, limitMs) {
      const end = Date.now() + limitMs;
      for (;;) {
        const c = counts();
        if (ok(c)) return;
        if (gone) throw new Error(`hostops serve exited early: ${err}`);
        if (Date.now() > end)
          throw new Error(
            `the agent did not record enough in ${limitMs / 1000} s (${JSON.stringify(c)}): ${err}`,
          );
        await sleep(100);
      }
    },
    async stop() {
      if (!gone) proc.kill('SIGTERM');
      await exited;
    },
  };
}
