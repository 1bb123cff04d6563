/**
 * Where the queue and the logs are: `exim -bP spool_directory log_file_path` (argv, no shell),
 * else the Debian or cPanel defaults. Explicit paths always win, so read-only commands work on
 * a copied spool with no exim installed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

export interface LocateOptions {
  spool?: string;
  log?: string;
  /** Exim binary to ask; default: the first of exim, exim4 found in the usual places. */
  exim?: string;
  /** Extra argv for exim (e.g. -C config). */
  eximArgs?: string[];
}

export interface Paths {
  spool: string;
  /** The current mainlog first, then its rotations that exist (newest first). */
  logs: string[];
  /** Where the current mainlog is expected (it may not exist). */
  mainlog: string;
}

const CANDIDATES = ['/usr/sbin/exim', '/usr/sbin/exim4', '/usr/local/sbin/exim', '/usr/bin/exim'];

export function findExim(explicit?: string): string | undefined {
  if (explicit) return explicit;
  if (process.env.HOSTOPS_EXIM) return process.env.HOSTOPS_EXIM;
  return CANDIDATES.find((p) => fs.existsSync(p));
}

/** Parses `name = value` lines of `exim -bP`. */
export function parseBp(out: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^(\w+) = ?(.*)$/.exec(line);
    if (m) r[m[1]] = m[2];
  }
  return r;
}

/** The mainlog path from log_file_path (`%s` -> main; empty or `syslog` entries skipped). */
export function mainlogFromLogFilePath(lfp: string, spool: string): string | undefined {
  for (const item of lfp.split(':').map((s) => s.trim())) {
    if (item === '') return path.join(spool, 'log', 'mainlog');
    if (item === 'syslog') continue;
    return item.replace('%s', 'main').replace('%D', '').replace('%M', '');
  }
  return undefined;
}

/** Rotations beside the log: Debian mainlog.1, mainlog.2.gz; cPanel exim_mainlog-20261124(.gz). */
export function rotatedLogs(log: string): string[] {
  const dir = path.dirname(log);
  const base = path.basename(log);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return fs.existsSync(log) ? [log] : [];
  }
  const rot = names.filter(
    (n) => n !== base && n.startsWith(base) && /^[.-](\d+)(\.gz)?$/.test(n.slice(base.length)),
  );
  const key = (n: string) => {
    const num = Number(/\d+/.exec(n.slice(base.length))![0]);
    // Debian: .1 is newer than .2 ; cPanel: dated suffix, larger is newer
    return num > 100000 ? -num : num;
  };
  rot.sort((a, b) => key(a) - key(b));
  const out = names.includes(base) ? [log] : [];
  return out.concat(rot.map((n) => path.join(dir, n)));
}

export async function locatePaths(opts: LocateOptions = {}): Promise<Paths> {
  let spool = opts.spool;
  let log = opts.log;
  if (!spool || !log) {
    const exim = findExim(opts.exim);
    if (exim) {
      try {
        const out = execFileSync(
          exim,
          [...(opts.eximArgs ?? []), '-bP', 'spool_directory', 'log_file_path'],
          { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] },
        );
        const v = parseBp(out);
        spool ??= v.spool_directory || undefined;
        if (!log && v.log_file_path !== undefined && spool)
          log = mainlogFromLogFilePath(v.log_file_path, spool);
      } catch {
        /* fall back to the defaults below */
      }
    }
  }
  if (!spool)
    spool =
      ['/var/spool/exim4', '/var/spool/exim'].find((p) => fs.existsSync(p)) ?? '/var/spool/exim4';
  if (!log)
    log =
      ['/var/log/exim4/mainlog', '/var/log/exim_mainlog'].find((p) => fs.existsSync(p)) ??
      '/var/log/exim4/mainlog';
  return { spool, logs: opts.log ? [log] : rotatedLogs(log), mainlog: log };
}
