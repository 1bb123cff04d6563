/**
 * Real NTP peers for tests: chronyd (Debian package) and ntpsec's ntpd (unpacked by
 * scripts/setup.d/ntp.sh into /opt/hostops-peers/ntpsec), each started inside a test namespace
 * with a config written here, never as a host service.
 */
import { runCli } from '../lib/cli.js';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Topology } from '../lib/netns.js';

export const NTPSEC_NTPD = '/opt/hostops-peers/ntpsec/usr/sbin/ntpd';
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function requirePeer(which: 'chronyd' | 'ntpsec'): string {
  if (which === 'ntpsec') {
    if (!existsSync(NTPSEC_NTPD))
      throw new Error(`ntpsec ntpd not found at ${NTPSEC_NTPD}: run scripts/setup.d/ntp.sh`);
    return NTPSEC_NTPD;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v chronyd'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chronyd not installed: apt-get install chrony (scripts/setup.d/ntp.sh)');
  }
}

export interface Daemon {
  proc: ChildProcess;
  dir: string;
  log: () => string;
  stop(): Promise<void>;
}

async function waitListening(
  t: Topology,
  ns: string,
  port: number,
  proc: ChildProcess,
  out: () => string,
): Promise<void> {
  const deadline = Date.now() + 8000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`daemon exited (${proc.exitCode}): ${out()}`);
    const ss = t.exec(ns, ['ss', '-Hulnp']);
    if (ss.split('\n').some((l) => new RegExp(`:${port}\\s`).test(l))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`daemon did not listen on UDP ${port} within 8 s: ${out()}`);
}

function start(
  t: Topology,
  ns: string,
  argv: string[],
  dir: string,
  port: number,
): Promise<Daemon> {
  const proc = t.spawn(ns, argv);
  let out = '';
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    out += d;
  });
  const d: Daemon = {
    proc,
    dir,
    log: () => out,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        try {
          proc.kill('SIGTERM');
        } catch {
          /* gone */
        }
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      }
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        /* daemon still writing: leave it */
      }
    },
  };
  return waitListening(t, ns, port, proc, () => out).then(
    () => d,
    async (e) => {
      await d.stop();
      throw e;
    },
  );
}

/** chronyd with `lines` as its whole config (cmdport 0 and a private pidfile are added). */
export function startChrony(t: Topology, ns: string, lines: string[], port = 123): Promise<Daemon> {
  const bin = requirePeer('chronyd');
  const dir = mkdtempSync(path.join(tmpdir(), 'hoa-chrony-'));
  const conf = path.join(dir, 'chrony.conf');
  writeFileSync(
    conf,
    [...lines, 'cmdport 0', `pidfile ${dir}/chronyd.pid`, `driftfile ${dir}/drift`, ''].join('\n'),
  );
  return start(t, ns, [bin, '-d', '-x', '-u', 'root', '-f', conf], dir, port);
}

/** ntpsec ntpd with `lines` as its config (private drift/log/pid files added). */
export function startNtpsec(t: Topology, ns: string, lines: string[], port = 123): Promise<Daemon> {
  const bin = requirePeer('ntpsec');
  const dir = mkdtempSync(path.join(tmpdir(), 'hoa-ntpsec-'));
  const conf = path.join(dir, 'ntp.conf');
  writeFileSync(conf, [`driftfile ${dir}/drift`, `statsdir ${dir}/`, ...lines, ''].join('\n'));
  return start(t, ns, [bin, '-n', '-c', conf, '-p', `${dir}/ntpd.pid`], dir, port);
}

/** Run a library call inside a namespace (test/ntp/fixtures/run.ts) and parse its JSON output. */
export function runIn(t: Topology, ns: string, args: string[]): any {
  const out = t.exec(ns, [
    process.execPath,
    '--import',
    'tsx',
    path.join(ROOT, 'test/ntp/fixtures/run.ts'),
    ...args,
  ]);
  return JSON.parse(out);
}

/** Run the built CLI inside a namespace; returns exit status and stdout. */
export function cliIn(
  _t: Topology,
  ns: string,
  args: string[],
): { status: number; stdout: string; stderr: string } {
  return runCli(args, { ns });
}
